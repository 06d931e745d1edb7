"""The whole paid journey in Chromium, at a desktop and a phone width, with axe-core on every page:
landing → sign-in (contextual) → sign-up → onboarding → free lesson → paywall → Stripe Checkout (the local fake
Stripe, signed webhooks) → the success page → paid lesson → complete → dashboard → account → sign out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from billing.models import Subscription
from progress.models import LessonProgress
from tests.a11y import assert_accessible
from tests.accounts.conftest import STRONG_PASSWORD
from tests.billing.stripe_events import lifecycle_event, post_event, subscription_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 390
MAX_HEADER_PX = 64


def _signing_key_pem() -> str:
    """A throwaway RSA key: paid lessons play with signed Mux tokens."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def check_page(page: Any, width: int, where: str) -> None:
    """What every learner page promises: an opaque compact header, no sideways scrolling, no serious
    or critical WCAG 2.2 A/AA findings."""
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= MAX_HEADER_PX, f"header is {header['height']} px on {where}"
    background = page.locator("header.site-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 255, 255)", f"header background {background} on {where}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"horizontal scroll on {where}"
    assert_accessible(page, where)


def nav_click(page: Any, width: int, name: str, role: str = "link") -> None:
    """Use the main navigation as a visitor would: through the menu button on a phone."""
    nav = page.get_by_role("navigation", name="Main")
    if width <= PHONE:
        assert not nav.is_visible()
        page.get_by_role("button", name="Menu").click()
        assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    nav.get_by_role(role, name=name).click()


@pytest.mark.parametrize("width", [1280, PHONE])
def test_the_whole_paid_journey(browser_page, live_server, fake_stripe, course, settings, width):
    settings.SITE_URL = live_server.url  # Stripe's return URLs must lead back to this server
    settings.MUX_SIGNING_KEY_ID, settings.MUX_SIGNING_PRIVATE_KEY = "journey-key", _signing_key_pem()
    page: Any = browser_page
    page.set_viewport_size({"width": width, "height": 900 if width > PHONE else 844})
    free, paid = course["lessons"][0], course["lessons"][1]
    email = f"journey{width}@example.com"

    # Stripe's hosted Checkout is not on this machine: "paying" there returns to our success URL.
    def checkout_page(route: Any) -> None:
        [created] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
        back = created.params["success_url"].replace("{CHECKOUT_SESSION_ID}", "cs_test_journey")
        route.fulfill(status=303, headers={"Location": back})

    page.route("https://checkout.stripe.com/**", checkout_page)

    # Landing: what the product is, for whom, by whom.
    page.goto("/")
    for heading in ("About the course", "What you'll learn", "Your instructor", "What learners say"):
        assert page.get_by_role("heading", name=heading).is_visible()
    assert page.locator('meta[property="og:title"]').get_attribute("content")
    check_page(page, width, "landing")

    # A direct link to the free lesson asks to sign in, and says for what.
    page.goto(f"/lessons/{free.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Sign in to watch Lesson 1: {free.title}"
    check_page(page, width, "sign-in")
    page.get_by_role("link", name="Create a free account").click()

    page.wait_for_url("**/accounts/signup/**")
    assert free.title in page.get_by_role("heading", level=1).inner_text()
    check_page(page, width, "sign-up")
    page.get_by_label("Your name").fill("Robin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
    page.get_by_label("Password (again)").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/onboarding/**")
    check_page(page, width, "onboarding")
    page.get_by_label("Solo builder").check()
    page.get_by_label("Beginner").check()
    page.get_by_label("What do you want to build?").fill("A course site of my own.")
    page.get_by_role("button", name="Start learning").click()

    # The free lesson, where the sign-up started. No video reaches this machine: the poster says so.
    page.wait_for_url(f"**/lessons/{free.pk}/")
    page.locator("[data-player-fallback]").wait_for(state="visible", timeout=15_000)
    check_page(page, width, "free lesson")
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_text("Lesson marked complete.").wait_for()

    # The next lesson is for members.
    page.goto(f"/lessons/{paid.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"Unlock “{paid.title}”"
    check_page(page, width, "paywall")
    page.get_by_role("button", name="Subscribe monthly").click()

    # Back from Checkout before Stripe's webhook: the page shows progress at once.
    page.wait_for_url("**/billing/success/?session_id=cs_test_journey")
    assert page.get_by_role("heading", name="Thanks! Confirming your payment…").is_visible()
    page.get_by_text("Still waiting for Stripe's confirmation").wait_for(timeout=5_000)
    check_page(page, width, "payment confirmation")

    # Stripe's webhook, signed with the endpoint secret; Stripe's state as of now is in the fake.
    user = User.objects.get(email=email)
    assert user.name == "Robin"
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    assert post_event(Client(), lifecycle_event("01_checkout.session.completed", user_id=user.pk)).status_code == 200
    assert post_event(Client(), lifecycle_event("02_customer.subscription.created", user_id=user.pk)).status_code == 200

    # The page notices on its own and opens the next lesson, now unlocked.
    page.wait_for_url(f"**/lessons/{paid.pk}/", timeout=10_000)
    assert Subscription.objects.get(user=user).status == "ACTIVE"
    assert page.locator("mux-player").count() == 1
    check_page(page, width, "paid lesson")
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_text("Lesson marked complete.").wait_for()
    assert LessonProgress.objects.filter(user=user, completed=True).count() == 2

    nav_click(page, width, "Dashboard")
    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome back, Robin"
    assert page.locator("[data-overall-percent]").get_attribute("data-overall-percent") == "33"
    check_page(page, width, "dashboard")

    nav_click(page, width, "Account")
    page.wait_for_url("**/account/")
    check_page(page, width, "account")

    page.goto("/pricing/")
    assert page.get_by_text("You're subscribed to the monthly plan.").is_visible()
    check_page(page, width, "pricing")

    page.goto("/accounts/sessions/")
    assert page.get_by_text("This device", exact=True).is_visible()
    check_page(page, width, "sessions")

    nav_click(page, width, "Sign out", role="button")
    page.wait_for_url(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    if width <= PHONE:
        page.get_by_role("button", name="Menu").click()
    assert nav.get_by_role("link", name="Sign in").is_visible()
