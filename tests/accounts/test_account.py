import re
from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Event
from billing.models import SubscriptionStatus
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

PERIOD_END = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)


def test_the_account_page_needs_a_signed_in_user(client):
    for path in ["/account/", "/account/export/", "/account/delete/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_the_account_page_links_every_setting(client, user):
    client.force_login(user)
    body = client.get("/account/").content.decode()
    for link in [
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/3rdparty/",
        "/accounts/sessions/",
        "/account/export/",
        "/account/delete/",
    ]:
        assert f'href="{link}"' in body, link
    assert 'name="name"' in body and 'name="image"' in body and 'name="marketing_emails"' in body


def test_an_active_subscription_shows_plan_status_renewal_and_the_billing_portal(client):
    subscription = SubscriptionFactory(current_period_end=PERIOD_END, user__onboarding_complete=True)
    client.force_login(subscription.user)

    body = client.get("/account/").content.decode()

    assert "Monthly" in body and "Active" in body
    assert "Renews" in body and "24 December 2026" in body
    assert '<form method="post" action="/billing/portal/">' in body
    assert "csrfmiddlewaretoken" in body


def test_a_subscription_set_to_cancel_says_when_it_ends(client):
    subscription = SubscriptionFactory(
        current_period_end=PERIOD_END, cancel_at_period_end=True, user__onboarding_complete=True
    )
    client.force_login(subscription.user)
    body = client.get("/account/").content.decode()
    assert "Ends on 24 December 2026" in body and "Renews" not in body


def test_a_subscription_that_ran_to_its_period_end_says_it_ended_then_not_when_cancel_was_clicked(client):
    # Stripe's canceled_at is the moment the learner asked to cancel; access ran on to the period end.
    requested = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    subscription = SubscriptionFactory(
        status=SubscriptionStatus.CANCELLED,
        current_period_end=PERIOD_END,
        cancel_at_period_end=True,
        cancelled_at=requested,
        user__onboarding_complete=True,
    )
    with time_machine.travel(datetime(2027, 1, 5, tzinfo=UTC)):
        client.force_login(subscription.user)
        body = client.get("/account/").content.decode()
    assert "Ended</dt><dd>24 December 2026" in body and "2 December 2026" not in body


def test_a_subscription_cancelled_at_once_says_it_ended_when_it_was_cancelled(client):
    cancelled = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    subscription = SubscriptionFactory(
        status=SubscriptionStatus.CANCELLED,
        current_period_end=PERIOD_END,
        cancelled_at=cancelled,
        user__onboarding_complete=True,
    )
    with time_machine.travel(datetime(2026, 12, 3, tzinfo=UTC)):
        client.force_login(subscription.user)
        body = client.get("/account/").content.decode()
    assert "Ended</dt><dd>2 December 2026" in body and "24 December 2026" not in body


def test_a_past_due_subscription_shows_its_status(client):
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE, user__onboarding_complete=True)
    client.force_login(subscription.user)
    assert "Past due" in client.get("/account/").content.decode()


def test_without_a_subscription_the_page_points_at_the_plans(client, user):
    client.force_login(user)
    body = client.get("/account/").content.decode()
    assert "free plan" in body and 'href="/pricing/"' in body and "/billing/portal/" not in body


def test_the_account_page_costs_the_same_queries_however_much_is_connected(client, user):
    client.force_login(user)
    client.get("/account/")  # the session row is tracked on the first request
    with CaptureQueriesContext(connection) as few:
        assert client.get("/account/").status_code == 200

    SubscriptionFactory(user=user)
    for n in range(3):
        EmailAddress.objects.create(user=user, email=f"alias{n}@example.com", verified=n % 2 == 0)
        SocialAccount.objects.create(user=user, provider="google", uid=f"g-{n}")
    client.get("/account/")  # the new subscription retired the cached user row: read again once
    with CaptureQueriesContext(connection) as many:
        assert client.get("/account/").status_code == 200

    assert len(many) == len(few) <= 12, [q["sql"] for q in many]


def test_profile_update_saves_name_and_image(client, user):
    client.force_login(user)

    response = client.post("/account/profile/", {"name": "  Ada Lovelace ", "image": "https://img.example/ada.png"})

    assert response.status_code == 302 and response["Location"] == "/account/"
    user.refresh_from_db()
    assert (user.name, user.image) == ("Ada Lovelace", "https://img.example/ada.png")
    assert "Profile saved." in client.get("/account/").content.decode()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("not a url", "Enter a valid URL."),
        ("http://img.example/a.png", "Use an https:// link."),
        ("javascript:alert(1)", "Enter a valid URL."),
    ],
)
def test_a_bad_image_url_is_refused_and_nothing_is_saved(client, user, image, message):
    client.force_login(user)
    old_name = user.name

    response = client.post("/account/profile/", {"name": "Changed", "image": image})

    assert response.status_code == 400 and message in response.content.decode()
    user.refresh_from_db()
    assert (user.name, user.image) == (old_name, None)


def test_clearing_the_profile_stores_nulls(client):
    user = UserFactory(name="Someone", image="https://img.example/x.png")
    client.force_login(user)
    client.post("/account/profile/", {"name": "", "image": ""})
    user.refresh_from_db()
    assert (user.name, user.image) == (None, None)


def test_marketing_emails_can_be_turned_off_and_back_on(client, user):
    client.force_login(user)
    assert re.search(r'<input[^>]*name="marketing_emails"[^>]*checked', client.get("/account/").content.decode())

    client.post("/account/email-preferences/", {})  # unticked
    user.refresh_from_db()
    assert user.marketing_opt_out
    assert not re.search(r'<input[^>]*name="marketing_emails"[^>]*checked', client.get("/account/").content.decode())
    event = Event.objects.get(user=user)
    assert (event.event, event.properties) == ("email_unsubscribed", {"source": "account"})

    # After unsubscribing (here or from an email), this is where a learner opts back in.
    client.post("/account/email-preferences/", {"marketing_emails": "on"})
    user.refresh_from_db()
    assert not user.marketing_opt_out
    assert Event.objects.count() == 1


def test_account_forms_refuse_get_and_need_csrf(client, user):
    client.force_login(user)
    assert client.get("/account/profile/").status_code == 405
    csrf_client = client.__class__(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    assert csrf_client.post("/account/email-preferences/", {}).status_code == 403
    user.refresh_from_db()
    assert not user.marketing_opt_out


@pytest.mark.parametrize(
    "path", ["/accounts/email/", "/accounts/password/change/", "/accounts/3rdparty/", "/accounts/sessions/"]
)
def test_allauth_management_pages_render_in_the_site_layout(client, user, path):
    client.force_login(user)
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="brand"' in body and "account-subnav" in body and 'href="/account/"' in body


def test_google_sign_in_is_hidden_without_credentials(client):
    for path in ["/accounts/login/", "/accounts/signup/"]:
        assert "Continue with Google" not in client.get(path).content.decode()
    assert client.post("/accounts/google/login/").status_code == 404


@pytest.mark.usefixtures("google_enabled")
def test_google_sign_in_is_shown_with_credentials(client):
    for path in ["/accounts/login/", "/accounts/signup/"]:
        body = client.get(path).content.decode()
        assert "Continue with Google" in body
        assert '<form method="post" action="/accounts/google/login/?process=login"' in body
