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

    def _invoice_list(self, params: dict[str, str]) -> tuple[int, dict]:
        rows = [
            invoice
            for invoice in self.invoices.values()
            if invoice["parent"]["subscription_details"]["subscription"] == params.get("subscription")
            and (not params.get("status") or invoice["status"] == params["status"])
        ]
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
