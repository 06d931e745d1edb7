from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User, UserRole
from analytics.models import Event
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.conftest import STRONG_PASSWORD, link_in_last_email, signup
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_a_learner_records_the_event_and_queues_the_signup_emails(client):
    response = signup(client, "New.Learner@Example.com")

    assert response.status_code == 302 and response["Location"] == "/onboarding/"
    user = User.objects.get()
    assert user.email == "new.learner@example.com"
    assert user.role == UserRole.USER and not user.is_staff and not user.onboarding_complete
    assert user.check_password(STRONG_PASSWORD)
    assert user.last_login is not None
    assert user.email_verified_at is None  # optional verification: not verified yet
    assert EmailAddress.objects.get(user=user).primary

    events = {e.event: e for e in Event.objects.filter(user=user)}
    assert set(events) == {"signup_completed", "login"}
    assert events["signup_completed"].properties == {"method": "email"}

    queued = {q.template: q for q in EmailQueue.objects.filter(user=user)}
    assert set(queued) == {EmailTemplate.WELCOME, EmailTemplate.START_JOURNEY, EmailTemplate.INACTIVE_NUDGE}
    assert abs(queued[EmailTemplate.WELCOME].scheduled_for - user.created_at) < timedelta(seconds=5)
    assert queued[EmailTemplate.START_JOURNEY].scheduled_for == user.created_at + timedelta(hours=24)
    assert queued[EmailTemplate.INACTIVE_NUDGE].scheduled_for == user.last_login + timedelta(days=7)
    assert all(q.status == EmailStatus.PENDING for q in queued.values())

    # Verification is optional by default, but the address is still asked to confirm.
    assert [m.to for m in mail.outbox] == [["new.learner@example.com"]]
    assert client.get("/account/").status_code == 200  # signed in


def test_signup_page_renders_in_the_site_layout(client):
    response = client.get("/accounts/signup/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="brand"' in body and "site-footer" in body  # base.html, not allauth's bare page
    assert '<label for="id_email">Email</label>' in body
    assert "Continue with Google" not in body


def test_duplicate_email_is_refused_on_the_form_and_nothing_is_saved(client):
    existing = UserFactory(email="taken@example.com")

    response = signup(client, "TAKEN@example.com")

    assert response.status_code == 200
    body = response.content.decode()
    assert "There&#x27;s already an account with this email address." in body
    # The way forward: sign in, or reset the password.
    notice = body[body.index("data-email-taken") :]
    assert 'href="/accounts/login/"' in notice[:600] and 'href="/accounts/password/reset/"' in notice[:600]
    assert list(User.objects.all()) == [existing]
    assert not Event.objects.exists() and not EmailQueue.objects.exists()
    assert "_auth_user_id" not in client.session


def test_duplicate_email_with_mandatory_verification_does_not_reveal_the_account(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    UserFactory(email="taken@example.com")

    fresh = signup(client, "fresh@example.com")
    client.logout()
    duplicate = signup(client, "taken@example.com")

    # The same answer for a taken and a fresh address; the owner of the taken one is told by email.
    assert (duplicate.status_code, duplicate["Location"]) == (fresh.status_code, fresh["Location"])
    assert duplicate["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email="taken@example.com").count() == 1
    assert "already" in mail.outbox[-1].body.lower() and mail.outbox[-1].to == ["taken@example.com"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "at least 10 characters"),
        ("1234567890123", "entirely numeric"),
        ("password123", "too common"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(client, password, message):
    response = signup(client, "weak@example.com", password=password)

    assert response.status_code == 200
    assert message in response.content.decode().replace("\u2019", "'")
    assert not User.objects.exists() and not Event.objects.exists()


def test_mismatched_passwords_are_refused(client):
    data = {"email": "x@example.com", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD + "x"}
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert "You must type the same password each time." in response.content.decode()
    assert not User.objects.exists()


def test_invalid_email_is_refused(client):
    response = signup(client, "not-an-email")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not User.objects.exists()


def test_mandatory_verification_signs_in_only_after_the_address_is_confirmed(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"

    response = signup(client, "verify@example.com")

    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get()
    assert "_auth_user_id" not in client.session
    assert list(Event.objects.values_list("event", flat=True)) == ["signup_completed"]
    assert client.get("/account/").status_code == 302  # not signed in

    confirm_url = link_in_last_email("verify@example.com")
    assert client.get(confirm_url).status_code == 200  # a page with a confirm button, nothing done on GET
    response = client.post(confirm_url)

    assert response.status_code == 302 and response["Location"] == "/onboarding/"
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert EmailAddress.objects.get(user=user).verified
    assert set(Event.objects.values_list("event", flat=True)) == {"signup_completed", "login"}


def test_too_many_signups_from_one_address_get_a_429(client):
    for n in range(20):
        assert signup(client, f"bad-{n}", password="x").status_code == 200  # invalid, but counted

    response = signup(client, "late@example.com")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not User.objects.exists()


def test_signing_up_from_a_learner_page_comes_back_to_it_after_onboarding(client):
    response = signup(client, "from.course@example.com", next="/course/")
    assert response["Location"] == "/course/"
    # The learner page itself sends the new learner through onboarding first, keeping the way back.
    assert client.get("/course/")["Location"] == "/onboarding/?next=%2Fcourse%2F"


def test_signup_with_a_forged_next_stays_on_the_site(client):
    response = signup(client, "forged@example.com", next="https://evil.example/")
    assert response["Location"] == "/onboarding/"


def test_the_optional_name_at_sign_up_greets_in_the_welcome_email(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "robin@example.com", name="Robin")
    user = User.objects.get(email="robin@example.com")
    assert user.name == "Robin"
    welcome = [m for m in mailoutbox if m.extra_headers.get("X-Syllabus-Template") == "WELCOME"]
    assert welcome and welcome[0].subject == "Welcome to Syllabus, Robin"


def test_without_a_name_greetings_never_use_the_email_address(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "learner1@example.com")
    assert User.objects.get(email="learner1@example.com").name in (None, "")
    for message in mailoutbox:
        assert "learner1!" not in message.body and "Hi learner1" not in message.body
        assert "learner1" not in message.subject


def test_sign_in_from_a_lesson_says_which_lesson(client, course):
    free = course["free_lesson"]
    page = client.get(f"/accounts/login/?next=/lessons/{free.pk}/").content.decode()
    assert f"Sign in to watch Lesson {free.order}: {free.title}" in page
    draft = course["lessons"][2]
    draft.published = False
    draft.save()
    page = client.get(f"/accounts/login/?next=/lessons/{draft.pk}/").content.decode()
    assert draft.title not in page and "<h1>Sign in</h1>" in page  # a draft's title never leaks
