import time
from unittest import mock

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from analytics.models import Event
from analytics.services import event_track
from billing.models import Subscription, SubscriptionStatus
from billing.stripe_client import StripeUnavailable
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from emails.triggers import signup_emails_queue
from progress.models import LessonProgress
from tests.accounts.conftest import login
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db

CONFIRM = {"password": DEFAULT_PASSWORD, "confirm": "on"}


@pytest.fixture
def cancel_at_stripe(monkeypatch):
    """billing's service is the boundary: its Stripe call is billing's own concern (and tests)."""
    fake = mock.Mock(name="subscription_cancel_immediately")
    monkeypatch.setattr("billing.services.subscription_cancel_immediately", fake)
    return fake


@pytest.fixture
def member(course):
    subscription = SubscriptionFactory(user__onboarding_complete=True)
    user = subscription.user
    LessonProgressFactory(user=user, lesson=course["lessons"][0])
    event_track(name="lesson_viewed", user=user)
    signup_emails_queue(user=user)
    EmailLog.objects.create(user=user, template="WELCOME", to=user.email, subject="Hi", status=EmailStatus.SENT)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_the_delete_page_explains_what_goes(client, member):
    client.force_login(member)
    body = client.get("/account/delete/").content.decode()
    assert "subscription is cancelled right away" in body
    assert 'name="password"' in body and 'name="confirm"' in body


def test_deleting_cancels_the_subscription_then_deletes_the_account_as_the_seed_cascades(
    client, member, cancel_at_stripe, django_capture_on_commit_callbacks
):
    login(client, member.email)  # a real sign-in, so the session is tracked by allauth
    other_device = Client()
    login(other_device, member.email)
    stranger = UserFactory()
    event_track(name="login", user=stranger)
    subscription = Subscription.objects.get(user=member)
    other_session_key = other_device.session.session_key

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/delete/", CONFIRM)

    assert response.status_code == 302 and response["Location"] == "/account/deleted/"
    cancel_at_stripe.assert_called_once()
    assert cancel_at_stripe.call_args.kwargs["subscription"].pk == subscription.pk
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Subscription.objects.exists()
    assert not LessonProgress.objects.exists()
    assert not EmailLog.objects.exists()
    assert not EmailAddress.objects.filter(email=member.email).exists()
    # Events stay, with the user cleared; the stranger's are untouched.
    assert Event.objects.filter(user__isnull=True, event="lesson_viewed").exists()
    assert Event.objects.filter(user=stranger).count() == 1
    # Pending emails are cancelled (the queue row has no FK: it outlives the user, cancelled).
    assert set(EmailQueue.objects.filter(user_id=member.pk).values_list("status", flat=True)) == {EmailStatus.CANCELLED}
    # Signed out here and on the other device.
    assert "_auth_user_id" not in client.session
    assert not Session.objects.filter(session_key=other_session_key).exists()
    assert other_device.get("/account/").status_code == 302
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200 and "Your account has been deleted" in confirmation.content.decode()


def test_an_ended_subscription_is_still_handed_to_billing_to_decide(client, cancel_at_stripe):
    subscription = SubscriptionFactory(status=SubscriptionStatus.CANCELLED, stripe_status="canceled")
    client.force_login(subscription.user)
    assert client.post("/account/delete/", CONFIRM).status_code == 302
    cancel_at_stripe.assert_called_once()
    assert not User.objects.exists()


def test_without_a_subscription_billing_is_not_called(client, user, cancel_at_stripe):
    client.force_login(user)
    assert client.post("/account/delete/", CONFIRM).status_code == 302
    cancel_at_stripe.assert_not_called()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "wrong-password", "confirm": "on"}, "That password is not correct."),
        ({"password": "", "confirm": "on"}, "This field is required."),
        ({"password": DEFAULT_PASSWORD}, "Tick the box to confirm."),
    ],
)
def test_deleting_needs_the_password_and_a_confirmation(client, member, cancel_at_stripe, data, message):
    client.force_login(member)

    response = client.post("/account/delete/", data)

    assert response.status_code == 400 and message in response.content.decode()
    cancel_at_stripe.assert_not_called()
    assert User.objects.filter(pk=member.pk).exists() and Subscription.objects.exists()
    assert EmailQueue.objects.filter(user_id=member.pk, status=EmailStatus.PENDING).exists()


def test_when_stripe_is_unreachable_nothing_is_deleted(client, member, cancel_at_stripe):
    cancel_at_stripe.side_effect = StripeUnavailable("Stripe subscription cancel failed: APIConnectionError")
    client.force_login(member)

    response = client.post("/account/delete/", CONFIRM)

    assert response.status_code == 503
    assert "nothing was deleted" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()
    assert LessonProgress.objects.filter(user=member).exists()
    assert EmailQueue.objects.filter(user_id=member.pk, status=EmailStatus.PENDING).count() == 2
    assert client.get("/account/").status_code == 200  # still signed in


def test_guessing_the_password_on_the_delete_form_is_rate_limited(client, user, cancel_at_stripe):
    client.force_login(user)
    for _ in range(10):
        assert client.post("/account/delete/", {"password": "guess", "confirm": "on"}).status_code == 400

    response = client.post("/account/delete/", CONFIRM)

    assert response.status_code == 429
    assert User.objects.filter(pk=user.pk).exists()


def _google_only_user():
    user = UserFactory(password=None)
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="google", uid="1234567890")
    return user


@pytest.mark.usefixtures("google_enabled")
def test_a_google_only_account_must_sign_in_again_before_deleting(client, cancel_at_stripe):
    user = _google_only_user()
    client.force_login(user)  # no sign-in recorded in this session

    page = client.get("/account/delete/").content.decode()
    assert "Sign in again with Google" in page and 'name="password"' not in page
    assert 'action="/accounts/google/login/?process=login&amp;next=%2Faccount%2Fdelete%2F"' in page

    assert client.post("/account/delete/", {"confirm": "on"}).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.usefixtures("google_enabled")
def test_a_google_only_account_just_signed_in_can_delete_without_a_password(client, cancel_at_stripe):
    user = _google_only_user()
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "socialaccount", "at": time.time(), "provider": "google"}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()

    assert 'name="password"' not in client.get("/account/delete/").content.decode()
    response = client.post("/account/delete/", {"confirm": "on"})

    assert response.status_code == 302 and not User.objects.filter(pk=user.pk).exists()
    assert not SocialAccount.objects.exists()


def test_the_signup_emails_of_a_deleted_account_are_cancelled(client, user, cancel_at_stripe):
    signup_emails_queue(user=user)
    client.force_login(user)
    client.post("/account/delete/", CONFIRM)
    assert not EmailQueue.objects.filter(status=EmailStatus.PENDING).exists()
    assert EmailQueue.objects.filter(template=EmailTemplate.WELCOME, status=EmailStatus.CANCELLED).exists()
