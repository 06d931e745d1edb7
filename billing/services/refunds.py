"""Refunds: the admin's "Refund and cancel" and the record of every refund, however it was issued."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_track
from billing import stripe_client
from billing.models import Subscription
from billing.selectors import is_refund_eligible
from billing.services.sync import subscription_cancel_immediately
from config.services import model_update


class RefundNotAllowed(Exception):
    pass


def refund_record(*, subscription: Subscription, charge_id: str, amount: int, source: str, refund_id: str = "") -> bool:
    """Record `refund_issued` for a refund of `charge_id`, once: the admin action and Stripe's
    charge.refunded both report the same refund. Returns whether it was recorded now. Call inside a transaction."""
    row = Subscription.objects.select_for_update(of=("self",)).select_related("user").get(pk=subscription.pk)
    if charge_id and row.refunded_charge_id == charge_id:
        return False
    model_update(instance=row, data={"refunded_at": timezone.now(), "refunded_charge_id": charge_id})
    properties: dict[str, Any] = {"charge": charge_id, "amount": amount, "plan": str(row.plan), "source": source}
    if refund_id:
        properties["refund"] = refund_id
    event_track(name=EventName.REFUND_ISSUED, user=row.user, properties=properties)
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
        metadata={"user_id": subscription.user_id, "subscription": subscription.stripe_subscription_id},
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
