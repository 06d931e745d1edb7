"""Webhook fixtures (tests/fixtures/stripe/) and Stripe's signing scheme, written out here on purpose:
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>`."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import TestCase

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stripe"
FIXTURE_USER_ID = "fixtureuser00000000000001"

LIFECYCLE = [
    "01_checkout.session.completed",
    "02_customer.subscription.created",
    "03_invoice.paid",
    "04_invoice.payment_failed",
    "05_customer.subscription.updated",
    "06_invoice.paid",
    "07_customer.subscription.updated",
    "08_customer.subscription.updated",
    "09_invoice.paid",
    "10_customer.subscription.updated",
    "11_customer.subscription.deleted",
]


@cache
def _read(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def load(name: str, *, user_id: str | None = None) -> dict[str, Any]:
    """A fixture as a fresh dict; `user_id` replaces the fixture learner's id everywhere."""
    text = _read(name)
    if user_id is not None:
        text = text.replace(FIXTURE_USER_ID, user_id)
    return json.loads(text)


def lifecycle_event(step: str, *, user_id: str) -> dict[str, Any]:
    return load(f"lifecycle/{step}", user_id=user_id)


def subscription_state(name: str, *, user_id: str) -> dict[str, Any]:
    return load(f"subscriptions/{name}", user_id=user_id)


def sign(body: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(client: Any, event: dict[str, Any] | bytes, **sign_kwargs: Any) -> Any:
    """POST an event to the webhook exactly as Stripe does: raw JSON body, signed. The processing
    task queued when the stored event commits runs then (eager Celery), as a worker would run it;
    what that task queues on commit in turn (emails due now) stays queued, as before."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    with TestCase.captureOnCommitCallbacks() as queued:
        response = client.post(
            "/webhooks/stripe/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, **sign_kwargs),
        )
    for callback in queued:
        callback()
    return response


def with_changes(event: dict[str, Any], **object_changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    changed["data"]["object"].update(object_changes)
    return changed
