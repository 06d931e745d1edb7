"""The one module that talks to Stripe (DESIGN.md §2). Nothing else imports `stripe`.

It pins the API version (settings.STRIPE_API_VERSION, the one stripe 16.x ships with), sets
timeouts and network retries, points at `STRIPE_API_BASE` when set (a local fake in tests), logs
provider errors with context and hands back plain typed values, never `StripeObject`s.

Field locations follow API 2026-10-28: a subscription's period dates live on its items
(`items.data[].current_period_start/end`), an invoice's subscription is
`invoice.parent.subscription_details.subscription`, and an invoice's payments are
InvoicePayment objects (`/v1/invoice_payments`), no longer `invoice.charge` / `invoice.payment_intent`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

from config.json_body import JSONBodyError, json_object_parse

if TYPE_CHECKING:
    from stripe._base_address import BaseAddresses

logger = logging.getLogger(__name__)


class StripeUnavailable(Exception):
    """Stripe refused or could not be reached. The message is safe to log, not to show."""


class StripeNotFound(StripeUnavailable):
    """Stripe answered that the object does not exist."""


class WebhookSignatureInvalid(Exception):
    """Missing, wrong or stale `Stripe-Signature`, or a body that is not a Stripe event."""


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created: datetime
    object: dict[str, Any]
    payload: dict[str, Any]


@dataclass(frozen=True)
class StripeSubscription:
    id: str
    customer_id: str
    status: str
    price_id: str
    interval: str
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool
    canceled_at: datetime | None
    created: datetime
    user_id: str | None  # metadata.user_id, set by our Checkout Session


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class PaymentRef:
    """The payment behind a paid invoice: a PaymentIntent, or a bare charge for legacy payments."""

    invoice_id: str
    amount: int
    payment_intent_id: str | None
    charge_id: str | None


@dataclass(frozen=True)
class Refund:
    id: str
    charge_id: str | None
    payment_intent_id: str | None
    amount: int
    status: str


# --- the client -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str, api_version: str, timeout: float, retries: int) -> stripe.StripeClient:
    base_addresses: BaseAddresses = {}
    if api_base:
        # Every API base (api, connect, files) goes to the fake: nothing may leak to Stripe.
        base_addresses = {"api": api_base, "connect": api_base, "files": api_base}
    return stripe.StripeClient(
        api_key,
        stripe_version=api_version,
        base_addresses=base_addresses,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise StripeUnavailable("STRIPE_SECRET_KEY is not configured.")
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE.rstrip("/"),
        settings.STRIPE_API_VERSION,
        settings.STRIPE_TIMEOUT_SECONDS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def _call(what: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run one Stripe call, translate its errors, return the response as a plain dict."""
    try:
        result = fn(*args, **kwargs)
    except stripe.InvalidRequestError as exc:
        logger.warning("Stripe %s refused: %s (code=%s, request=%s)", what, exc.user_message, exc.code, exc.request_id)
        if exc.code == "resource_missing":
            raise StripeNotFound(f"Stripe {what}: {exc.user_message or exc}") from exc
        raise StripeUnavailable(f"Stripe {what}: {exc.user_message or exc}") from exc
    except stripe.StripeError as exc:
        logger.error("Stripe %s failed: %s (status=%s, request=%s)", what, exc, exc.http_status, exc.request_id)
        raise StripeUnavailable(f"Stripe {what} failed: {exc.__class__.__name__}") from exc
    return result.to_dict()


def _ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value is not None else None


def expandable_id(value: Any) -> str | None:
    """An expandable field: an id string, an expanded object, or null."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


# --- parsing (also used on webhook payloads) ----------------------------------------------------


def subscription_parse(data: dict[str, Any]) -> StripeSubscription:
    """A Stripe subscription object (API 2026-10-28) as plain values. The period comes from the items."""
    items = (data.get("items") or {}).get("data") or []
    if not items:
        raise ValueError(f"Subscription {data.get('id')} has no items.")
    item = items[0]
    price = item.get("price") or {}
    # A subscription may hold several items; their periods coincide for our one-price plans.
    start = min(i["current_period_start"] for i in items)
    end = max(i["current_period_end"] for i in items)
    metadata = data.get("metadata") or {}
    return StripeSubscription(
        id=data["id"],
        customer_id=expandable_id(data.get("customer")) or "",
        status=data["status"],
        price_id=price.get("id", ""),
        interval=(price.get("recurring") or {}).get("interval", ""),
        current_period_start=_ts(start),  # type: ignore[arg-type]
        current_period_end=_ts(end),  # type: ignore[arg-type]
        # The Customer Portal and the API may schedule the end with `cancel_at` instead of the flag;
        # either way the subscription does not renew when it ends at or before this period's end.
        cancel_at_period_end=bool(data.get("cancel_at_period_end"))
        or (isinstance(data.get("cancel_at"), int) and data["cancel_at"] <= end),
        canceled_at=_ts(data.get("canceled_at")),
        created=_ts(data["created"]),  # type: ignore[arg-type]
        user_id=metadata.get("user_id") or None,
    )


def invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    """API 2026-10-28: an invoice's subscription is `parent.subscription_details.subscription`."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return expandable_id(details.get("subscription"))


# --- webhooks ------------------------------------------------------------------------------------

