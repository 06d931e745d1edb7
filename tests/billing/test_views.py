"""Pricing, Checkout, the wait after Checkout, the portal and the dunning banner."""

from __future__ import annotations

import pytest
from django.test import Client

from analytics.models import Event, EventName
from billing.models import SubscriptionStatus
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


# --- /pricing/ -------------------------------------------------------------------------------------


def test_pricing_shows_both_plans_and_the_annual_saving(client):
    response = client.get("/pricing/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "$49" in html
    assert "$399" in html
    assert "Save $189 (32%)" in html  # 12 x 49 = 588; 588 - 399 = 189
    assert "$588" in html
    # Signed out: the buttons lead to sign-up and back here, no checkout form.
    assert 'action="/billing/checkout/"' not in html
    assert "/accounts/signup/?next=/pricing/" in html


def test_pricing_signed_in_offers_checkout_forms(client, user):
    client.force_login(user)
    html = client.get("/pricing/").content.decode()
    assert html.count('action="/billing/checkout/"') == 2
    assert 'name="plan" value="monthly"' in html
    assert 'name="plan" value="annual"' in html
    assert "csrfmiddlewaretoken" in html


def test_pricing_for_a_subscriber_points_to_the_portal(client, subscriber):
    client.force_login(subscriber)
    html = client.get("/pricing/").content.decode()
    assert "You're subscribed" in html
    assert 'action="/billing/checkout/"' not in html
    assert 'action="/billing/portal/"' in html


# --- POST /billing/checkout/ ----------------------------------------------------------------------


def test_checkout_signed_out_goes_to_login(client, fake_stripe):
    response = client.post("/billing/checkout/", {"plan": "monthly"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/pricing/" in response["Location"]
    assert fake_stripe.requests == []


@pytest.mark.parametrize("plan", [None, "", "weekly", "MONTHLY", "annual "])
def test_checkout_with_another_plan_is_400(client, user, fake_stripe, plan):
    client.force_login(user)
    data = {} if plan is None else {"plan": plan}
    response = client.post("/billing/checkout/", data)
    assert response.status_code == 400
    assert "Choose the monthly or the annual plan." in response.content.decode()
    assert fake_stripe.requests == []
    assert not Event.objects.filter(event=EventName.CHECKOUT_STARTED).exists()


@pytest.mark.parametrize(
    ("plan", "price", "recorded"),
    [("monthly", "price_monthly_test", "MONTHLY"), ("annual", "price_annual_test", "ANNUAL")],
)
def test_checkout_redirects_to_stripe_with_303(client, user, fake_stripe, plan, price, recorded):
    client.force_login(user)
    response = client.post("/billing/checkout/", {"plan": plan})
    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    params = request.params
    assert params["mode"] == "subscription"
    assert params["line_items[0][price]"] == price
    assert params["client_reference_id"] == user.pk
    assert params["allow_promotion_codes"] == "true"
    assert params["customer_email"] == user.email
    assert params["success_url"] == "http://testserver/billing/success/?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == "http://testserver/pricing/"
    [event] = Event.objects.filter(event=EventName.CHECKOUT_STARTED, user=user)
    assert event.properties["plan"] == recorded


def test_checkout_after_a_cancelled_subscription_reuses_the_customer(client, fake_stripe):
    subscription = SubscriptionFactory(status=SubscriptionStatus.CANCELLED, stripe_status="canceled")
    fake_stripe.customers.add(subscription.stripe_customer_id)
    client.force_login(subscription.user)
    response = client.post("/billing/checkout/", {"plan": "annual"})
    assert response.status_code == 303
    [request] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["customer"] == subscription.stripe_customer_id
    assert "customer_email" not in request.params


@pytest.mark.parametrize(
    "status", [SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.TRIALING]
)
def test_checkout_while_subscribed_opens_the_portal_instead(client, fake_stripe, status):
    subscription = SubscriptionFactory(status=status)
    fake_stripe.customers.add(subscription.stripe_customer_id)
    client.force_login(subscription.user)
    response = client.post("/billing/checkout/", {"plan": "annual"})
    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    assert fake_stripe.requests_to("POST", "/v1/checkout/sessions") == []
    assert not Event.objects.filter(event=EventName.CHECKOUT_STARTED).exists()


def test_checkout_when_stripe_is_down_says_so_and_charges_nothing(client, user, fake_stripe):
    fake_stripe.fail_next("POST", "/v1/checkout/sessions", status=500)
    client.force_login(user)
    response = client.post("/billing/checkout/", {"plan": "monthly"}, follow=True)
    assert response.redirect_chain == [("/pricing/", 303)]
    assert "reach our payment provider. Nothing was charged" in response.content.decode()
    assert not Event.objects.filter(event=EventName.CHECKOUT_STARTED).exists()


def test_checkout_is_post_only_and_csrf_protected(user, fake_stripe):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/billing/checkout/").status_code == 405
    assert client.post("/billing/checkout/", {"plan": "monthly"}).status_code == 403
    assert fake_stripe.requests == []


# --- POST /billing/portal/ ------------------------------------------------------------------------


def test_portal_redirects_to_stripe_with_303(client, fake_stripe, subscriber):
    fake_stripe.customers.add(subscriber.subscription.stripe_customer_id)
    client.force_login(subscriber)
    response = client.post("/billing/portal/")
    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    [request] = fake_stripe.requests_to("POST", "/v1/billing_portal/sessions")
    assert request.params == {
        "customer": subscriber.subscription.stripe_customer_id,
        "return_url": "http://testserver/account/",
    }


def test_portal_without_subscription_goes_to_pricing(client, user, fake_stripe):
    client.force_login(user)
    response = client.post("/billing/portal/", follow=True)
    assert response.redirect_chain == [("/pricing/", 303)]
    assert "a subscription to manage yet" in response.content.decode()
    assert fake_stripe.requests == []


def test_portal_signed_out_goes_to_login(client):
    response = client.post("/billing/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_portal_when_stripe_is_down_is_not_a_500(client, fake_stripe, subscriber):
    fake_stripe.fail_next("POST", "/v1/billing_portal/sessions", status=503)
    client.force_login(subscriber)
    response = client.post("/billing/portal/", HTTP_REFERER="http://testserver/account/")
    assert response.status_code == 303
    assert response["Location"] == "http://testserver/account/"


def test_portal_failure_never_redirects_to_another_site(client, fake_stripe, subscriber):
    fake_stripe.fail_next("POST", "/v1/billing_portal/sessions", status=503)
    client.force_login(subscriber)
    response = client.post("/billing/portal/", HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 303
    assert response["Location"] == "/account/"


# --- /billing/success/ and its status poll ------------------------------------------------------------


def test_success_waits_until_the_webhook_has_landed(client, user, course):
    client.force_login(user)
    response = client.get("/billing/success/?session_id=cs_test_123")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirming your payment" in html
    assert 'data-status-url="/billing/status/"' in html
    assert '<meta http-equiv="refresh"' in html  # without JavaScript it reloads itself
    assert client.get("/billing/status/").json() == {"ready": False, "next": None}

    # The webhook lands.
    SubscriptionFactory(user=user)
    first_lesson = course["lessons"][0]
    assert client.get("/billing/status/").json() == {"ready": True, "next": f"/lessons/{first_lesson.pk}/"}
    response = client.get("/billing/success/?session_id=cs_test_123")
    assert response.status_code == 302
    assert response["Location"] == f"/lessons/{first_lesson.pk}/"


def test_success_without_lessons_goes_to_the_outline(client, subscriber):
    client.force_login(subscriber)
    response = client.get("/billing/success/")
    assert response.status_code == 302
    assert response["Location"] == "/course/"


def test_success_and_status_need_a_login(client):
    assert client.get("/billing/success/").status_code == 302
    assert client.get("/billing/status/").status_code == 302


# --- the dunning banner --------------------------------------------------------------------------


def _banner(html: str) -> bool:
    return "Update payment method" in html


def test_past_due_learner_sees_the_banner_and_keeps_access(client, course):
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE, stripe_status="past_due")
    client.force_login(subscription.user)
    html = client.get("/pricing/").content.decode()
    assert _banner(html)
    assert 'role="alert"' in html
    banner = html[html.index("banner--dunning") :]
    assert 'action="/billing/portal/"' in banner[:1500]
    paid_lesson = course["lessons"][1]
    assert client.get(f"/lessons/{paid_lesson.pk}/").status_code == 200


@pytest.mark.parametrize("status", [SubscriptionStatus.ACTIVE, SubscriptionStatus.CANCELLED])
def test_no_banner_unless_past_due(client, status):
    subscription = SubscriptionFactory(status=status)
    client.force_login(subscription.user)
    assert not _banner(client.get("/pricing/").content.decode())


def test_no_banner_for_visitors(client):
    assert not _banner(client.get("/pricing/").content.decode())


def test_page_and_banner_read_the_subscription_once(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE)
    client.force_login(subscription.user)
    with CaptureQueriesContext(connection) as queries:
        assert _banner(client.get("/pricing/").content.decode())
    reads = [q["sql"] for q in queries.captured_queries if '"billing_subscription"' in q["sql"]]
    # the pricing page, has_access and the banner share one read: with the user row (config/user_cache.py)
    assert len(reads) == 1


# --- Stripe not configured (local development) ---------------------------------------------------------


def test_without_stripe_keys_pricing_and_the_paywall_say_which_settings_are_missing(
    client, user, course, settings, caplog
):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    client.force_login(user)

    with caplog.at_level("WARNING", logger="billing.selectors"):
        page = client.get("/pricing/").content.decode()
    assert "Payments aren't set up on this machine." in page
    assert "<code>STRIPE_SECRET_KEY</code>" in page and "<code>STRIPE_WEBHOOK_SECRET</code>" in page
    assert "STRIPE_PRICE_MONTHLY" not in page  # the test settings set the price ids
    assert any("STRIPE_SECRET_KEY" in record.getMessage() for record in caplog.records)

    paywall = client.get(f"/lessons/{course['lessons'][1].pk}/").content.decode()
    assert "data-paywall" in paywall and "Payments aren't set up on this machine." in paywall

    response = client.post("/billing/checkout/", {"plan": "monthly"}, follow=True)
    assert "STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET not set" in response.content.decode()
    assert "couldn&#x27;t reach our payment provider" not in response.content.decode()


def test_a_configured_or_production_site_never_shows_the_setup_notice(client, user, settings):
    client.force_login(user)
    assert "Payments aren" not in client.get("/pricing/").content.decode()  # keys set (test settings)
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = False
    assert "Payments aren" not in client.get("/pricing/").content.decode()


def test_success_without_a_checkout_says_there_is_nothing_to_confirm(client, user):
    client.force_login(user)
    page = client.get("/billing/success/").content.decode()
    assert "No payment to confirm" in page and "billing-wait.js" not in page and 'http-equiv="refresh"' not in page
