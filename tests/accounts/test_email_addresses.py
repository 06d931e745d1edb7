import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail

from accounts.models import User
from tests.accounts.conftest import link_in_last_email, signup
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_confirming_the_address_sets_email_verified_at(client):
    signup(client, "ada@example.com")
    user = User.objects.get()
    assert user.email_verified_at is None

    client.post(link_in_last_email("ada@example.com"))

    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert EmailAddress.objects.get(user=user).verified


def test_changing_the_email_address_takes_effect_once_the_new_one_is_confirmed(client):
    signup(client, "old@example.com")
    client.post(link_in_last_email("old@example.com"))
    user = User.objects.get()
    first_verified_at = user.email_verified_at

    response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "old@example.com"  # not before the new address is confirmed

    client.post(link_in_last_email("new@example.com"))

    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert user.email_verified_at is not None and user.email_verified_at > first_verified_at
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "primary", "verified")) == [
        ("new@example.com", True, True)
    ]
    assert any("old@example.com" in m.to for m in mail.outbox if "change" in m.subject.lower())


def test_an_address_taken_by_another_account_is_never_added_nor_revealed(client, user):
    UserFactory(email="taken@example.com")
    client.force_login(user)

    taken = client.post("/accounts/email/", {"action_add": "", "email": "taken@example.com"})
    fresh = client.post("/accounts/email/", {"action_add": "", "email": "fresh@example.com"})

    # The same answer either way (enumeration prevention); the taken address's owner is told by email.
    assert taken.status_code == fresh.status_code == 302
    assert not EmailAddress.objects.filter(user=user, email="taken@example.com").exists()
    assert any(m.to == ["taken@example.com"] and "already" in m.body.lower() for m in mail.outbox)


def test_an_unconfirmed_address_is_kept_until_the_new_one_is_confirmed(client):
    signup(client, "first@example.com")  # optional verification: never confirmed
    user = User.objects.get()

    client.post("/accounts/email/", {"action_add": "", "email": "second@example.com"})

    user.refresh_from_db()
    assert user.email == "first@example.com"
    assert set(EmailAddress.objects.filter(user=user).values_list("email", "primary")) == {
        ("first@example.com", True),
        ("second@example.com", False),
    }

    client.post(link_in_last_email("second@example.com"))

    user.refresh_from_db()
    assert user.email == "second@example.com" and user.email_verified_at is not None
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == ["second@example.com"]


def test_confirming_an_address_another_account_uses_fails_cleanly(client, user):
    admin = UserFactory(admin=True, email="boss@example.com")  # createsuperuser-style: no EmailAddress row
    address = EmailAddress.objects.create(user=user, email="boss@example.com", verified=False)
    client.force_login(user)

    response = client.post(f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/")

    assert response.status_code == 302  # back with "Unable to confirm …", not a 500
    address.refresh_from_db()
    user.refresh_from_db()
    admin.refresh_from_db()
    assert not address.verified and user.email != "boss@example.com" and admin.email == "boss@example.com"
