"""A small fake of Stripe's HTTP API on 127.0.0.1, for the real `stripe` library to talk to.

Tests point `settings.STRIPE_API_BASE` at it, so the whole client module runs unchanged: request
encoding, API version header, idempotency keys, error translation. It holds the "current" state of
the objects it knows (subscriptions, invoices, payments) and records every request it receives.
Only the endpoints Syllabus uses exist; anything else is a 404 like Stripe's.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class Failure:
    method: str
    path_prefix: str
    status: int
    body: dict[str, Any]
    times: int = 1


@dataclass
class FakeStripe:
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_payments: list[dict[str, Any]] = field(default_factory=list)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # A Stripe brownout: requests matching (method, path prefix) wait until `release()` (or 60 s).
    hangs: list[tuple[str, str]] = field(default_factory=list)
    hanging: list[RecordedRequest] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    # --- test-facing helpers -----------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            for store in (
                self.subscriptions,
                self.invoices,
                self.payment_intents,
                self.refunds,
                self.checkout_sessions,
                self.portal_sessions,
                self.idempotent,
                self.coupons,
                self.prices,
            ):
                store.clear()
            self.invoice_payments.clear()
            self.customers.clear()
            self.requests.clear()
            self.failures.clear()
            self.hangs.clear()
            self.hanging.clear()
        self.released.set()  # let any request still hanging from an earlier test go
        self.released = threading.Event()

    def put_subscription(self, subscription: dict[str, Any]) -> None:
        """Make `subscription` Stripe's current state of it."""
        with self.lock:
            self.subscriptions[subscription["id"]] = json.loads(json.dumps(subscription))
            customer = subscription.get("customer")
            if isinstance(customer, str):
                self.customers.add(customer)

    def put_paid_invoice(
        self,
        *,
        invoice_id: str,
        subscription_id: str,
        amount: int,
        created: int,
        charge_id: str,
        payment_intent_id: str,
    ) -> None:
        with self.lock:
            self.invoices[invoice_id] = {
                "id": invoice_id,
                "object": "invoice",
                "status": "paid",
                "amount_paid": amount,
                "created": created,
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}},
            }
            self.invoice_payments.append(
                {
                    "id": f"inpay_{invoice_id[3:]}",
                    "object": "invoice_payment",
                    "invoice": invoice_id,
                    "status": "paid",
                    "amount_paid": amount,
                    "amount_requested": amount,
                    "is_default": True,
                    "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
                }
            )
            self.payment_intents[payment_intent_id] = {"latest_charge": charge_id, "amount": amount, "refunded": 0}

    def put_invoice(
        self,
        *,
        invoice_id: str,
        customer: str,
        subscription_id: str,
        total: int,
        tax: int,
        created: int,
        status: str = "paid",
        number: str = "",
    ) -> None:
        """An invoice as API 2026-10-28 shows it: taxes in `total_taxes`, hosted page and PDF links."""
        with self.lock:
            self.invoices[invoice_id] = {
                "id": invoice_id,
                "object": "invoice",
                "customer": customer,
                "number": number or f"SYL-{len(self.invoices) + 1:04d}",
                "status": status,
                "currency": "usd",
                "total": total,
                "subtotal": total - tax,
                "total_taxes": [{"amount": tax, "tax_behavior": "exclusive", "type": "tax_rate_details"}]
                if tax
                else [],
                "amount_paid": total if status == "paid" else 0,
                "created": created,
                "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_fake/{invoice_id}",
                "invoice_pdf": f"https://pay.stripe.com/invoice/acct_fake/{invoice_id}/pdf",
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}},
            }

    def put_coupon(self, coupon_id: str, *, percent_off: int = 50, duration: str = "once") -> None:
        with self.lock:
            self.coupons[coupon_id] = {
                "id": coupon_id,
                "object": "coupon",
                "percent_off": percent_off,
                "duration": duration,
                "valid": True,
            }

    def put_price(self, price_id: str, *, interval: str, unit_amount: int) -> None:
        """A price a subscription may be switched to."""
        with self.lock:
            self.prices[price_id] = {"id": price_id, "interval": interval, "unit_amount": unit_amount}

    def subscription_event(self, subscription_id: str, event_type: str = "customer.subscription.updated") -> dict:
        """A webhook event carrying Stripe's current state of the subscription (what Stripe sends next)."""
        with self.lock:
            state = json.loads(json.dumps(self.subscriptions[subscription_id]))
            n = next(self.ids)
        return {
            "id": f"evt_fake{n:08d}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "type": event_type,
            "data": {"object": state},
            "livemode": False,
            "pending_webhooks": 1,
        }

    def fail_next(
        self, method: str, path_prefix: str, *, status: int = 500, code: str | None = None, times: int = 1
    ) -> None:
        """The next `times` requests matching answer `status` with a Stripe error body."""
        error_type = "api_error" if status >= 500 else "invalid_request_error"
        body = {"error": {"type": error_type, "message": "Injected failure", "code": code}}
        with self.lock:
            self.failures.append(Failure(method, path_prefix, status, body, times))

    def hang(self, method: str, path_prefix: str) -> None:
        """From now on, matching requests get no answer until `release()`: Stripe hanging."""
        with self.lock:
            self.hangs.append((method, path_prefix))

    def release(self) -> None:
        """Stripe answers again: hanging requests get their answers, new ones are not held."""
        with self.lock:
            self.hangs.clear()
        self.released.set()

    def _hold_if_hanging(self, method: str, path: str, params: dict[str, str], headers: dict[str, str]) -> None:
        with self.lock:
            held = any(method == m and path.startswith(prefix) for m, prefix in self.hangs)
            if held:
                self.hanging.append(RecordedRequest(method, path, params, headers))
            released = self.released
        if held:
            released.wait(timeout=60)

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # --- dispatch ----------------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, dict]:
        self._hold_if_hanging(method, path, params, headers)
        with self.lock:
            self.requests.append(RecordedRequest(method, path, params, headers))
            for failure in self.failures:
                if failure.times > 0 and failure.method == method and path.startswith(failure.path_prefix):
                    failure.times -= 1
                    return failure.status, failure.body
            if headers.get("authorization") != "Bearer sk_test_syllabus":
                return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
            key = headers.get("idempotency-key")
            if key and method in {"POST", "DELETE"} and key in self.idempotent:
                return self.idempotent[key]
            for route_method, pattern, fn in self.routes():
                match = re.fullmatch(pattern, path)
                if route_method == method and match:
                    result = fn(params, *match.groups())
                    if key and method in {"POST", "DELETE"}:
                        self.idempotent[key] = result
                    return result
            return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})."}}

    def routes(self) -> list[tuple[str, str, Callable[..., tuple[int, dict]]]]:
        return [
            ("POST", r"/v1/checkout/sessions", self._checkout_create),
            ("POST", r"/v1/billing_portal/sessions", self._portal_create),
            ("GET", r"/v1/subscriptions/([^/]+)", self._subscription_get),
            ("DELETE", r"/v1/subscriptions/([^/]+)", self._subscription_cancel),
            ("POST", r"/v1/subscriptions/([^/]+)", self._subscription_update),
            ("POST", r"/v1/invoices/create_preview", self._invoice_preview),
            ("GET", r"/v1/invoices", self._invoice_list),
            ("GET", r"/v1/invoice_payments", self._invoice_payment_list),
            ("POST", r"/v1/refunds", self._refund_create),
        ]

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids):08d}"

    @staticmethod
    def _missing(kind: str, object_id: str) -> tuple[int, dict]:
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "id",
                "message": f"No such {kind}: '{object_id}'",
            }
        }

    def _checkout_create(self, params: dict[str, str]) -> tuple[int, dict]:
        if params.get("mode") != "subscription" or "line_items[0][price]" not in params:
            return 400, {"error": {"type": "invalid_request_error", "message": "Missing required param: line_items."}}
        customer = params.get("customer")
        if customer and customer not in self.customers:
            return self._missing("customer", customer)
        if params.get("line_items[0][adjustable_quantity][enabled]") == "true":
            # Stripe: the quantity must sit inside the adjustable range (and minimum ≥ 0, maximum ≤ 999999).
            low = int(params.get("line_items[0][adjustable_quantity][minimum]", "0"))
            high = int(params.get("line_items[0][adjustable_quantity][maximum]", "99"))
            quantity = int(params.get("line_items[0][quantity]", "1"))
            if not low <= quantity <= high or high > 999999:
                return 400, {
                    "error": {
                        "type": "invalid_request_error",
                        "param": "line_items[0][quantity]",
                        "message": "Quantity must be between the adjustable minimum and maximum.",
                    }
                }
        session_id = self._next_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "open",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "client_reference_id": params.get("client_reference_id"),
            "customer": customer,
            "params": params,
        }
        self.checkout_sessions[session_id] = session
        return 200, session

    def _portal_create(self, params: dict[str, str]) -> tuple[int, dict]:
        customer = params.get("customer", "")
        if customer not in self.customers:
            return self._missing("customer", customer)
        session_id = self._next_id("bps")
        session = {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{session_id}",
        }
        self.portal_sessions[session_id] = session
        return 200, session

    def _subscription_get(self, params: dict[str, str], subscription_id: str) -> tuple[int, dict]:
        subscription = self.subscriptions.get(subscription_id)
        return (200, subscription) if subscription else self._missing("subscription", subscription_id)

    def _subscription_cancel(self, params: dict[str, str], subscription_id: str) -> tuple[int, dict]:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            return self._missing("subscription", subscription_id)
        if subscription["status"] in {"canceled", "incomplete_expired"}:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"A canceled subscription can only update its cancellation_details. ({subscription_id})",
                }
            }
        now = int(time.time())
        subscription.update(status="canceled", canceled_at=now, ended_at=now)
        return 200, subscription

    # --- seats: quantity updates and their prorated previews (API 2026-10-28) --------------------------

    @staticmethod
    def _proration(subscription: dict[str, Any], quantity: int, when: int) -> int:
        """Stripe's proration for a quantity change on the first item, in cents: the unit price times the
        change, for the share of the current period left at `when`."""
        item = subscription["items"]["data"][0]
        start, end = item["current_period_start"], item["current_period_end"]
        share = max(0.0, min(1.0, (end - when) / (end - start))) if end > start else 0.0
        return round((quantity - int(item.get("quantity") or 1)) * int(item["price"]["unit_amount"]) * share)

    def _item_change(self, subscription: dict[str, Any], params: dict[str, str], prefix: str) -> tuple[int, dict] | int:
        item = subscription["items"]["data"][0]
        if params.get(f"{prefix}[0][id]") != item["id"]:
            return self._missing("subscription_item", params.get(f"{prefix}[0][id]", ""))
        try:
            quantity = int(params[f"{prefix}[0][quantity]"])
        except (KeyError, ValueError):
            return 400, {"error": {"type": "invalid_request_error", "message": "Invalid integer: quantity"}}
        return quantity

    def _subscription_update(self, params: dict[str, str], subscription_id: str) -> tuple[int, dict]:
        """The update parameters Syllabus sends: cancel_at_period_end, pause_collection (an empty value
        unsets it), metadata (an empty value deletes the key), discounts[0][coupon], items[0][price], and
        items[0][quantity] for seats (prorated; proration_behavior=always_invoice bills it at once)."""
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            return self._missing("subscription", subscription_id)
        if subscription["status"] in {"canceled", "incomplete_expired"}:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"A canceled subscription can only update its cancellation_details. ({subscription_id})",
                }
            }
        now = int(time.time())
        item = subscription["items"]["data"][0]
        if "discounts[0][coupon]" in params:
            coupon_id = params["discounts[0][coupon]"]
            if coupon_id not in self.coupons:
                return self._missing("coupon", coupon_id)
            subscription["discounts"] = [self._next_id("di")]
        if "items[0][price]" in params:
            if params.get("items[0][id]") != item["id"]:
                return self._missing("subscription_item", params.get("items[0][id]", ""))
            price = self.prices.get(params["items[0][price]"])
            if price is None:
                return self._missing("price", params["items[0][price]"])
            item["price"].update(id=price["id"], unit_amount=price["unit_amount"])
            item["price"]["unit_amount_decimal"] = str(price["unit_amount"])
            item["price"]["recurring"]["interval"] = price["interval"]
            item["plan"].update(id=price["id"], amount=price["unit_amount"], interval=price["interval"])
        if "cancel_at_period_end" in params:
            cancel = params["cancel_at_period_end"] == "true"
            subscription["cancel_at_period_end"] = cancel
            subscription["cancel_at"] = item["current_period_end"] if cancel else None
            subscription["canceled_at"] = now if cancel else None
        if "pause_collection" in params and params["pause_collection"] == "":
            subscription["pause_collection"] = None
        elif "pause_collection[behavior]" in params:
            subscription["pause_collection"] = {
                "behavior": params["pause_collection[behavior]"],
                "resumes_at": int(params["pause_collection[resumes_at]"])
                if params.get("pause_collection[resumes_at]")
                else None,
            }
        metadata = subscription.setdefault("metadata", {})
        for key, value in params.items():
            if key.startswith("metadata["):
                name = key[len("metadata[") : -1]
                if value == "":
                    metadata.pop(name, None)
                else:
                    metadata[name] = value
        if "items[0][quantity]" in params:
            quantity = self._item_change(subscription, params, "items")
            if isinstance(quantity, tuple):
                return quantity
            when = int(params.get("proration_date") or time.time())
            amount = self._proration(subscription, quantity, when)
            subscription["items"]["data"][0]["quantity"] = quantity
            subscription["quantity"] = quantity
            if params.get("proration_behavior") == "always_invoice":
                invoice_id = self._next_id("in")
                self.invoices[invoice_id] = {
                    "id": invoice_id,
                    "object": "invoice",
                    "status": "paid" if amount > 0 else "draft",
                    "amount_paid": max(amount, 0),
                    "total": amount,
                    "created": int(time.time()),
                    "billing_reason": "subscription_update",
                    "parent": {
                        "type": "subscription_details",
                        "subscription_details": {"subscription": subscription_id},
                    },
                }
        return 200, subscription

    def _invoice_preview(self, params: dict[str, str]) -> tuple[int, dict]:
        subscription = self.subscriptions.get(params.get("subscription", ""))
        if subscription is None:
            return self._missing("subscription", params.get("subscription", ""))
        quantity = self._item_change(subscription, params, "subscription_details[items]")
        if isinstance(quantity, tuple):
            return quantity
        when = int(params.get("subscription_details[proration_date]") or time.time())
        amount = self._proration(subscription, quantity, when)
        return 200, {
            "id": None,  # a preview has no id: it is not an invoice yet
            "object": "invoice",
            "currency": subscription.get("currency", "usd"),
            "total": amount,
            "amount_due": max(amount, 0),
            "subscription_proration_date": when,
        }

    def _invoice_list(self, params: dict[str, str]) -> tuple[int, dict]:
        def matches(invoice: dict[str, Any]) -> bool:
            if "customer" in params and invoice.get("customer") != params["customer"]:
                return False
            if "subscription" in params and (
                invoice["parent"]["subscription_details"]["subscription"] != params["subscription"]
            ):
                return False
            return not params.get("status") or invoice["status"] == params["status"]

        if "customer" not in params and "subscription" not in params:
            return 400, {"error": {"type": "invalid_request_error", "message": "Filter by customer or subscription."}}
        rows = [invoice for invoice in self.invoices.values() if matches(invoice)]
        rows.sort(key=lambda invoice: invoice["created"], reverse=True)
        limit = int(params.get("limit", 10))
        return 200, {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit, "url": "/v1/invoices"}

    def _invoice_payment_list(self, params: dict[str, str]) -> tuple[int, dict]:
        rows = [
            payment
            for payment in self.invoice_payments
            if payment["invoice"] == params.get("invoice")
            and (not params.get("status") or payment["status"] == params["status"])
        ]
        return 200, {"object": "list", "data": rows, "has_more": False, "url": "/v1/invoice_payments"}

    def _refund_create(self, params: dict[str, str]) -> tuple[int, dict]:
        payment_intent_id = params.get("payment_intent", "")
        intent = self.payment_intents.get(payment_intent_id)
        if intent is None:
            return self._missing("payment_intent", payment_intent_id)
        if intent["refunded"] >= intent["amount"]:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": f"Charge {intent['latest_charge']} has already been refunded.",
                }
            }
        amount = int(params.get("amount", intent["amount"] - intent["refunded"]))
        intent["refunded"] += amount
        refund_id = self._next_id("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "payment_intent": payment_intent_id,
            "status": "succeeded",
            "currency": "usd",
            "metadata": {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")},
        }
        self.refunds[refund_id] = refund
        return 200, refund


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            params.update(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body = self.fake.handle(self.command, parts.path, params, headers)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", f"req_fake{int(time.time() * 1000)}")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


def start_fake_stripe() -> tuple[FakeStripe, ThreadingHTTPServer]:
    fake = FakeStripe()
    handler = type("FakeStripeHandler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True).start()
    return fake, server
