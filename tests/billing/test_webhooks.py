"""POST /webhooks/stripe/: signature, store-once, dispatch, and every handler's effect."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from analytics.models import Event, EventName
from billing.models import StripeEvent, StripeEventStatus, Subscription, SubscriptionPlan, SubscriptionStatus
from billing.selectors import has_access
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.triggers import abandonment_emails_queue
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.billing.stripe_events import lifecycle_event, load, post_event, sign, subscription_state, with_changes

pytestmark = pytest.mark.django_db

SUB_ID = "sub_1SyLbUsLifecycle000001"
CUS_ID = "cus_SyLbUs0Lifecycle1"


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def _access(user) -> bool:
    """has_access on a fresh copy: the subscription is cached on a user instance."""
    return has_access(type(user).objects.get(pk=user.pk))


def _events(name: str, user) -> list[Event]:
    return list(Event.objects.filter(event=name, user=user))


def _emails(user, template: str, status: str = EmailStatus.PENDING) -> list[EmailQueue]:
    return list(EmailQueue.objects.filter(user_id=user.pk, template=template, status=status))


# --- verification --------------------------------------------------------------------------------


def test_missing_signature_is_400_and_nothing_is_stored(client):
    body = json.dumps(load("customer.created")).encode()
    response = client.post("/webhooks/stripe/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "Invalid Stripe webhook" in response.json()["error"]
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "sign_kwargs",
    [
        {"secret": "whsec_not_ours"},  # wrong secret
        {"timestamp": int(time.time()) - 6 * 60},  # stale: older than 5 minutes
    ],
    ids=["wrong-secret", "stale"],
)
def test_wrong_or_stale_signature_is_400(client, sign_kwargs):
    response = post_event(client, load("customer.created"), **sign_kwargs)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_body_changed_after_signing_is_400(client):
    body = json.dumps(load("customer.created")).encode()
    header = sign(body)
    tampered = body.replace(b"Ada Learner", b"Eve Attacker")
    response = client.post(
        "/webhooks/stripe/", data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("body", [b"not json at all", b"{}", b'{"id": "evt_1"}', b"[]"])
def test_signed_body_that_is_not_an_event_is_400(client, body):
    response = post_event(client, body)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_get_is_405(client):
    assert client.get("/webhooks/stripe/").status_code == 405


def test_webhook_needs_no_csrf_token(fake_stripe):
    from django.test import Client

    response = post_event(Client(enforce_csrf_checks=True), load("customer.created"))
    assert response.status_code == 200


# --- storing once --------------------------------------------------------------------------------


def test_unknown_type_is_stored_ignored_and_200(client):
    response = post_event(client, load("customer.created"))
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.stripe_event_id == "evt_1SyLbUsLifecycle0000021"
    assert stored.type == "customer.created"
    assert stored.status == StripeEventStatus.IGNORED
    assert stored.payload["data"]["object"]["id"] == CUS_ID
    assert stored.stripe_created == _at(load("customer.created")["created"])
    assert stored.processed_at is not None


def test_checkout_completed_links_customer_and_subscription(client, fake_stripe, user):
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    response = post_event(client, lifecycle_event("01_checkout.session.completed", user_id=user.pk))
    assert response.status_code == 200, response.content
    subscription = Subscription.objects.get(user=user)
    state = subscription_state("active_month1", user_id=user.pk)
    item = state["items"]["data"][0]
    assert subscription.stripe_customer_id == CUS_ID
    assert subscription.stripe_subscription_id == SUB_ID
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.stripe_status == "active"
    assert subscription.plan == SubscriptionPlan.MONTHLY
    assert subscription.stripe_price_id == "price_monthly_test"
    assert subscription.current_period_start == _at(item["current_period_start"])
    assert subscription.current_period_end == _at(item["current_period_end"])
    assert subscription.cancel_at_period_end is False
    assert subscription.cancelled_at is None
    assert subscription.stripe_created_at == _at(state["created"])
    assert _access(user)
    [started] = _events(EventName.SUBSCRIPTION_STARTED, user)
    assert started.properties == {"plan": "MONTHLY"}
    assert StripeEvent.objects.get().status == StripeEventStatus.PROCESSED


def test_repeated_event_is_200_and_does_nothing_again(client, fake_stripe, user):
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    event = lifecycle_event("02_customer.subscription.created", user_id=user.pk)
    assert post_event(client, event).status_code == 200
    reads = len(fake_stripe.requests_to("GET", "/v1/subscriptions/"))
    for _ in range(3):
        response = post_event(client, event)
        assert response.status_code == 200
        assert response.json()["status"] == StripeEventStatus.PROCESSED
    assert StripeEvent.objects.count() == 1
    assert len(fake_stripe.requests_to("GET", "/v1/subscriptions/")) == reads  # not handled again
    assert len(_events(EventName.SUBSCRIPTION_STARTED, user)) == 1


def test_subscription_event_before_checkout_event_links_through_metadata(client, fake_stripe, user):
    """Stripe does not order events: customer.subscription.created often beats checkout.session.completed."""
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    assert post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk)).status_code == 200
    assert Subscription.objects.get(user=user).stripe_subscription_id == SUB_ID
    assert post_event(client, lifecycle_event("01_checkout.session.completed", user_id=user.pk)).status_code == 200
    assert Subscription.objects.count() == 1
    assert len(_events(EventName.SUBSCRIPTION_STARTED, user)) == 1


def test_new_subscription_cancels_pending_abandonment_emails(client, fake_stripe, user):
    abandonment_emails_queue(user=user)
    assert len(_emails(user, EmailTemplate.ABANDONMENT_1)) == 1
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    post_event(client, lifecycle_event("01_checkout.session.completed", user_id=user.pk))
    for template in (EmailTemplate.ABANDONMENT_1, EmailTemplate.ABANDONMENT_2, EmailTemplate.ABANDONMENT_3):
        assert _emails(user, template) == []
        assert len(_emails(user, template, EmailStatus.CANCELLED)) == 1


def test_renewal_reminder_is_queued_three_days_before_period_end(client, fake_stripe, user):
    state = subscription_state("annual", user_id=user.pk)
    fake_stripe.put_subscription(state)
    period_end = _at(state["items"]["data"][0]["current_period_end"])
    with time_machine.travel(_at(state["items"]["data"][0]["current_period_start"]) + timedelta(minutes=1)):
        post_event(client, lifecycle_event("08_customer.subscription.updated", user_id=user.pk))
    [reminder] = _emails(user, EmailTemplate.RENEWAL_REMINDER)
    assert reminder.scheduled_for == period_end - timedelta(days=3)


# --- bad references ------------------------------------------------------------------------------


def test_unknown_learner_in_checkout_is_stored_logged_and_200(client, fake_stripe, caplog):
    fake_stripe.put_subscription(subscription_state("active_month1", user_id="nobody"))
    with caplog.at_level(logging.WARNING, logger="billing.services"):
        response = post_event(client, lifecycle_event("01_checkout.session.completed", user_id="nobody"))
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.IGNORED
    assert "no known learner" in stored.error
    assert "ignored" in caplog.text
    assert not Subscription.objects.exists()


def test_unknown_subscription_is_stored_logged_and_200(client, fake_stripe, caplog):
    # Stripe knows the subscription but nothing links it to a learner here.
    fake_stripe.put_subscription(subscription_state("active_month1", user_id="nobody"))
    with caplog.at_level(logging.WARNING, logger="billing.services"):
        response = post_event(client, lifecycle_event("07_customer.subscription.updated", user_id="nobody"))
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.IGNORED
    assert SUB_ID in stored.error
    assert SUB_ID in caplog.text
    assert not Subscription.objects.exists()


def test_subscription_stripe_does_not_know_is_ignored(client, fake_stripe, user):
    response = post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk))
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEventStatus.IGNORED
    assert not Subscription.objects.exists()


def test_invoice_without_subscription_is_ignored(client, fake_stripe):
    response = post_event(client, load("invoice.paid.one_off"))
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.IGNORED
    assert "does not belong to a subscription" in stored.error
    assert fake_stripe.requests == []


def test_payment_mode_checkout_is_ignored(client, fake_stripe, user):
    event = with_changes(lifecycle_event("01_checkout.session.completed", user_id=user.pk), mode="payment")
    assert post_event(client, event).status_code == 200
    assert StripeEvent.objects.get().status == StripeEventStatus.IGNORED
    assert not Subscription.objects.exists()


def test_refund_of_unknown_customer_is_ignored(client):
    response = post_event(client, load("charge.refunded"))
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEventStatus.IGNORED
    assert not Event.objects.filter(event=EventName.REFUND_ISSUED).exists()


# --- handler failure -----------------------------------------------------------------------------


def test_handler_failure_stores_the_error_answers_200_and_a_retry_succeeds(client, fake_stripe, user):
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    fake_stripe.fail_next("GET", "/v1/subscriptions/", status=500)
    event = lifecycle_event("02_customer.subscription.created", user_id=user.pk)
    response = post_event(client, event)
    assert response.status_code == 200  # stored: the failure is ours to retry, not Stripe's
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts) == (StripeEventStatus.RETRYING, 1)
    assert "StripeUnavailable" in stored.error
    assert stored.processed_at is None
    assert not Subscription.objects.exists()  # nothing half-saved
    assert not Event.objects.filter(event=EventName.SUBSCRIPTION_STARTED).exists()

    # Stripe retries the same event later.
    response = post_event(client, event)
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.status == StripeEventStatus.PROCESSED
    assert stored.error == ""
    assert Subscription.objects.get(user=user).status == SubscriptionStatus.ACTIVE
    assert len(_events(EventName.SUBSCRIPTION_STARTED, user)) == 1


def test_a_bug_in_a_handler_is_stored_for_a_retry_not_a_crash(client, fake_stripe, user, monkeypatch):
    from django.db import transaction

    from billing import services

    def broken(event):
        # Handlers write in short transactions after their Stripe reads; one that fails midway is rolled back.
        with transaction.atomic():
            Subscription.objects.create(
                user=user,
                stripe_customer_id="cus_half",
                stripe_subscription_id="sub_half",
                status=SubscriptionStatus.ACTIVE,
                plan=SubscriptionPlan.MONTHLY,
                current_period_start=event.created,
                current_period_end=event.created,
            )
            raise RuntimeError("boom")

    monkeypatch.setitem(services.HANDLERS, "customer.subscription.created", broken)
    response = post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk))
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.RETRYING
    assert "RuntimeError: boom" in stored.error
    assert not Subscription.objects.exists()


# --- dunning, renewal, plan switch, cancellation, refund -------------------------------------------


def test_payment_failure_then_recovery(client, fake_stripe, user):
    """In order, as Stripe usually sends them: active → renewal fails → retry succeeds.
    The clock follows the events (a state read later must be read at a later time)."""
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    created = lifecycle_event("02_customer.subscription.created", user_id=user.pk)
    with time_machine.travel(_at(created["created"]) + timedelta(seconds=2)):
        post_event(client, created)

    failed = lifecycle_event("04_invoice.payment_failed", user_id=user.pk)
    failed_at = _at(failed["created"])
    fake_stripe.put_subscription(subscription_state("past_due", user_id=user.pk))
    with time_machine.travel(failed_at + timedelta(seconds=2)):
        assert post_event(client, failed).status_code == 200
    subscription = Subscription.objects.get(user=user)
    assert subscription.status == SubscriptionStatus.PAST_DUE
    assert subscription.payment_failed_at == failed_at
    assert _access(user)  # the seed's grace period
    [now_email] = _emails(user, EmailTemplate.PAYMENT_FAILED)
    [final_email] = _emails(user, EmailTemplate.PAYMENT_FAILED_FINAL)
    assert final_email.scheduled_for == failed_at + timedelta(days=3)
    assert now_email.scheduled_for <= final_email.scheduled_for - timedelta(days=3) + timedelta(seconds=5)
    [tracked] = _events(EventName.PAYMENT_FAILED, user)
    assert tracked.properties["invoice"] == "in_1SyLbUsInvoice000002"

    # Stripe's second attempt fails too: same dunning cycle, no second pair of emails.
    second = with_changes(failed, attempt_count=2)
    second["id"] = "evt_1SyLbUsLifecycleRetry02"
    second["created"] = failed["created"] + 86400
    with time_machine.travel(failed_at + timedelta(days=1, seconds=2)):
        assert post_event(client, second).status_code == 200
    subscription.refresh_from_db()
    assert subscription.payment_failed_at == failed_at
    assert EmailQueue.objects.filter(user_id=user.pk, template=EmailTemplate.PAYMENT_FAILED).count() == 1
    assert EmailQueue.objects.filter(user_id=user.pk, template=EmailTemplate.PAYMENT_FAILED_FINAL).count() == 1
    assert len(_events(EventName.PAYMENT_FAILED, user)) == 2  # each failed attempt is a fact

    paid = lifecycle_event("06_invoice.paid", user_id=user.pk)
    state = subscription_state("active_month2", user_id=user.pk)
    fake_stripe.put_subscription(state)
    with time_machine.travel(_at(paid["created"]) + timedelta(seconds=2)):
        assert post_event(client, paid).status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.payment_failed_at is None
    assert _emails(user, EmailTemplate.PAYMENT_FAILED_FINAL) == []
    assert len(_emails(user, EmailTemplate.PAYMENT_FAILED_FINAL, EmailStatus.CANCELLED)) == 1
    [reminder] = _emails(user, EmailTemplate.RENEWAL_REMINDER)
    assert reminder.scheduled_for == _at(state["items"]["data"][0]["current_period_end"]) - timedelta(days=3)


def test_failure_delivered_after_recovery_opens_no_dunning(client, fake_stripe, user):
    fake_stripe.put_subscription(subscription_state("active_month2", user_id=user.pk))
    post_event(client, lifecycle_event("06_invoice.paid", user_id=user.pk))
    post_event(client, lifecycle_event("04_invoice.payment_failed", user_id=user.pk))
    subscription = Subscription.objects.get(user=user)
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.payment_failed_at is None
    assert _emails(user, EmailTemplate.PAYMENT_FAILED) == []
    assert _emails(user, EmailTemplate.PAYMENT_FAILED_FINAL) == []


def test_switch_to_annual_then_cancel_at_period_end_then_deleted(client, fake_stripe, user):
    fake_stripe.put_subscription(subscription_state("active_month2", user_id=user.pk))
    post_event(client, lifecycle_event("07_customer.subscription.updated", user_id=user.pk))
    assert Subscription.objects.get(user=user).plan == SubscriptionPlan.MONTHLY

    annual = subscription_state("annual", user_id=user.pk)
    fake_stripe.put_subscription(annual)
    post_event(client, lifecycle_event("08_customer.subscription.updated", user_id=user.pk))
    subscription = Subscription.objects.get(user=user)
    assert subscription.plan == SubscriptionPlan.ANNUAL
    assert subscription.stripe_price_id == "price_annual_test"
    assert subscription.current_period_end == _at(annual["items"]["data"][0]["current_period_end"])
    assert len(_emails(user, EmailTemplate.RENEWAL_REMINDER)) == 1

    cancelling = subscription_state("annual_cancelling", user_id=user.pk)
    fake_stripe.put_subscription(cancelling)
    post_event(client, lifecycle_event("10_customer.subscription.updated", user_id=user.pk))
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is True
    assert subscription.cancelled_at == _at(cancelling["canceled_at"])
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert _access(user)  # until the period ends
    assert _emails(user, EmailTemplate.RENEWAL_REMINDER) == []  # it will not renew
    assert _events(EventName.SUBSCRIPTION_CANCELLED, user) == []

    fake_stripe.put_subscription(subscription_state("canceled", user_id=user.pk))
    post_event(client, lifecycle_event("11_customer.subscription.deleted", user_id=user.pk))
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELLED
    assert subscription.stripe_status == "canceled"
    assert not _access(user)
    [cancelled] = _events(EventName.SUBSCRIPTION_CANCELLED, user)
    assert cancelled.properties["plan"] == "ANNUAL"


def test_charge_refunded_records_refund_issued_once(client, fake_stripe, user):
    SubscriptionFactory(user=user, stripe_customer_id=CUS_ID, stripe_subscription_id=SUB_ID)
    event = load("charge.refunded")
    assert post_event(client, event).status_code == 200
    [refund] = _events(EventName.REFUND_ISSUED, user)
    assert refund.properties == {
        "charge": "ch_1SyLbUsCharge000003",
        "amount": 39900,
        "plan": "MONTHLY",
        "source": "stripe",
    }
    # Another event about the same refunded charge (e.g. charge.refund.updated re-sent as refunded).
    again = json.loads(json.dumps(event))
    again["id"] = "evt_1SyLbUsAnotherRefundEvt"
    assert post_event(client, again).status_code == 200
    assert len(_events(EventName.REFUND_ISSUED, user)) == 1


def test_resubscribing_replaces_the_ended_subscription_and_old_events_change_nothing(client, fake_stripe):
    user = UserFactory()
    ended = SubscriptionFactory(
        user=user,
        stripe_customer_id=CUS_ID,
        stripe_subscription_id="sub_old",
        status=SubscriptionStatus.CANCELLED,
        stripe_status="canceled",
        stripe_created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk))
    subscription = Subscription.objects.get(user=user)
    assert subscription.pk == ended.pk  # one row per learner
    assert subscription.stripe_subscription_id == SUB_ID
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert len(_events(EventName.SUBSCRIPTION_STARTED, user)) == 1

    # A late event about the old subscription.
    old = subscription_state("canceled", user_id=user.pk)
    old.update(id="sub_old", created=int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()))
    fake_stripe.put_subscription(old)
    late = lifecycle_event("11_customer.subscription.deleted", user_id=user.pk)
    late["id"] = "evt_old_subscription_deleted"
    late["data"]["object"] = old
    assert post_event(client, late).status_code == 200
    assert StripeEvent.objects.get(stripe_event_id="evt_old_subscription_deleted").status == StripeEventStatus.IGNORED
    subscription.refresh_from_db()
    assert subscription.stripe_subscription_id == SUB_ID
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert _events(EventName.SUBSCRIPTION_CANCELLED, user) == []
