"""In Chromium: pricing → Stripe Checkout, the success page waiting for the webhook, the dunning banner."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from billing.models import SubscriptionStatus
from tests.billing.factories import SubscriptionFactory
from tests.billing.stripe_events import lifecycle_event, post_event, subscription_state
from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stub_stripe_pages(page: Any) -> list[str]:
    """Stripe's hosted pages are not on this machine: answer them with a stand-in and note the visit."""
    visited: list[str] = []

    def fulfil(route: Any) -> None:
        visited.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Stripe (stand-in)</h1>")

    page.route("https://checkout.stripe.com/**", fulfil)
    page.route("https://billing.stripe.com/**", fulfil)
    return visited


def test_choosing_a_plan_goes_to_stripe_checkout(browser_page, live_server, fake_stripe, user):
    visited = _stub_stripe_pages(browser_page)
    browser_sign_in(browser_page, live_server, user)
    browser_page.goto("/pricing/")
    assert browser_page.get_by_text("Save $189 (32%)").is_visible()
    browser_page.get_by_role("button", name="Subscribe annually").click()
    browser_page.wait_for_url("https://checkout.stripe.com/**")
    assert visited and visited[0].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["line_items[0][price]"] == "price_annual_test"
    assert request.params["client_reference_id"] == user.pk


def test_success_page_waits_for_the_webhook_then_opens_the_course(browser_page, live_server, fake_stripe, user, course):
    browser_sign_in(browser_page, live_server, user)
    with browser_page.expect_response("**/billing/status/") as poll:
        browser_page.goto("/billing/success/?session_id=cs_test_browser")
    assert poll.value.json() == {"ready": False, "next": None}  # the page asked, and stays
    assert browser_page.get_by_role("heading", name="Thanks! Confirming your payment…").is_visible()
    assert "/billing/success/" in browser_page.url

    # Stripe's webhook lands while the page is open.
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    response = post_event(Client(), lifecycle_event("01_checkout.session.completed", user_id=user.pk))
    assert response.status_code == 200

    first_lesson = course["lessons"][0]
    browser_page.wait_for_url(f"**/lessons/{first_lesson.pk}/", timeout=10_000)


def test_past_due_banner_sends_the_learner_to_the_portal(browser_page, live_server, fake_stripe):
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE, stripe_status="past_due")
    fake_stripe.customers.add(subscription.stripe_customer_id)
    visited = _stub_stripe_pages(browser_page)
    browser_sign_in(browser_page, live_server, subscription.user)
    browser_page.goto("/pricing/")
    banner = browser_page.get_by_role("alert")
    assert "Your last payment didn" in banner.inner_text()
    banner.get_by_role("button", name="Update payment method").click()
    browser_page.wait_for_url("https://billing.stripe.com/**")
    assert visited[0].startswith("https://billing.stripe.com/p/session/")
