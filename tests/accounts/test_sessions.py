import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from tests.accounts.conftest import login

pytestmark = pytest.mark.django_db

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)


def test_the_sessions_page_lists_each_device_and_signs_out_the_others(user):
    client = Client(HTTP_USER_AGENT="Laptop Browser")
    login(client, user.email)
    phone = Client(HTTP_USER_AGENT="Phone Browser")
    login(phone, user.email)

    page = client.get("/accounts/sessions/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Laptop Browser" in body and "Phone Browser" in body and "This device" in body
    assert "Sign out of all other devices" in body
    assert UserSession.objects.filter(user=user).count() == 2
    assert "Signed in on 2 devices" in client.get("/account/").content.decode()

    response = client.post("/accounts/sessions/")

    assert response.status_code == 302
    assert phone.get("/account/").status_code == 302  # signed out over there
    assert client.get("/account/").status_code == 200  # still signed in here
    assert UserSession.objects.filter(user=user).count() == 1


def test_sessions_need_a_signed_in_user(client):
    assert client.get("/accounts/sessions/").status_code == 302


def test_sign_out_of_one_other_device_by_name(user):
    laptop = Client(HTTP_USER_AGENT=WINDOWS_CHROME)
    login(laptop, user.email)
    phone = Client(HTTP_USER_AGENT=IPHONE_SAFARI)
    login(phone, user.email)

    body = laptop.get("/accounts/sessions/").content.decode()
    assert "Chrome on Windows" in body and "Safari on iPhone (iOS)" in body
    assert body.count("Sign out of this device") >= 2

    phone_session = UserSession.objects.get(user=user, user_agent__contains="iPhone")
    response = laptop.post("/account/sessions/end/", {"session": phone_session.pk})
    assert response.status_code == 302
    assert phone.get("/account/").status_code == 302  # the phone is signed out
    assert laptop.get("/account/").status_code == 200  # this device is not
    assert not UserSession.objects.filter(pk=phone_session.pk).exists()


def test_ending_someone_elses_session_or_a_malformed_id_changes_nothing(user):
    from tests.accounts.factories import UserFactory

    other = UserFactory(onboarding_complete=True)
    mine, theirs = Client(), Client()
    login(mine, user.email)
    login(theirs, other.email)
    their_session = UserSession.objects.get(user=other)

    assert mine.post("/account/sessions/end/", {"session": their_session.pk}).status_code == 302
    assert theirs.get("/account/").status_code == 200  # still signed in
    for bad in ("", "abc", "1\x00", "9" * 40, "-1"):
        assert mine.post("/account/sessions/end/", {"session": bad}).status_code == 400
    assert UserSession.objects.count() == 2
