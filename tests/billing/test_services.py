"""Billing services used by other apps, and the webhook path under concurrent deliveries."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from analytics.models import Event, EventName
from billing import services, stripe_client
from billing.models import StripeEvent, StripeEventStatus, Subscription, SubscriptionPlan, SubscriptionStatus
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.triggers import renewal_reminder_reschedule
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.billing.stripe_events import lifecycle_event, subscription_state

pytestmark = pytest.mark.django_db


# --- subscription_cancel_immediately (account deletion uses it) ---------------------------------------


def test_cancel_immediately_cancels_at_stripe_and_updates_the_row(fake_stripe, user):
    state = subscription_state("annual", user_id=user.pk)
    fake_stripe.put_subscription(state)
    subscription = SubscriptionFactory(
        user=user, stripe_subscription_id=state["id"], stripe_customer_id=state["customer"]
    )
    renewal_reminder_reschedule(subscription=subscription)

    result = services.subscription_cancel_immediately(subscription=subscription)

    [request] = fake_stripe.requests_to("DELETE", "/v1/subscriptions/")
    assert request.path == f"/v1/subscriptions/{state['id']}"
    assert request.headers["idempotency-key"] == f"cancel:{state['id']}"
    row = Subscription.objects.get(pk=subscription.pk)
    assert result.pk == row.pk
    assert row.status == SubscriptionStatus.CANCELLED
    assert row.stripe_status == "canceled"
    assert row.cancelled_at is not None
    assert row.plan == SubscriptionPlan.ANNUAL  # Stripe's state, not the factory's
    assert Event.objects.filter(event=EventName.SUBSCRIPTION_CANCELLED, user=user).count() == 1
    assert not EmailQueue.objects.filter(
        user_id=user.pk, template=EmailTemplate.RENEWAL_REMINDER, status=EmailStatus.PENDING
    ).exists()


def test_cancel_immediately_is_idempotent(fake_stripe, user):
    state = subscription_state("active_month1", user_id=user.pk)
    fake_stripe.put_subscription(state)
    subscription = SubscriptionFactory(
        user=user, stripe_subscription_id=state["id"], stripe_customer_id=state["customer"]
    )
    services.subscription_cancel_immediately(subscription=subscription)
    again = services.subscription_cancel_immediately(subscription=Subscription.objects.get(pk=subscription.pk))
    assert again.status == SubscriptionStatus.CANCELLED
    assert len(fake_stripe.requests_to("DELETE", "/v1/subscriptions/")) == 1
    assert Event.objects.filter(event=EventName.SUBSCRIPTION_CANCELLED).count() == 1


def test_cancel_immediately_of_a_subscription_stripe_does_not_know(fake_stripe):
    subscription = SubscriptionFactory()
    row = services.subscription_cancel_immediately(subscription=subscription)
    assert row.status == SubscriptionStatus.CANCELLED
    assert row.stripe_status == "canceled"
    assert Event.objects.filter(event=EventName.SUBSCRIPTION_CANCELLED).count() == 1


def test_cancel_immediately_when_stripe_is_down_raises_and_changes_nothing(fake_stripe):
    subscription = SubscriptionFactory()
    fake_stripe.fail_next("DELETE", "/v1/subscriptions/", status=500)
    with pytest.raises(stripe_client.StripeUnavailable):
        services.subscription_cancel_immediately(subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE


# --- concurrent deliveries -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_are_handled_once(fake_stripe):
    """Stripe may deliver one event twice at the same moment, and two events about one subscription
    at once: the row lock and the per-subscription lock make each side effect happen once."""
    user = UserFactory()
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    events = [
        lifecycle_event("01_checkout.session.completed", user_id=user.pk),
        lifecycle_event("02_customer.subscription.created", user_id=user.pk),
        lifecycle_event("02_customer.subscription.created", user_id=user.pk),
        lifecycle_event("03_invoice.paid", user_id=user.pk),
    ]
    barrier = threading.Barrier(len(events))
    errors: list[BaseException] = []

    def deliver(payload: dict) -> None:
        try:
            event = stripe_client.WebhookEvent(
                id=payload["id"],
                type=payload["type"],
                created=stripe_client._ts(payload["created"]),  # type: ignore[arg-type]
                object=payload["data"]["object"],
                payload=payload,
            )
            barrier.wait()
            # What the webhook does: store once, then the processing task (eager here, in this thread).
            stored = services.stripe_event_receive(event=event)
            services.stripe_event_process(stripe_event_pk=stored.pk)
        except BaseException as exc:  # noqa: BLE001 - a thread's failure is asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(payload,)) for payload in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert StripeEvent.objects.count() == 3
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEventStatus.PROCESSED}
    assert Subscription.objects.filter(user=user).count() == 1
    assert Event.objects.filter(event=EventName.SUBSCRIPTION_STARTED, user=user).count() == 1


# --- resync after missed webhooks ------------------------------------------------------------------


def test_stripe_resync_repairs_rows_after_missed_webhooks(fake_stripe, user):
    from io import StringIO

    from django.core.management import CommandError, call_command

    state = subscription_state("annual_cancelling", user_id=user.pk)
    fake_stripe.put_subscription(state)
    drifted = SubscriptionFactory(user=user, stripe_subscription_id=state["id"], stripe_customer_id=state["customer"])
    ended = SubscriptionFactory(status=SubscriptionStatus.CANCELLED, stripe_status="canceled")
    out = StringIO()
    call_command("stripe_resync", stdout=out)
    assert "Synced 1 subscription(s)" in out.getvalue()
    drifted.refresh_from_db()
    assert drifted.plan == SubscriptionPlan.ANNUAL
    assert drifted.cancel_at_period_end is True
    assert fake_stripe.requests_to("GET", f"/v1/subscriptions/{ended.stripe_subscription_id}") == []

    # One Stripe no longer knows is reported, the others still synced.
    SubscriptionFactory(stripe_subscription_id="sub_gone")
    with pytest.raises(CommandError, match="sub_gone"):
        call_command("stripe_resync", stdout=StringIO())
