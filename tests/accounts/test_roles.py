import pytest
from django.core.management import call_command
from django.db import IntegrityError

from accounts.models import User, UserRole
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_user_is_never_staff_and_cannot_reach_admin(client):
    user = UserFactory()
    assert user.role == UserRole.USER and not user.is_staff
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_role_reaches_admin(client):
    client.force_login(UserFactory(admin=True))
    assert client.get("/admin/").status_code == 200


def test_admin_role_without_superuser_flag_still_administers(client):
    client.force_login(UserFactory(role=UserRole.ADMIN))
    assert client.get("/admin/accounts/user/").status_code == 200


def test_createsuperuser_makes_an_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)
    call_command("createsuperuser", "--noinput", "--email", "Boss@Example.com")
    boss = User.objects.get()
    assert boss.email == "boss@example.com" and boss.role == UserRole.ADMIN and boss.is_staff


def test_a_user_role_can_not_be_superuser():
    with pytest.raises(IntegrityError):
        UserFactory(role=UserRole.USER, is_superuser=True)
