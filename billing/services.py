"""Writes of billing state: Checkout, the portal, Stripe webhooks, cancellations and refunds.

Convergence (DESIGN.md §5). Stripe delivers events late, twice and in any order, so no handler
applies the snapshot inside its event. Every subscription-affecting event instead re-reads the
subscription from Stripe (through `billing.stripe_client`) and `subscription_sync` makes the row equal
to that state, under a per-subscription lock, never letting a state read earlier overwrite one read
later (`Subscription.stripe_synced_at`). Side effects (analytics events, emails) follow *transitions*
of the row, so replaying any event in any order records each of them once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import (
    ACCESS_STATUSES,
    StripeEvent,
    StripeEventStatus,
    Subscription,
    SubscriptionPlan,
    SubscriptionStatus,
)
from billing.selectors import is_refund_eligible, subscription_for
from billing.stripe_client import StripeSubscription, WebhookEvent
from emails.triggers import (
    abandonment_emails_cancel,
    payment_failed_emails_queue,
    payment_failed_final_cancel,
    renewal_reminder_reschedule,
)

if TYPE_CHECKING:
    from accounts.models import User

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


class EventIgnored(Exception):
    """The event is stored and answered 200 but changes nothing (the message says why)."""


class UnknownSubscriber(EventIgnored):
    """The event names a customer or subscription that no learner here owns."""


class RefundNotAllowed(Exception):
    pass


class NoSubscription(Exception):
    pass


# --- plans -------------------------------------------------------------------------------------


def plan_price_id(plan: SubscriptionPlan | str) -> str:
    return settings.STRIPE_PRICE_ANNUAL if plan == SubscriptionPlan.ANNUAL else settings.STRIPE_PRICE_MONTHLY


def plan_for_price(price_id: str, interval: str = "") -> SubscriptionPlan:
    """The plan of a Stripe price: by id (settings), else by its billing interval."""
    if price_id in (settings.STRIPE_PRICE_ANNUAL, settings.STRIPE_PRICE_TEAM_ANNUAL):
        return SubscriptionPlan.ANNUAL
    if price_id in (settings.STRIPE_PRICE_MONTHLY, settings.STRIPE_PRICE_TEAM_MONTHLY):
        return SubscriptionPlan.MONTHLY
    logger.warning("Stripe price %s is neither configured plan; judging by its interval %r", price_id, interval)
    return SubscriptionPlan.ANNUAL if interval == "year" else SubscriptionPlan.MONTHLY


# --- Checkout and the portal ---------------------------------------------------------------------


def checkout_start(*, user: User, plan: SubscriptionPlan, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout Session for `plan` and return its URL. The learner's existing Stripe
    customer is reused. Records `checkout_started`. Raises StripeUnavailable."""
    subscription = subscription_for(user)
    session = stripe_client.checkout_session_create(
        price_id=plan_price_id(plan),
        user_id=user.pk,
        email=user.email,
        customer_id=subscription.stripe_customer_id if subscription else None,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    event_track(name=EventName.CHECKOUT_STARTED, user=user, properties={"plan": str(plan), "session": session.id})
    return session.url


def portal_session_start(*, user: User, return_url: str) -> str:
    """A Customer Portal session for the learner's Stripe customer. Raises NoSubscription, StripeUnavailable."""
    subscription = subscription_for(user)
    if subscription is None or not subscription.stripe_customer_id:
        raise NoSubscription("There is no subscription to manage yet.")
    return stripe_client.portal_session_create(customer_id=subscription.stripe_customer_id, return_url=return_url)


# --- the convergent sync -------------------------------------------------------------------------


def _lock_subscription_id(stripe_subscription_id: str) -> None:
    """Serialise everything done for one Stripe subscription until the transaction ends, so two
    webhooks for it never interleave their read-from-Stripe and their write."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = f"stripe-subscription:{stripe_subscription_id}"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _owner_for(remote: StripeSubscription, user: User | None) -> User | None:
    from accounts.models import User

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
        if remote.team_id:
            # Issue 17: a team's seats. Same rules as a learner's row, keyed by the team instead.
            row, team_id = _team_row(rows, remote)
            if row is None:
                row = Subscription(team_id=team_id)
        else:
            owner = _owner_for(remote, user)
            if owner is None:
                raise UnknownSubscriber(
                    f"No learner owns Stripe subscription {remote.id} (customer {remote.customer_id})."
                )
            row = rows.filter(user=owner).first()
            if row is None:
                row = Subscription(user=owner)
        # An existing row of the same owner (not a new one).
        if not row._state.adding and _precedence(row.grants_access, row.stripe_created_at) > _precedence(
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
    row.quantity = remote.quantity
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

    contact = row.contact  # the learner, or the team's billing contact (None once they are gone)
    started_before = before["stripe_status"] is not None and before["stripe_status"] not in NEVER_STARTED
    started_now = remote.status not in NEVER_STARTED
    if started_now and not started_before:
        event_track(name=EventName.SUBSCRIPTION_STARTED, user=contact, properties=_plan_properties(row))
        if row.user is not None:  # a team's members have their own abandonment guard (has_access at send time)
            abandonment_emails_cancel(user=row.user)
    if status == SubscriptionStatus.CANCELLED and before["status"] != SubscriptionStatus.CANCELLED and started_now:
        event_track(
            name=EventName.SUBSCRIPTION_CANCELLED,
            user=contact,
            properties={"plan": str(row.plan), "stripe_status": remote.status},
        )
    if leaves_dunning:
        payment_failed_final_cancel(subscription=row)
    # Only on a change: rescheduling cancels the pending reminder, and its key (per period end) queues once.
    if before["renewal"] != (row.current_period_end, row.cancel_at_period_end, row.grants_access):
        renewal_reminder_reschedule(subscription=row)
    return row


def _team_row(rows: Any, remote: StripeSubscription) -> tuple[Subscription | None, str]:
    """The team's current row (if any) and the team's id; UnknownSubscriber when the team is gone."""
    from teams.models import Team

    if not Team.objects.filter(pk=remote.team_id).exists():
        raise UnknownSubscriber(f"No team {remote.team_id} owns Stripe subscription {remote.id}.")
    return rows.filter(team_id=remote.team_id).first(), str(remote.team_id)


def _plan_properties(row: Subscription) -> dict[str, Any]:
    if row.team_id:
        return {"plan": str(row.plan), "team": row.team_id, "seats": row.quantity}
    return {"plan": str(row.plan)}


def subscription_refresh(*, stripe_subscription_id: str, user: User | None = None) -> Subscription:
    """Read the subscription from Stripe and sync the row to it, holding the per-subscription lock.
    Call inside a transaction. Raises UnknownSubscriber, StripeUnavailable."""
    _lock_subscription_id(stripe_subscription_id)
    synced_at = timezone.now()  # taken before the read: the state is at least this recent
    try:
        remote = stripe_client.subscription_retrieve(stripe_subscription_id)
    except stripe_client.StripeNotFound as exc:
        raise UnknownSubscriber(f"Stripe has no subscription {stripe_subscription_id}.") from exc
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
                event_track(name=EventName.SUBSCRIPTION_CANCELLED, user=row.contact, properties={"plan": str(row.plan)})
            renewal_reminder_reschedule(subscription=row)
            payment_failed_final_cancel(subscription=row)
        return row
    with transaction.atomic():
        _lock_subscription_id(sub_id)
        return subscription_sync(remote=remote, synced_at=synced_at, user=subscription.user)


# --- refunds -------------------------------------------------------------------------------------


def refund_record(*, subscription: Subscription, charge_id: str, amount: int, source: str, refund_id: str = "") -> bool:
    """Record `refund_issued` for a refund of `charge_id`, once: the admin action and Stripe's
    charge.refunded both report the same refund. Returns whether it was recorded now. Call inside a transaction."""
    row = Subscription.objects.select_for_update(of=("self",)).select_related("user").get(pk=subscription.pk)
    if charge_id and row.refunded_charge_id == charge_id:
        return False
    row.refunded_at = timezone.now()
    row.refunded_charge_id = charge_id
    row.save(update_fields=["refunded_at", "refunded_charge_id", "updated_at"])
    properties: dict[str, Any] = {"charge": charge_id, "amount": amount, "plan": str(row.plan), "source": source}
    if refund_id:
        properties["refund"] = refund_id
    event_track(name=EventName.REFUND_ISSUED, user=row.contact, properties=properties)
    return True


def subscription_refund_and_cancel(*, subscription: Subscription) -> stripe_client.Refund:
    """Refund the latest payment in full, then cancel now (seed §9: only within 90 days of creation).

    The refund comes first: a learner must never lose access without the money back. Both Stripe
    calls carry idempotency keys, so running this again after a failure is safe.
    Raises RefundNotAllowed, StripeUnavailable.
    """
    if not is_refund_eligible(subscription):
        raise RefundNotAllowed(f"Subscriptions older than {settings.REFUND_WINDOW_DAYS} days are not refundable.")
    payment = stripe_client.latest_payment_for_subscription(subscription.stripe_subscription_id)
    if payment is None:
        raise RefundNotAllowed("Stripe has no paid invoice for this subscription.")
    refund = stripe_client.refund_create(
        payment=payment,
        idempotency_key=f"refund:{subscription.stripe_subscription_id}:{payment.invoice_id}",
        metadata={
            "user_id": subscription.user_id or "",
            "team_id": subscription.team_id or "",
            "subscription": subscription.stripe_subscription_id,
        },
    )
    with transaction.atomic():
        refund_record(
            subscription=subscription,
            charge_id=refund.charge_id or payment.charge_id or payment.payment_intent_id or "",
            amount=refund.amount or payment.amount,
            source="admin",
            refund_id=refund.id,
        )
    subscription_cancel_immediately(subscription=subscription)
    return refund


# --- webhook handlers ----------------------------------------------------------------------------


def _on_checkout_session_completed(event: WebhookEvent) -> None:
    from accounts.models import User

    session = event.object
    if session.get("mode") != "subscription":
        raise EventIgnored(f"Checkout Session {session.get('id')} is not a subscription checkout.")
    subscription_id = stripe_client.expandable_id(session.get("subscription"))
    user = User.objects.filter(pk=session.get("client_reference_id") or "").first()
    if not subscription_id or user is None:
        raise UnknownSubscriber(
            f"Checkout Session {session.get('id')} names no known learner "
            f"(client_reference_id={session.get('client_reference_id')!r}) or no subscription."
        )
    subscription_refresh(stripe_subscription_id=subscription_id, user=user)


def _on_subscription_event(event: WebhookEvent) -> None:
    subscription_refresh(stripe_subscription_id=str(event.object["id"]))


def _invoice_subscription(event: WebhookEvent) -> Subscription:
    subscription_id = stripe_client.invoice_subscription_id(event.object)
    if not subscription_id:
        raise EventIgnored(f"Invoice {event.object.get('id')} does not belong to a subscription.")
    return subscription_refresh(stripe_subscription_id=subscription_id)


def _on_invoice_paid(event: WebhookEvent) -> None:
    # The sync clears the dunning state (payment_failed_at, PAYMENT_FAILED_FINAL) once Stripe says
    # the subscription is paid up, and moves the RENEWAL_REMINDER to the new period's end.
    _invoice_subscription(event)


def _on_invoice_payment_failed(event: WebhookEvent) -> None:
    row = _invoice_subscription(event)
    invoice = event.object
    event_track(
        name=EventName.PAYMENT_FAILED,
        user=row.contact,
        properties={"invoice": invoice.get("id"), "attempt": invoice.get("attempt_count"), "plan": str(row.plan)},
    )
    # Only a failure Stripe still stands by opens a dunning cycle: delivered after the invoice was
    # paid (or the subscription ended), it is history.
    if row.stripe_status in DUNNING and row.payment_failed_at is None:
        row.payment_failed_at = event.created
        row.save(update_fields=["payment_failed_at", "updated_at"])
        payment_failed_emails_queue(subscription=row, failed_at=event.created)


def _on_charge_refunded(event: WebhookEvent) -> None:
    charge = event.object
    customer_id = stripe_client.expandable_id(charge.get("customer"))
    row = Subscription.objects.filter(stripe_customer_id=customer_id).first() if customer_id else None
    if row is None:
        raise UnknownSubscriber(f"Charge {charge.get('id')} belongs to no known customer ({customer_id}).")
    refund_record(
        subscription=row, charge_id=str(charge["id"]), amount=int(charge.get("amount_refunded") or 0), source="stripe"
    )


HANDLERS: dict[str, Callable[[WebhookEvent], None]] = {
    "checkout.session.completed": _on_checkout_session_completed,
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_event,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_payment_failed,
    "charge.refunded": _on_charge_refunded,
}


# --- stored events -------------------------------------------------------------------------------


def stripe_event_receive(*, event: WebhookEvent) -> StripeEvent:
    """Store a verified event once, then process it. A repeat of a processed or ignored event does
    nothing; a repeat of a failed one (Stripe retrying after our 500) processes it again."""
    stored, _created = StripeEvent.objects.get_or_create(
        stripe_event_id=event.id,
        defaults={"type": event.type, "stripe_created": event.created, "payload": event.payload},
    )
    return stripe_event_process(stripe_event=stored)


def _event_from_stored(stored: StripeEvent) -> WebhookEvent:
    return WebhookEvent(
        id=stored.stripe_event_id,
        type=stored.type,
        created=stored.stripe_created,
        object=dict(stored.payload["data"]["object"]),
        payload=stored.payload,
    )


def stripe_event_process(*, stripe_event: StripeEvent) -> StripeEvent:
    """Dispatch a stored event to its handler, exactly once.

    Unknown types → IGNORED. A handler's EventIgnored → IGNORED with the reason in `error`.
    Any other failure rolls the handler's writes back and leaves the event FAILED with the error,
    to be retried by Stripe or reprocessed from the admin. PROCESSED / IGNORED events are left alone.
    """
    try:
        with transaction.atomic():
            # FOR UPDATE: a concurrent delivery of the same event waits here, then finds it done.
            stored = StripeEvent.objects.select_for_update().get(pk=stripe_event.pk)
            if stored.status in (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED):
                return stored
            handler = HANDLERS.get(stored.type)
            if handler is None:
                stored.status, stored.error = StripeEventStatus.IGNORED, ""
            else:
                try:
                    with transaction.atomic():
                        handler(_event_from_stored(stored))
                    stored.status, stored.error = StripeEventStatus.PROCESSED, ""
                except EventIgnored as exc:
                    logger.warning("Stripe event %s (%s) ignored: %s", stored.stripe_event_id, stored.type, exc)
                    stored.status, stored.error = StripeEventStatus.IGNORED, str(exc)
            stored.processed_at = timezone.now()
            stored.save(update_fields=["status", "error", "processed_at"])
            return stored
    except Exception:  # any handler failure must be stored and answered 500 so Stripe retries
        logger.exception("Stripe event %s (%s) failed", stripe_event.stripe_event_id, stripe_event.type)
        StripeEvent.objects.filter(pk=stripe_event.pk).update(
            status=StripeEventStatus.FAILED, error=traceback.format_exc()[-4000:], processed_at=None
        )
        stripe_event.refresh_from_db()
        return stripe_event


def stripe_event_reprocess(*, stripe_event: StripeEvent) -> StripeEvent:
    """The admin's "reprocess": run a FAILED, IGNORED or never-finished event again.
    A PROCESSED event is left alone (its analytics and emails are already recorded)."""
    if stripe_event.status == StripeEventStatus.PROCESSED:
        return stripe_event
    StripeEvent.objects.filter(pk=stripe_event.pk).exclude(status=StripeEventStatus.PROCESSED).update(
        status=StripeEventStatus.RECEIVED, error=""
    )
    return stripe_event_process(stripe_event=stripe_event)


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
            with transaction.atomic():
                subscription_refresh(stripe_subscription_id=stripe_subscription_id)
            synced += 1
        except (EventIgnored, stripe_client.StripeUnavailable) as exc:
            logger.warning("Resync of %s failed: %s", stripe_subscription_id, exc)
            failed.append(stripe_subscription_id)
    return synced, failed
