"""The billing admin: refund-and-cancel with its confirmation step, read-only Stripe events, reprocess."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from analytics.models import Event, EventName
from billing.models import StripeEvent, StripeEventStatus, Subscription, SubscriptionStatus
from tests.billing.factories import SubscriptionFactory
from tests.billing.stripe_events import lifecycle_event, load, post_event, subscription_state

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billing/subscription/"


@pytest.fixture
def refundable(fake_stripe, user):
    """A learner two weeks into an annual subscription Stripe knows, with its payment."""
    state = subscription_state("annual", user_id=user.pk)
    fake_stripe.put_subscription(state)
    with time_machine.travel(timezone.now() - timedelta(days=14)):
        subscription = SubscriptionFactory(
            user=user, stripe_subscription_id=state["id"], stripe_customer_id=state["customer"]
        )
    fake_stripe.put_paid_invoice(
        invoice_id="in_1SyLbUsInvoice000001",
        subscription_id=state["id"],
        amount=4900,
        created=1_741_000_000,
        charge_id="ch_1SyLbUsCharge000001",
        payment_intent_id="pi_1SyLbUsPayment000001",
    )
    fake_stripe.put_paid_invoice(
        invoice_id="in_1SyLbUsInvoice000003",
        subscription_id=state["id"],
        amount=39900,
        created=1_744_709_403,
        charge_id="ch_1SyLbUsCharge000003",
        payment_intent_id="pi_1SyLbUsPayment000003",
    )
    return subscription


def _act(client, action: str, pks: list[str], url: str = CHANGELIST, **extra):
    return client.post(url, {"action": action, "_selected_action": pks, **extra}, follow=bool(extra))


def test_changelist_shows_status_plan_period_end_and_refund_eligibility(client, admin_user, refundable):
    client.force_login(admin_user)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for column in ("Plan", "Status", "Current period end", "Refundable"):
        assert column in html
    assert "Refund latest payment and cancel" in html


def test_refund_asks_for_confirmation_first(client, admin_user, refundable, fake_stripe):
    client.force_login(admin_user)
    response = _act(client, "refund_and_cancel", [refundable.pk])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Yes, refund and cancel" in html
    assert str(refundable.user) in html
    assert 'name="post" value="yes"' in html
    assert fake_stripe.requests == []  # nothing happens before the confirmation
    refundable.refresh_from_db()
    assert refundable.status == SubscriptionStatus.ACTIVE


def test_confirmed_refund_refunds_the_latest_payment_and_cancels(client, admin_user, refundable, fake_stripe):
    client.force_login(admin_user)
    response = _act(client, "refund_and_cancel", [refundable.pk], post="yes")
    assert response.status_code == 200
    assert "refunded $399.00" in response.content.decode()

    [refund_request] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert refund_request.params["payment_intent"] == "pi_1SyLbUsPayment000003"  # the latest, not the first
    assert (
        refund_request.headers["idempotency-key"]
        == f"refund:{refundable.stripe_subscription_id}:in_1SyLbUsInvoice000003"
    )
    [cancel_request] = fake_stripe.requests_to("DELETE", "/v1/subscriptions/")
    assert cancel_request.path == f"/v1/subscriptions/{refundable.stripe_subscription_id}"

    refundable.refresh_from_db()
    assert refundable.status == SubscriptionStatus.CANCELLED
    assert refundable.stripe_status == "canceled"
    assert refundable.refunded_charge_id == "ch_1SyLbUsCharge000003"
    [refund_event] = Event.objects.filter(event=EventName.REFUND_ISSUED, user=refundable.user)
    assert refund_event.properties["amount"] == 39900
    assert refund_event.properties["source"] == "admin"
    assert Event.objects.filter(event=EventName.SUBSCRIPTION_CANCELLED, user=refundable.user).count() == 1

    # The subscription's History shows who refunded it.
    history = client.get(f"/admin/billing/subscription/{refundable.pk}/history/").content.decode()
    assert "Refunded $399.00" in history and admin_user.email in history

    # Stripe then reports the same refund: it is not recorded twice.
    assert post_event(client, load("charge.refunded")).status_code == 200
    assert Event.objects.filter(event=EventName.REFUND_ISSUED).count() == 1


def test_refund_after_90_days_is_refused(client, admin_user, fake_stripe):
    with time_machine.travel(timezone.now() - timedelta(days=91)):
        old = SubscriptionFactory()
    client.force_login(admin_user)
    response = _act(client, "refund_and_cancel", [old.pk])
    html = response.content.decode()
    assert "Not refundable (created more than 90 days ago)" in html
    assert "Yes, refund and cancel" not in html
    response = _act(client, "refund_and_cancel", [old.pk], post="yes")
    assert "not refunded" in response.content.decode()
    assert fake_stripe.requests == []
    old.refresh_from_db()
    assert old.status == SubscriptionStatus.ACTIVE
    assert not Event.objects.filter(event=EventName.REFUND_ISSUED).exists()


def test_refund_without_a_paid_invoice_cancels_nothing(client, admin_user, fake_stripe):
    subscription = SubscriptionFactory()
    client.force_login(admin_user)
    response = _act(client, "refund_and_cancel", [subscription.pk], post="yes")
    assert "no paid invoice" in response.content.decode()
    assert fake_stripe.requests_to("DELETE", "/v1/subscriptions/") == []
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_refund_when_stripe_fails_changes_nothing_here(client, admin_user, refundable, fake_stripe):
    fake_stripe.fail_next("POST", "/v1/refunds", status=500)
    client.force_login(admin_user)
    response = _act(client, "refund_and_cancel", [refundable.pk], post="yes")
    assert "Stripe failed" in response.content.decode()
    assert fake_stripe.requests_to("DELETE", "/v1/subscriptions/") == []
    refundable.refresh_from_db()
    assert refundable.status == SubscriptionStatus.ACTIVE
    assert refundable.refunded_at is None
    assert not Event.objects.filter(event=EventName.REFUND_ISSUED).exists()


def test_learners_cannot_reach_the_billing_admin(client, user):
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Stripe events -------------------------------------------------------------------------------


def test_stripe_events_are_read_only(client, admin_user):
    post_event(client, load("customer.created"))
    stored = StripeEvent.objects.get()
    client.force_login(admin_user)
    assert client.get("/admin/billing/stripeevent/").status_code == 200
    detail = client.get(f"/admin/billing/stripeevent/{stored.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "cus_SyLbUs0Lifecycle1" in html  # the payload is shown
    assert 'name="_save"' not in html
    assert client.get("/admin/billing/stripeevent/add/").status_code == 403
    assert client.post(f"/admin/billing/stripeevent/{stored.pk}/delete/").status_code == 403


def test_reprocess_runs_a_failed_event_again(client, admin_user, fake_stripe, user):
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    fake_stripe.fail_next("GET", "/v1/subscriptions/", status=500)
    assert post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk)).status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.RETRYING

    client.force_login(admin_user)
    response = _act(client, "reprocess", [stored.pk], url="/admin/billing/stripeevent/", index="0")
    assert "Reprocessed: 1 processed." in response.content.decode()
    stored.refresh_from_db()
    assert stored.status == StripeEventStatus.PROCESSED
    assert Subscription.objects.get(user=user).status == SubscriptionStatus.ACTIVE

    # Processed events are left alone (their emails and analytics are already recorded).
    reads = len(fake_stripe.requests_to("GET", "/v1/subscriptions/"))
    response = _act(client, "reprocess", [stored.pk], url="/admin/billing/stripeevent/", index="0")
    assert "already processed" in response.content.decode()
    assert len(fake_stripe.requests_to("GET", "/v1/subscriptions/")) == reads
    assert Event.objects.filter(event=EventName.SUBSCRIPTION_STARTED).count() == 1


def test_reprocess_of_an_ignored_event_links_it_once_the_learner_exists(client, admin_user, fake_stripe, user):
    """An event for a learner we could not find is IGNORED; after fixing the data, reprocess applies it."""
    event = lifecycle_event("02_customer.subscription.created", user_id="not-yet-known")
    fake_stripe.put_subscription(subscription_state("active_month1", user_id="not-yet-known"))
    post_event(client, event)
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.IGNORED
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))  # metadata fixed at Stripe
    client.force_login(admin_user)
    _act(client, "reprocess", [stored.pk], url="/admin/billing/stripeevent/", index="0")
    stored.refresh_from_db()
    assert stored.status == StripeEventStatus.PROCESSED
    assert Subscription.objects.get(user=user).stripe_status == "active"