WEBHOOK_MAX_BYTES = 1024 * 1024
WEBHOOK_MAX_DEPTH = 64
EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")
EVENT_TYPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+){1,5}")
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime can hold


def webhook_event_construct(payload: bytes, signature: str | None) -> WebhookEvent:
    """Verify `Stripe-Signature` over the raw body with Stripe's own scheme and tolerance
    (settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS), then parse the event. Raises WebhookSignatureInvalid."""
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid(str(exc).split(".")[0]) from exc
    except UnicodeDecodeError as exc:
        raise WebhookSignatureInvalid("The body is not UTF-8.") from exc
    try:
        data = json_object_parse(payload, max_bytes=WEBHOOK_MAX_BYTES, max_depth=WEBHOOK_MAX_DEPTH)
    except JSONBodyError as exc:
        raise WebhookSignatureInvalid(f"The body is not a Stripe event: {exc}") from exc
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    # Signed is not the same as sane: a leaked secret or a bug must still not reach the database raw.
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise WebhookSignatureInvalid("The body is not a Stripe event: its id is not a Stripe event id.")
    if not isinstance(event_type, str) or not EVENT_TYPE.fullmatch(event_type):
        raise WebhookSignatureInvalid("The body is not a Stripe event: its type is not a Stripe event type.")
    if isinstance(created, bool) or not isinstance(created, int) or not 0 < created < MAX_TIMESTAMP:
        raise WebhookSignatureInvalid("The body is not a Stripe event: `created` is not a time.")
    if not isinstance(obj, dict):
        raise WebhookSignatureInvalid("The body is not a Stripe event: it has no data.object.")
    return WebhookEvent(id=event_id, type=event_type, created=_ts(created), object=obj, payload=data)  # type: ignore[arg-type]


# --- API calls -----------------------------------------------------------------------------------


def checkout_session_create(
    *,
    price_id: str,
    user_id: str,
    email: str,
    customer_id: str | None,
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """A subscription-mode Checkout Session for one price. An existing customer is reused;
    otherwise Checkout creates one, prefilled with the learner's email. The user id rides along
    as `client_reference_id` and as metadata on the subscription, so any subscription event can
    be linked to the learner whatever order the events arrive in."""
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "client_reference_id": user_id,
        "allow_promotion_codes": True,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {"user_id": user_id},
        "subscription_data": {"metadata": {"user_id": user_id}},
    }
    if customer_id:
        params["customer"] = customer_id
    else:
        params["customer_email"] = email
    data = _call("checkout session create", _client().v1.checkout.sessions.create, params)
    return CheckoutSession(id=data["id"], url=data["url"])


def portal_session_create(*, customer_id: str, return_url: str) -> str:
    """A Customer Portal session; returns the URL to send the learner to."""
    data = _call(
        "portal session create",
        _client().v1.billing_portal.sessions.create,
        {"customer": customer_id, "return_url": return_url},
    )
    return str(data["url"])


def subscription_retrieve(subscription_id: str) -> StripeSubscription:
    """Stripe's current state of a subscription (cancelled ones are still retrievable)."""
    data = _call("subscription retrieve", _client().v1.subscriptions.retrieve, subscription_id)
    return subscription_parse(data)


def subscription_cancel(subscription_id: str, *, idempotency_key: str) -> StripeSubscription:
    """Cancel now (not at period end). Returns the cancelled subscription."""
    data = _call(
        "subscription cancel",
        _client().v1.subscriptions.cancel,
        subscription_id,
        options={"idempotency_key": idempotency_key},
    )
    return subscription_parse(data)


def latest_payment_for_subscription(subscription_id: str) -> PaymentRef | None:
    """The payment of the subscription's most recent paid invoice, or None when nothing was paid."""
    client = _client()
    invoices = _call(
        "invoice list",
        client.v1.invoices.list,
        {"subscription": subscription_id, "status": "paid", "limit": 1},
    )
    if not invoices.get("data"):
        return None
    invoice = invoices["data"][0]
    payments = _call(
        "invoice payment list",
        client.v1.invoice_payments.list,
        {"invoice": invoice["id"], "status": "paid", "limit": 10},
    )
    for row in payments.get("data") or []:
        payment = row.get("payment") or {}
        payment_intent = expandable_id(payment.get("payment_intent"))
        charge = expandable_id(payment.get("charge"))
        if payment_intent or charge:
            return PaymentRef(
                invoice_id=invoice["id"],
                amount=int(row.get("amount_paid") or invoice.get("amount_paid") or 0),
                payment_intent_id=payment_intent,
                charge_id=charge,
            )
    return None


def refund_create(*, payment: PaymentRef, idempotency_key: str, metadata: dict[str, str]) -> Refund:
    """Refund a payment in full."""
    params: dict[str, Any] = {"metadata": metadata}
    if payment.payment_intent_id:
        params["payment_intent"] = payment.payment_intent_id
    else:
        params["charge"] = payment.charge_id
    data = _call("refund create", _client().v1.refunds.create, params, options={"idempotency_key": idempotency_key})
    return Refund(
        id=data["id"],
        charge_id=expandable_id(data.get("charge")),
        payment_intent_id=expandable_id(data.get("payment_intent")),
        amount=int(data.get("amount") or 0),
        status=str(data.get("status") or ""),
    )
