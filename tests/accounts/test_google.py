"""Google sign-in end to end through allauth, with Google's token endpoint replaced at the HTTP
boundary (`responses`); the id_token is a real JWT with Google's claims."""

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from analytics.models import Event
from emails.models import EmailQueue, EmailTemplate
from tests.accounts.conftest import GOOGLE_PROVIDERS
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("google_enabled")]

CLIENT_ID = GOOGLE_PROVIDERS["google"]["APPS"][0]["client_id"]


def _id_token(email: str, **claims):
    now = int(time.time())
    payload = {
        "iss": "https://accounts.google.com",
        "aud": CLIENT_ID,
        "sub": "109876543210",
        "email": email,
        "email_verified": True,
        "name": "Grace Hopper",
        "given_name": "Grace",
        "family_name": "Hopper",
        "picture": "https://lh3.googleusercontent.com/a/grace",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(payload, "not-checked-for-a-token-fetched-over-tls", algorithm="HS256")


def _sign_in_with_google(client, email: str, **claims):
    start = client.post("/accounts/google/login/?process=login")
    assert start.status_code == 302 and start["Location"].startswith("https://accounts.google.com/o/oauth2/v2/auth")
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    with responses.RequestsMock() as google:
        google.post(
            "https://oauth2.googleapis.com/token",
            json={
                "access_token": "ya29.test",
                "expires_in": 3599,
                "token_type": "Bearer",
                "scope": "openid email profile",
                "id_token": _id_token(email, **claims),
            },
        )
        return client.get("/accounts/google/login/callback/", {"code": "4/test-code", "state": state})


def test_signing_up_with_google_creates_a_verified_learner_with_name_and_picture(client):
    response = _sign_in_with_google(client, "grace@example.com")

    assert response.status_code == 302 and response["Location"] == "/onboarding/"
    user = User.objects.get()
    assert (user.email, user.name, user.image) == (
        "grace@example.com",
        "Grace Hopper",
        "https://lh3.googleusercontent.com/a/grace",
    )
    assert not user.has_usable_password()
    assert user.email_verified_at is not None and user.last_login is not None
    assert EmailAddress.objects.get(user=user).verified
    assert SocialAccount.objects.get(user=user).uid == "109876543210"
    events = dict(Event.objects.filter(user=user).values_list("event", "properties"))
    assert events == {"signup_completed": {"method": "google"}, "login": {"method": "google"}}
    assert set(EmailQueue.objects.filter(user=user).values_list("template", flat=True)) == {
        EmailTemplate.WELCOME,
        EmailTemplate.START_JOURNEY,
        EmailTemplate.INACTIVE_NUDGE,
    }


def test_google_with_the_address_of_an_existing_account_signs_into_that_account(client):
    existing = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=existing, email="grace@example.com", verified=True, primary=True)

    response = _sign_in_with_google(client, "grace@example.com")

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert list(User.objects.all()) == [existing]
    assert SocialAccount.objects.get().user == existing
    assert list(Event.objects.values_list("event", flat=True)) == ["login"]


def test_a_token_for_another_app_is_refused_without_creating_anything(client):
    response = _sign_in_with_google(client, "mallory@example.com", aud="someone-elses-client-id")

    assert response.status_code == 401  # allauth's "third-party login failure" page, in the site layout
    assert 'class="brand"' in response.content.decode()
    assert not User.objects.exists() and not Event.objects.exists()


def test_a_forged_state_is_refused(client):
    client.post("/accounts/google/login/?process=login")
    response = client.get("/accounts/google/login/callback/", {"code": "4/test-code", "state": "forged"})
    assert response.status_code == 401
    assert not User.objects.exists()
