from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from analytics.models import Event
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.triggers import inactive_nudge_reschedule
from tests.accounts.conftest import STRONG_PASSWORD, link_in_last_email, login
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "The email address and/or password you specified are not correct."


def test_login_stamps_last_login_records_the_event_and_replaces_the_inactive_nudge(client, user):
    first_login = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    inactive_nudge_reschedule(user=user, logged_in_at=first_login)

    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False):
        response = login(client, user.email)

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user.refresh_from_db()
    assert user.last_login == datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    nudges = EmailQueue.objects.filter(user=user, template=EmailTemplate.INACTIVE_NUDGE).order_by("scheduled_for")
    assert [(n.scheduled_for, n.status) for n in nudges] == [
        (first_login + timedelta(days=7), EmailStatus.CANCELLED),
        (user.last_login + timedelta(days=7), EmailStatus.PENDING),
    ]
    event = Event.objects.get(user=user)
    assert (event.event, event.properties) == ("login", {"method": "email"})


def test_login_before_onboarding_goes_to_onboarding(client, new_user):
    response = login(client, new_user.email)
    assert response["Location"] == "/onboarding/"


def test_staff_are_never_sent_to_onboarding(client):
    admin = UserFactory(admin=True, onboarding_complete=False)
    response = login(client, admin.email)
    assert response["Location"] == "/dashboard/"


@pytest.mark.parametrize("email", ["learner@example.com", "nobody@example.com"])
def test_wrong_password_and_unknown_address_get_the_same_message(client, email):
    UserFactory(email="learner@example.com")

    response = login(client, email, password="not-the-password")

    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not Event.objects.exists() and not EmailQueue.objects.exists()


def test_too_many_failed_logins_for_one_address_lock_it_for_a_while(client, user):
    for _ in range(5):
        assert WRONG in login(client, user.email, password="guess").content.decode()

    response = login(client, user.email)  # even the right password, for now

    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6)):
        assert login(client, user.email).status_code == 302


def test_a_flood_of_login_attempts_from_one_address_gets_a_429(client):
    for n in range(30):
        login(client, f"nobody{n}@example.com", password="guess")

    response = login(client, "nobody@example.com", password="guess")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


@pytest.mark.parametrize(
    "forged", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/", "javascript:alert(1)"]
)
def test_a_forged_next_never_leaves_the_site(client, user, forged):
    response = login(client, user.email, next=forged)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_a_local_next_is_honoured(client, user):
    response = login(client, user.email, next="/course/")
    assert response["Location"] == "/course/"


def test_password_reset_works_and_does_not_reveal_which_addresses_have_accounts(client, user):
    known = client.post("/accounts/password/reset/", {"email": user.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    assert {m.to[0] for m in mail.outbox} == {user.email, "nobody@example.com"}

    reset_url = link_in_last_email(user.email)
    form_url = client.get(reset_url)["Location"]  # allauth moves the key out of the URL
    response = client.post(form_url, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)


def test_password_change_needs_the_current_password(client, user):
    client.force_login(user)
    data = {"oldpassword": "wrong-password", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}

    refused = client.post("/accounts/password/change/", data)
    assert refused.status_code == 200 and "Please type your current password." in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)

    accepted = client.post("/accounts/password/change/", {**data, "oldpassword": DEFAULT_PASSWORD})
    assert accepted.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)
    assert any("password" in m.subject.lower() for m in mail.outbox)  # the owner is told


def test_login_page_renders_in_the_site_layout_with_labels(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'class="brand"' in body
    assert '<label for="id_login">Email</label>' in body and '<label for="id_password">Password</label>' in body
    assert 'href="/accounts/password/reset/"' in body
