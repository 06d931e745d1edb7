"""The convergent sync: a Subscription row made equal to Stripe's state of it.

Convergence (DESIGN.md §5). Stripe delivers events late, twice and in any order, so no handler
applies the snapshot inside its event. Every subscription-affecting event instead re-reads the
subscription from Stripe (through `billing.stripe_client`, before any lock is taken) and
`subscription_sync` makes the row equal to that state, under a per-subscription lock, never letting a
state read earlier overwrite one read later (`Subscription.stripe_synced_at`). Side effects
(analytics events, emails) follow *transitions* of the row, so replaying any event in any order
records each of them once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import ACCESS_STATUSES, Subscription, SubscriptionStatus
from billing.plans import plan_for_price
from billing.stripe_client import StripeSubscription
from config.provider_events import EventIgnored
from emails.triggers import (
    abandonment_emails_cancel,
    payment_failed_final_cancel,
    renewal_reminder_reschedule,
)

logger = logging.getLogger(__name__)

# DESIGN.md §4: Stripe status → the seed's status.
STATUS_FROM_STRIPE: dict[str, SubscriptionStatus] = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.TRIALING,
    "past_due": SubscriptionStatus.PAST_DUE,
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "canceled": SubscriptionStatus.CANCELLED,
    "unpaid": SubscriptionStatus.CANCELLED,
    "paused": SubscriptionStatus.CANCELLED,
    "incomplete_expired": SubscriptionStatus.CANCELLED,
}
# A subscription in these Stripe states was never paid for: it has not "started".
NEVER_STARTED = frozenset({"incomplete", "incomplete_expired"})
# Stripe states of an open dunning cycle (the invoice is still being retried or left unpaid).
DUNNING = frozenset({"past_due", "unpaid"})
# Stripe states after which nothing changes any more.
TERMINAL = frozenset({"canceled", "incomplete_expired"})


class UnknownSubscriber(EventIgnored):
    """The event names a customer or subscription that no learner here owns."""


def _lock_subscription_id(stripe_subscription_id: str) -> None:
    """Serialise the writes for one Stripe subscription until the transaction ends, so two webhooks
    for it never interleave their writes (their Stripe reads happen before, outside the lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = f"stripe-subscription:{stripe_subscription_id}"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _owner_for(remote: StripeSubscription, user: User | None) -> User | None:
    if user is not None:
        return user
    if remote.user_id:
        owner = User.objects.filter(pk=remote.user_id).first()
        if owner is not None:
            return owner
    by_customer = Subscription.objects.select_related("user").filter(stripe_customer_id=remote.customer_id).first()
    return by_customer.user if by_customer else None


def _precedence(live: bool, created: datetime | None) -> tuple[bool, datetime]:
    return live, created or datetime.min.replace(tzinfo=UTC)


def subscription_sync(*, remote: StripeSubscription, synced_at: datetime, user: User | None = None) -> Subscription:
    """Make the learner's Subscription equal to `remote`, Stripe's state as read at `synced_at`.

    Idempotent. A state read before the one already applied is skipped. The learner is `user`,
    else the `user_id` our Checkout put in the subscription's metadata, else the owner of the
    customer; none of them → UnknownSubscriber. A learner has one row: a new Stripe subscription
    replaces an ended one, never a live one. Records `subscription_started` / `subscription_cancelled`
    and keeps RENEWAL_REMINDER, PAYMENT_FAILED_FINAL and ABANDONMENT emails in step, each on the
    transition that calls for it. Call inside a transaction.
    """
    rows = Subscription.objects.select_for_update(of=("self",)).select_related("user")
    row = rows.filter(stripe_subscription_id=remote.id).first()
    same_subscription = row is not None
    if row is None:
        owner = _owner_for(remote, user)
        if owner is None:
            raise UnknownSubscriber(f"No learner owns Stripe subscription {remote.id} (customer {remote.customer_id}).")
        row = rows.filter(user=owner).first()
        if row is None:
            row = Subscription(user=owner)
        elif _precedence(row.grants_access, row.stripe_created_at) > _precedence(
            STATUS_FROM_STRIPE.get(remote.status) in ACCESS_STATUSES, remote.created
        ):
            # One row per learner: it follows their live subscription, else their newest one, so
            # late events of a superseded subscription change nothing whatever order they come in.
            raise EventIgnored(f"Stripe subscription {remote.id} is superseded by {row.stripe_subscription_id}.")
    elif row.stripe_synced_at and synced_at < row.stripe_synced_at:
        logger.info("Skipping Stripe state of %s read at %s: %s is newer", remote.id, synced_at, row.stripe_synced_at)
        return row

    before = {
        "stripe_status": row.stripe_status if same_subscription else None,
        "status": row.status if same_subscription else None,
        "renewal": (row.current_period_end, row.cancel_at_period_end, row.grants_access) if same_subscription else None,
    }
    status = STATUS_FROM_STRIPE.get(remote.status)
    if status is None:
        logger.warning("Unknown Stripe subscription status %r on %s: treated as cancelled", remote.status, remote.id)
        status = SubscriptionStatus.CANCELLED

    row.stripe_subscription_id = remote.id
    row.stripe_created_at = remote.created
    row.stripe_customer_id = remote.customer_id
    row.stripe_status = remote.status
    row.status = status
    row.stripe_price_id = remote.price_id
    row.plan = plan_for_price(remote.price_id, remote.interval)
    row.current_period_start = remote.current_period_start
    row.current_period_end = remote.current_period_end
    row.cancel_at_period_end = remote.cancel_at_period_end
    row.cancelled_at = remote.canceled_at
    row.stripe_synced_at = synced_at
    if not same_subscription:
        row.payment_failed_at = None
    leaves_dunning = row.payment_failed_at is not None and remote.status not in DUNNING
    if leaves_dunning:
        row.payment_failed_at = None
    row.save()

    started_before = before["stripe_status"] is not None and before["stripe_status"] not in NEVER_STARTED
    started_now = remote.status not in NEVER_STARTED
    if started_now and not started_before:
        event_track(name=EventName.SUBSCRIPTION_STARTED, user=row.user, properties={"plan": str(row.plan)})
        abandonment_emails_cancel(user=row.user)
    if status == SubscriptionStatus.CANCELLED and before["status"] != SubscriptionStatus.CANCELLED and started_now:
        event_track(
            name=EventName.SUBSCRIPTION_CANCELLED,
            user=row.user,
            properties={"plan": str(row.plan), "stripe_status": remote.status},
        )
    if leaves_dunning:
        payment_failed_final_cancel(subscription=row)
    # Only on a change: rescheduling cancels the pending reminder, and its key (per period end) queues once.
    if before["renewal"] != (row.current_period_end, row.cancel_at_period_end, row.grants_access):
        renewal_reminder_reschedule(subscription=row)
    return row


def _remote_read(stripe_subscription_id: str) -> tuple[StripeSubscription, datetime]:
    """Stripe's state of the subscription and the time it is at least as recent as. Holds no lock
    and must run outside any transaction: a hanging Stripe then blocks nobody else."""
    synced_at = timezone.now()  # taken before the read: the state is at least this recent
    try:
        return stripe_client.subscription_retrieve(stripe_subscription_id), synced_at
    except stripe_client.StripeNotFound as exc:
        raise UnknownSubscriber(f"Stripe has no subscription {stripe_subscription_id}.") from exc


def subscription_refresh(*, stripe_subscription_id: str, user: User | None = None) -> Subscription:
    """Read the subscription from Stripe first, then, in one short transaction holding the
    per-subscription lock, sync the row to it (an older read than the one applied is skipped, so
    reads racing each other still converge). No Stripe call happens under the lock.
    Raises UnknownSubscriber, StripeUnavailable."""
    remote, synced_at = _remote_read(stripe_subscription_id)
    with transaction.atomic():
        _lock_subscription_id(stripe_subscription_id)
        return subscription_sync(remote=remote, synced_at=synced_at, user=user)


def subscription_cancel_immediately(*, subscription: Subscription) -> Subscription:
    """Cancel `subscription` at Stripe now (not at period end) and update the row.

    Used by account deletion and by "Refund and cancel". Idempotent: an ended subscription is left
    alone; one Stripe no longer knows is marked cancelled here. Raises StripeUnavailable when Stripe
    cannot be reached — the caller must not pretend it was cancelled.
    """
    if subscription.stripe_status in TERMINAL:
        return subscription
    sub_id = subscription.stripe_subscription_id
    synced_at = timezone.now()
    try:
        remote = stripe_client.subscription_cancel(sub_id, idempotency_key=f"cancel:{sub_id}")
    except stripe_client.StripeNotFound:
        logger.warning("Stripe has no subscription %s; marking it cancelled here", sub_id)
        with transaction.atomic():
            row = Subscription.objects.select_for_update().get(pk=subscription.pk)
            was_cancelled = row.status == SubscriptionStatus.CANCELLED
            row.status = SubscriptionStatus.CANCELLED
            row.stripe_status = "canceled"
            row.cancelled_at = row.cancelled_at or synced_at
            row.stripe_synced_at = synced_at
            row.save()
            if not was_cancelled:
                event_track(name=EventName.SUBSCRIPTION_CANCELLED, user=row.user, properties={"plan": str(row.plan)})
            renewal_reminder_reschedule(subscription=row)
            payment_failed_final_cancel(subscription=row)
        return row
    with transaction.atomic():
        _lock_subscription_id(sub_id)
        return subscription_sync(remote=remote, synced_at=synced_at, user=subscription.user)


def subscriptions_resync(*, include_ended: bool = False) -> tuple[int, list[str]]:
    """Re-read subscriptions from Stripe and sync each row: repairs drift after missed webhooks
    (Stripe stops retrying a delivery after three days). Ended ones are skipped unless asked.
    Returns (how many were synced, the Stripe ids that failed). Safe to run at any time."""
    rows = Subscription.objects.order_by("pk")
    if not include_ended:
        rows = rows.exclude(stripe_status__in=TERMINAL)
    synced, failed = 0, []
    for stripe_subscription_id in rows.values_list("stripe_subscription_id", flat=True).iterator():
        try:
            subscription_refresh(stripe_subscription_id=stripe_subscription_id)
            synced += 1
        except (EventIgnored, stripe_client.StripeUnavailable) as exc:
            logger.warning("Resync of %s failed: %s", stripe_subscription_id, exc)
            failed.append(stripe_subscription_id)
    return synced, failed
