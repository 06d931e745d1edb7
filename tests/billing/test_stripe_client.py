"""The client module against the fake Stripe: the real `stripe` library builds every request."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from billing import stripe_client
from tests.billing.stripe_events import lifecycle_event, load, sign, subscription_state


def test_checkout_session_create_sends_subscription_mode_with_reused_customer(fake_stripe, settings):
    fake_stripe.customers.add("cus_existing")
    session = stripe_client.checkout_session_create(
        price_id="price_annual_test",
        user_id="user123",
        email="a@example.com",
        customer_id="cus_existing",
        success_url="http://testserver/billing/success/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://testserver/pricing/",
    )
    assert session.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    params = request.params
    assert params["mode"] == "subscription"
    assert params["line_items[0][price]"] == "price_annual_test"
    assert params["line_items[0][quantity]"] == "1"
    assert params["client_reference_id"] == "user123"
    assert params["customer"] == "cus_existing"
    assert "customer_email" not in params
    assert params["allow_promotion_codes"] == "true"
    assert params["subscription_data[metadata][user_id]"] == "user123"
    assert params["success_url"] == "http://testserver/billing/success/?session_id={CHECKOUT_SESSION_ID}"
    # The pinned API version and the secret key from settings, on the wire.
    assert request.headers["stripe-version"] == settings.STRIPE_API_VERSION == "2026-10-28.endive"
    assert request.headers["authorization"] == "Bearer sk_test_syllabus"


def test_checkout_without_customer_prefills_the_email(fake_stripe):
    stripe_client.checkout_session_create(
        price_id="price_monthly_test",
        user_id="u1",
        email="new@example.com",
        customer_id=None,
        success_url="http://testserver/s",
        cancel_url="http://testserver/c",
    )
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["customer_email"] == "new@example.com"
    assert "customer" not in request.params


def test_subscription_period_comes_from_the_items(fake_stripe):
    state = subscription_state("annual", user_id="u1")
    # Make sure nothing is read from the subscription's top level (gone in this API version).
    state.pop("current_period_start", None)
    state.pop("current_period_end", None)
    fake_stripe.put_subscription(state)
    remote = stripe_client.subscription_retrieve(state["id"])
    item = state["items"]["data"][0]
    assert remote.current_period_start == datetime.fromtimestamp(item["current_period_start"], tz=UTC)
    assert remote.current_period_end == datetime.fromtimestamp(item["current_period_end"], tz=UTC)
    assert remote.price_id == "price_annual_test"
    assert remote.interval == "year"
    assert remote.user_id == "u1"
    assert remote.customer_id == state["customer"]
    assert remote.status == "active"
    assert remote.cancel_at_period_end is False


def test_a_scheduled_cancel_at_the_period_end_counts_as_not_renewing():
    """The portal may schedule the end with `cancel_at` rather than `cancel_at_period_end`."""
    state = subscription_state("annual", user_id="u1")
    period_end = state["items"]["data"][0]["current_period_end"]
    assert stripe_client.subscription_parse({**state, "cancel_at": period_end}).cancel_at_period_end is True
    assert (
        stripe_client.subscription_parse({**state, "cancel_at": period_end + 86_400 * 400}).cancel_at_period_end
        is False
    )
    assert stripe_client.subscription_parse({**state, "cancel_at": None}).cancel_at_period_end is False


def test_invoice_subscription_comes_from_parent():
    invoice = lifecycle_event("03_invoice.paid", user_id="u1")["data"]["object"]
    assert "subscription" not in invoice  # not at the top level in API 2026-10-28
    assert stripe_client.invoice_subscription_id(invoice) == invoice["parent"]["subscription_details"]["subscription"]
    one_off = load("invoice.paid.one_off")["data"]["object"]
    assert stripe_client.invoice_subscription_id(one_off) is None


def test_missing_subscription_is_not_found(fake_stripe):
    with pytest.raises(stripe_client.StripeNotFound):
        stripe_client.subscription_retrieve("sub_nope")


def test_stripe_outage_is_stripe_unavailable(fake_stripe):
    fake_stripe.fail_next("GET", "/v1/subscriptions/", status=500)
    with pytest.raises(stripe_client.StripeUnavailable) as excinfo:
        stripe_client.subscription_retrieve("sub_x")
    assert not isinstance(excinfo.value, stripe_client.StripeNotFound)


def test_unreachable_stripe_is_stripe_unavailable(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(stripe_client.StripeUnavailable):
        stripe_client.subscription_retrieve("sub_x")


def test_network_retries_are_configured(fake_stripe, settings, monkeypatch):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    backoffs: list[float] = []
    # The stripe library backs off with time.sleep between attempts; record it instead of waiting.
    monkeypatch.setattr(time, "sleep", backoffs.append)
    fake_stripe.fail_next("GET", "/v1/subscriptions/", status=409, code="lock_timeout")
    state = subscription_state("active_month1", user_id="u1")
    fake_stripe.put_subscription(state)
    assert stripe_client.subscription_retrieve(state["id"]).status == "active"
    assert len(fake_stripe.requests_to("GET", f"/v1/subscriptions/{state['id']}")) == 2
    assert len(backoffs) == 1


def test_missing_secret_key_refuses_to_call(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(stripe_client.StripeUnavailable):
        stripe_client.subscription_retrieve("sub_x")


def test_cancel_carries_an_idempotency_key(fake_stripe):
    state = subscription_state("active_month2", user_id="u1")
    fake_stripe.put_subscription(state)
    remote = stripe_client.subscription_cancel(state["id"], idempotency_key="cancel:abc")
    assert remote.status == "canceled"
    [request] = fake_stripe.requests_to("DELETE", "/v1/subscriptions/")
    assert request.headers["idempotency-key"] == "cancel:abc"
    # The same key again is answered from Stripe's idempotency cache, not a second cancellation.
    assert stripe_client.subscription_cancel(state["id"], idempotency_key="cancel:abc").status == "canceled"


def test_latest_payment_and_refund(fake_stripe):
    fake_stripe.put_paid_invoice(
        invoice_id="in_old",
        subscription_id="sub_1",
        amount=4900,
        created=100,
        charge_id="ch_old",
        payment_intent_id="pi_old",
    )
    fake_stripe.put_paid_invoice(
        invoice_id="in_new",
        subscription_id="sub_1",
        amount=39900,
        created=200,
        charge_id="ch_new",
        payment_intent_id="pi_new",
    )
    payment = stripe_client.latest_payment_for_subscription("sub_1")
    assert payment == stripe_client.PaymentRef(
        invoice_id="in_new", amount=39900, payment_intent_id="pi_new", charge_id=None
    )
    refund = stripe_client.refund_create(payment=payment, idempotency_key="refund:1", metadata={"user_id": "u"})
    assert refund.charge_id == "ch_new"
    assert refund.amount == 39900
    assert stripe_client.latest_payment_for_subscription("sub_nothing_paid") is None


# --- webhook verification ------------------------------------------------------------------------


def _body() -> bytes:
    return json.dumps(load("customer.created")).encode()


def test_webhook_event_construct_accepts_stripe_signature():
    body = _body()
    event = stripe_client.webhook_event_construct(body, sign(body))
    assert event.type == "customer.created"
    assert event.id == "evt_1SyLbUsLifecycle0000021"
    assert event.object["object"] == "customer"
    assert event.created.tzinfo is not None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=notanumber,v1=abc",
        "v1=deadbeef",
    ],
)
def test_webhook_event_construct_refuses_malformed_headers(header):
    with pytest.raises(stripe_client.WebhookSignatureInvalid):
        stripe_client.webhook_event_construct(_body(), header)


def test_webhook_event_construct_refuses_wrong_secret_stale_and_tampered():
    body = _body()
    with pytest.raises(stripe_client.WebhookSignatureInvalid):
        stripe_client.webhook_event_construct(body, sign(body, secret="whsec_someone_else"))
    with pytest.raises(stripe_client.WebhookSignatureInvalid):
        stripe_client.webhook_event_construct(body, sign(body, timestamp=int(time.time()) - 301))
    with pytest.raises(stripe_client.WebhookSignatureInvalid):
        stripe_client.webhook_event_construct(body + b" ", sign(body))
    # Just inside the 5-minute tolerance is fine.
    assert stripe_client.webhook_event_construct(body, sign(body, timestamp=int(time.time()) - 290))


def test_webhook_event_construct_refuses_signed_non_events():
    for body in (b"not json", b"{}", b'{"id": "evt_1", "type": "x"}', "\u00e9".encode("latin-1")):
        with pytest.raises(stripe_client.WebhookSignatureInvalid):
            stripe_client.webhook_event_construct(
                body, sign(body) if body != "\u00e9".encode("latin-1") else "t=1,v1=a"
            )
