"""Writes of billing state, by concern: `checkout` (Checkout and the portal), `sync` (the convergent
subscription sync, cancelling, the resync), `refunds`, and `events` (stored Stripe webhook events and
their handlers). Callers import from `billing.services`; the names below are its public surface."""

from billing.plans import plan_for_price, plan_price_id
from billing.services.checkout import NoSubscription, checkout_start, portal_session_start
from billing.services.events import (
    HANDLERS,
    stripe_event_is_open,
    stripe_event_process,
    stripe_event_receive,
    stripe_event_reprocess,
    stripe_events_due,
)
from billing.services.refunds import RefundNotAllowed, refund_record, subscription_refund_and_cancel
from billing.services.sync import (
    DUNNING,
    NEVER_STARTED,
    STATUS_FROM_STRIPE,
    TERMINAL,
    EventIgnored,
    UnknownSubscriber,
    subscription_cancel_immediately,
    subscription_refresh,
    subscription_sync,
    subscriptions_resync,
)

__all__ = [
    "DUNNING",
    "HANDLERS",
    "NEVER_STARTED",
    "STATUS_FROM_STRIPE",
    "TERMINAL",
    "EventIgnored",
    "NoSubscription",
    "RefundNotAllowed",
    "UnknownSubscriber",
    "checkout_start",
    "plan_for_price",
    "plan_price_id",
    "portal_session_start",
    "refund_record",
    "stripe_event_is_open",
    "stripe_event_process",
    "stripe_event_receive",
    "stripe_event_reprocess",
    "stripe_events_due",
    "subscription_cancel_immediately",
    "subscription_refresh",
    "subscription_refund_and_cancel",
    "subscription_sync",
    "subscriptions_resync",
]
