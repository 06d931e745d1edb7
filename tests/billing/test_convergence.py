"""Convergence (DESIGN.md §5): whatever the order and however many repeats, the Subscription ends
equal to Stripe's latest state, and every side effect happens once.

A realistic lifecycle — checkout, created, first invoice paid, renewal payment failed (past_due),
retry paid, switch to annual, cancel at period end, deleted — is replayed in many shuffled orders
with duplicates. Stripe (the fake) holds the state after the last step, as it does when late
deliveries arrive: every delivery happens after everything it describes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from analytics.models import Event, EventName
from billing.models import StripeEvent, StripeEventStatus, Subscription, SubscriptionPlan, SubscriptionStatus
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.triggers import abandonment_emails_queue
from tests.billing.stripe_events import LIFECYCLE, lifecycle_event, post_event, subscription_state

pytestmark = pytest.mark.django_db

ORDERS = 30


def _at(unix: int | None) -> datetime | None:
    return datetime.fromtimestamp(unix, tz=UTC) if unix is not None else None


def _deliveries(events: list[dict], seed: int) -> list[dict]:
    """Every event once or up to three times, the whole lot shuffled."""
    rng = random.Random(seed)
    deliveries = [event for event in events for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)
    return deliveries


def _expected(state: dict) -> dict:
    item = state["items"]["data"][0]
    status = {"active": SubscriptionStatus.ACTIVE, "past_due": SubscriptionStatus.PAST_DUE}.get(
        state["status"], SubscriptionStatus.CANCELLED
    )
    return {
        "stripe_subscription_id": state["id"],
        "stripe_customer_id": state["customer"],
        "status": status,
        "stripe_status": state["status"],
        "plan": SubscriptionPlan.ANNUAL
        if item["price"]["recurring"]["interval"] == "year"
        else SubscriptionPlan.MONTHLY,
        "stripe_price_id": item["price"]["id"],
        "current_period_start": _at(item["current_period_start"]),
        "current_period_end": _at(item["current_period_end"]),
        "cancel_at_period_end": state["cancel_at_period_end"],
        "cancelled_at": _at(state["canceled_at"]),
        "stripe_created_at": _at(state["created"]),
    }


def _row(subscription: Subscription) -> dict:
    return {field: getattr(subscription, field) for field in _expected_fields()}


def _expected_fields() -> list[str]:
    return list(_expected(subscription_state("canceled", user_id="x")))


def _count(user, name: str) -> int:
    return Event.objects.filter(user=user, event=name).count()


def _pending(user, template: str) -> int:
    return EmailQueue.objects.filter(user_id=user.pk, template=template, status=EmailStatus.PENDING).count()


@pytest.mark.parametrize("seed", range(ORDERS))
def test_full_lifecycle_converges_in_any_order(seed, client, fake_stripe, user):
    abandonment_emails_queue(user=user)  # the learner watched the free lesson before buying
    final = subscription_state("canceled", user_id=user.pk)
    fake_stripe.put_subscription(final)
    events = [lifecycle_event(step, user_id=user.pk) for step in LIFECYCLE]

    for event in _deliveries(events, seed):
        response = post_event(client, event)
        assert response.status_code == 200, (event["type"], response.content)

    subscription = Subscription.objects.get(user=user)
    assert _row(subscription) == _expected(final)
    assert subscription.payment_failed_at is None  # the failure was long settled
    assert StripeEvent.objects.count() == len(LIFECYCLE)
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEventStatus.PROCESSED}

    # Side effects exactly once, whatever the order.
    assert _count(user, EventName.SUBSCRIPTION_STARTED) == 1
    assert _count(user, EventName.SUBSCRIPTION_CANCELLED) == 1
    assert _count(user, EventName.PAYMENT_FAILED) == 1
    assert _pending(user, EmailTemplate.RENEWAL_REMINDER) == 0  # it ended: nothing to renew
    assert _pending(user, EmailTemplate.PAYMENT_FAILED_FINAL) == 0
    for template in (EmailTemplate.ABANDONMENT_1, EmailTemplate.ABANDONMENT_2, EmailTemplate.ABANDONMENT_3):
        assert _pending(user, template) == 0


@pytest.mark.parametrize("seed", range(ORDERS // 2))
def test_lifecycle_ending_past_due_converges_to_one_dunning_cycle(seed, client, fake_stripe, user):
    """Stopped at the failed renewal: the row ends PAST_DUE with the failure time and exactly one
    PAYMENT_FAILED now + one PAYMENT_FAILED_FINAL at +3 days, whatever the order."""
    final = subscription_state("past_due", user_id=user.pk)
    fake_stripe.put_subscription(final)
    events = [lifecycle_event(step, user_id=user.pk) for step in LIFECYCLE[:5]]
    failure = events[3]
    assert failure["type"] == "invoice.payment_failed"

    for event in _deliveries(events, seed):
        assert post_event(client, event).status_code == 200

    subscription = Subscription.objects.get(user=user)
    assert _row(subscription) == _expected(final)
    assert subscription.payment_failed_at == _at(failure["created"])
    assert _count(user, EventName.SUBSCRIPTION_STARTED) == 1
    assert _count(user, EventName.SUBSCRIPTION_CANCELLED) == 0
    assert (
        _pending(user, EmailTemplate.PAYMENT_FAILED)
        + EmailQueue.objects.filter(user_id=user.pk, template=EmailTemplate.PAYMENT_FAILED)
        .exclude(status=EmailStatus.PENDING)
        .count()
        == 1
    )
    assert _pending(user, EmailTemplate.PAYMENT_FAILED_FINAL) == 1
    assert _pending(user, EmailTemplate.RENEWAL_REMINDER) == 1


def test_an_older_read_never_overwrites_a_newer_one(user):
    """The stripe_synced_at guard, without the webhook around it."""
    from billing import stripe_client
    from billing.services import subscription_sync

    newer = stripe_client.subscription_parse(subscription_state("annual", user_id=user.pk))
    older = stripe_client.subscription_parse(subscription_state("active_month1", user_id=user.pk))
    subscription_sync(remote=newer, synced_at=datetime(2025, 4, 15, 10, tzinfo=UTC))
    subscription_sync(remote=older, synced_at=datetime(2025, 4, 15, 9, tzinfo=UTC))
    subscription = Subscription.objects.get(user=user)
    assert subscription.plan == SubscriptionPlan.ANNUAL
    assert subscription.stripe_synced_at == datetime(2025, 4, 15, 10, tzinfo=UTC)
    # The same read again changes nothing and records nothing new.
    subscription_sync(remote=newer, synced_at=datetime(2025, 4, 15, 11, tzinfo=UTC))
    assert _count(user, EventName.SUBSCRIPTION_STARTED) == 1
