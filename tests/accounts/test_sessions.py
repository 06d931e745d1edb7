import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from tests.accounts.conftest import login

pytestmark = pytest.mark.django_db


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
