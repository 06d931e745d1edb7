"""Stripe webhook events (config/provider_events.py): store once, answer 200, process as a job.

Each handler turns one event type into the sync (`billing.services.sync`) or a refund record; it
reads Stripe first and then writes in short transactions, so no Stripe call happens under a lock.
`stripe_event_process` runs it once per stored event; failures are retried by the sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from accounts.models import User
from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import StripeEvent, StripeEventStatus, Subscription
from billing.services.refunds import refund_record
from billing.services.sync import (
    DUNNING,
    EventIgnored,
    UnknownSubscriber,
    _lock_subscription_id,
    subscription_refresh,
)
from billing.stripe_client import WebhookEvent
from config.provider_events import (
    OPEN_STATUSES,
    provider_event_process,
    provider_event_reopen,
    provider_event_store,
    provider_events_due,
)
from emails.triggers import payment_failed_emails_queue

logger = logging.getLogger(__name__)


def _on_checkout_session_completed(event: WebhookEvent) -> None:
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
    synced = _invoice_subscription(event)
    invoice = event.object
    # A second short transaction, again under the per-subscription lock: if it fails, the retried
    # event re-syncs (a no-op) and runs this again, so each failure is recorded once.
    with transaction.atomic():
        _lock_subscription_id(synced.stripe_subscription_id)
        row = Subscription.objects.select_for_update(of=("self",)).select_related("user").get(pk=synced.pk)
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
    with transaction.atomic():
        refund_record(
            subscription=row,
            charge_id=str(charge["id"]),
            amount=int(charge.get("amount_refunded") or 0),
            source="stripe",
        )


# The dispatch table: one handler per event type, each reading Stripe first and then writing in short
# transactions. New types are one line here; unknown types are stored and IGNORED.
# The dispatch table: one handler per event type, each reading Stripe first and then writing in short
# transactions. New types are one line here; unknown types are stored and IGNORED.
HANDLERS: dict[str, Callable[[WebhookEvent], None]] = {
    "checkout.session.completed": _on_checkout_session_completed,
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_event,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_payment_failed,
    "charge.refunded": _on_charge_refunded,
}


# --- stored events (config/provider_events.py: store once, answer 200, process as a job) -------


def stripe_event_receive(*, event: WebhookEvent) -> StripeEvent:
    """Store a verified event once and return it; the caller queues its processing when it is open.
    An event whose `api_version` is not the pinned one is stored, logged and flagged for the admin
    (it is still processed: every handler re-reads the subscription with the pinned version)."""
    api_version = str(event.payload.get("api_version") or "")[:64]
    flag = ""
    if api_version and api_version != settings.STRIPE_API_VERSION:
        flag = f"API version {api_version} is not the pinned {settings.STRIPE_API_VERSION}."
        logger.warning("Stripe event %s (%s): %s", event.id, event.type, flag)
    stored, _created = provider_event_store(
        model=StripeEvent,
        lookup={"stripe_event_id": event.id},
        defaults={
            "type": event.type,
            "stripe_created": event.created,
            "payload": event.payload,
            "api_version": api_version,
            "flag": flag,
        },
    )
    return stored


def stripe_event_is_open(stripe_event: StripeEvent) -> bool:
    return stripe_event.status in OPEN_STATUSES


def _event_from_stored(stored: StripeEvent) -> WebhookEvent:
    return WebhookEvent(
        id=stored.stripe_event_id,
        type=stored.type,
        created=stored.stripe_created,
        object=dict(stored.payload["data"]["object"]),
        payload=stored.payload,
    )


def _dispatch(stored: StripeEvent) -> None:
    handler = HANDLERS.get(stored.type)
    if handler is None:
        raise EventIgnored(f"Syllabus does not handle {stored.type} events.")
    handler(_event_from_stored(stored))


def stripe_event_process(*, stripe_event_pk: str) -> StripeEvent | None:
    """Dispatch a stored event to its handler, once (config.provider_events.provider_event_process):
    PROCESSED, IGNORED with the reason, or RETRYING with the error until FAILED. Call outside a
    transaction: handlers read Stripe before taking their short locks."""
    return provider_event_process(model=StripeEvent, event_pk=stripe_event_pk, handle=_dispatch)


def stripe_event_reprocess(*, stripe_event: StripeEvent) -> StripeEvent:
    """The admin's "reprocess": run a FAILED, IGNORED or unfinished event again now.
    A PROCESSED event is left alone (its analytics and emails are already recorded)."""
    if stripe_event.status == StripeEventStatus.PROCESSED:
        return stripe_event
    provider_event_reopen(model=StripeEvent, event_pk=stripe_event.pk)
    return stripe_event_process(stripe_event_pk=stripe_event.pk) or stripe_event


def stripe_events_due() -> list[str]:
    """The stored events the sweeper queues again (unclaimed, or due for a retry)."""
    return provider_events_due(model=StripeEvent)
