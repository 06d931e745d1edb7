"""Stripe webhook events: store once, dispatch to a handler, record the outcome.

Each handler turns one event type into the sync (`billing.services.sync`) or a refund record;
`stripe_event_process` runs it exactly once per stored event.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import StripeEvent, StripeEventStatus, Subscription
from billing.services.refunds import refund_record
from billing.services.sync import DUNNING, EventIgnored, UnknownSubscriber, subscription_refresh
from billing.stripe_client import WebhookEvent
from emails.triggers import payment_failed_emails_queue

logger = logging.getLogger(__name__)


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
        user=row.user,
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
