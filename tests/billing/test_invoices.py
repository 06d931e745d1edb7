"""/account/billing/: the learner's invoices from Stripe, cached briefly, and a clear page when Stripe is away."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests.billing.factories import SubscriptionFactory
from tests.billing.retention_helpers import state
from tests.billing.stripe_events import post_event

pytestmark = pytest.mark.django_db


def test_invoices_list_date_amount_tax_status_and_links_and_are_cached(client, fake_stripe):
    subscription = SubscriptionFactory(stripe_customer_id="cus_invoices1")
    now = int(time.time())
    fake_stripe.put_invoice(
        invoice_id="in_first",
        customer="cus_invoices1",
        subscription_id=subscription.stripe_subscription_id,
        total=5390,
        tax=490,
        created=now - 40 * 86_400,
        number="SYL-0001",
    )
    fake_stripe.put_invoice(
        invoice_id="in_second",
        customer="cus_invoices1",
        subscription_id=subscription.stripe_subscription_id,
        total=5390,
        tax=490,
        created=now - 10 * 86_400,
        status="open",
        number="SYL-0002",
    )
    fake_stripe.put_invoice(
        invoice_id="in_someone_else", customer="cus_other", subscription_id="sub_other", total=100, tax=0, created=now
    )
    client.force_login(subscription.user)
    page = client.get("/account/billing/").content.decode()
    assert page.index("SYL-0002") < page.index("SYL-0001")  # newest first
    assert page.count("$53.90") == 2 and page.count("$4.90") == 2
    assert "Paid" in page and "Open" in page
    assert 'href="https://invoice.stripe.com/i/acct_fake/in_first"' in page
    assert 'href="https://pay.stripe.com/invoice/acct_fake/in_first/pdf"' in page
    assert "in_someone_else" not in page
    [request] = fake_stripe.requests_to("GET", "/v1/invoices")
    assert request.params["customer"] == "cus_invoices1"

    client.get("/account/billing/")
    assert len(fake_stripe.requests_to("GET", "/v1/invoices")) == 1  # served from the cache

    # Stripe reports a paid invoice: the next visit reads the list again.
    fake_stripe.put_subscription(state(subscription.user, sub_id=subscription.stripe_subscription_id))
    fake_stripe.subscriptions[subscription.stripe_subscription_id]["customer"] = "cus_invoices1"
    paid = {
        "id": "evt_invoice_paid_1",
        "object": "event",
        "type": "invoice.paid",
        "created": now,
        "data": {"object": fake_stripe.invoices["in_first"]},
    }
    assert post_event(Client(), paid).status_code == 200
    client.get("/account/billing/")
    assert len(fake_stripe.requests_to("GET", "/v1/invoices")) == 2


def test_when_stripe_is_unreachable_the_page_says_so(client):
    # No fake_stripe: Stripe is a closed local port (tests/conftest.py), a real connection refusal.
    subscription = SubscriptionFactory()
    client.force_login(subscription.user)
    response = client.get("/account/billing/")
    assert response.status_code == 200
    assert "couldn't reach our payment provider" in response.content.decode()


def test_a_learner_without_a_subscription_sees_no_invoices_and_stripe_is_not_asked(client, user, fake_stripe):
    client.force_login(user)
    assert "haven't been billed yet" in client.get("/account/billing/").content.decode()
    assert fake_stripe.requests == []
    assert Client().get("/account/billing/").status_code == 302
