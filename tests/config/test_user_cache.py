"""The signed-in user (with their subscription) read from the cache (config/user_cache.py): no user
query on a warm request, and every change to the user or the subscription — a new password, a
deactivation, a role, a cancelled subscription, through `save()` or a queryset `update()` — shows on
the very next request; one learner's copy never reaches another; a cache outage falls back to the
database."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User, UserRole
from billing.models import Subscription, SubscriptionStatus
from tests.accounts.conftest import login
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.processes import redis_cache

pytestmark = pytest.mark.django_db


def _user_queries(client: Any, url: str) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    return response, reads


def _signed_in(client: Any) -> bool:
    response = client.get("/account/")
    return response.status_code == 200


def test_a_warm_signed_in_request_reads_neither_the_user_nor_the_subscription(client, subscriber, course):
    client.force_login(subscriber)
    client.get("/course/")
    response, reads = _user_queries(client, "/course/")
    assert response.status_code == 200 and reads == []
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/lessons/{course['lessons'][1].pk}/").status_code == 200  # paid: has_access
    assert not [q for q in ctx.captured_queries if 'FROM "billing_subscription"' in q["sql"]]


def test_a_password_change_signs_the_other_sessions_out_at_once(client, user):
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302  # allauth's backend
    assert _signed_in(client) and _signed_in(client)  # cached now

    changed = User.objects.get(pk=user.pk)
    changed.set_password("another-long-passphrase-77")
    changed.save()

    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_password_change_through_update_signs_out_too(client, user):
    client.force_login(user)
    assert _signed_in(client) and _signed_in(client)
    User.objects.filter(pk=user.pk).update(password="md5$other$0123456789abcdef0123456789abcdef")
    assert not _signed_in(client)


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_deactivated_learner_is_signed_out_on_the_next_request(client, user, how):
    client.force_login(user)
    assert _signed_in(client) and _signed_in(client)
    if how == "save":
        user.is_active = False
        user.save()
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert not _signed_in(client)


def test_a_deleted_learner_is_signed_out(client, user):
    client.force_login(user)
    assert _signed_in(client) and _signed_in(client)
    User.objects.filter(pk=user.pk).delete()
    assert not _signed_in(client)


def test_a_role_change_shows_at_once(client, user):
    client.force_login(user)
    assert client.get("/admin/").status_code == 302 and client.get("/admin/").status_code == 302
    User.objects.filter(pk=user.pk).update(role=UserRole.ADMIN, is_superuser=True)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_cancelled_subscription_closes_paid_lessons_at_once(client, subscriber, course, how):
    paid = f"/lessons/{course['lessons'][1].pk}/"
    client.force_login(subscriber)
    assert (
        "data-complete-form" in client.get(paid).content.decode()
        and "data-complete-form" in client.get(paid).content.decode()
    )

    if how == "save":
        subscription = Subscription.objects.get(user=subscriber)
        subscription.status = SubscriptionStatus.CANCELLED
        subscription.save()
    else:
        Subscription.objects.filter(user=subscriber).update(status=SubscriptionStatus.CANCELLED)

    body = client.get(paid).content.decode()
    assert "data-complete-form" not in body and "/pricing/" in body


def test_a_new_subscription_opens_paid_lessons_at_once(client, user, course):
    paid = f"/lessons/{course['lessons'][1].pk}/"
    client.force_login(user)
    assert "data-complete-form" not in client.get(paid).content.decode()
    client.get(paid)
    SubscriptionFactory(user=user)
    assert "data-complete-form" in client.get(paid).content.decode()


def test_each_learner_sees_only_their_own_account(user):
    other = UserFactory(onboarding_complete=True, name="Someone Else Entirely")
    mine, theirs = Client(), Client()
    mine.force_login(user)
    theirs.force_login(other)
    for _ in range(2):  # cold, then warm
        assert user.email in mine.get("/account/").content.decode()
        body = theirs.get("/account/").content.decode()
        assert other.email in body and user.email not in body
        assert other.email not in mine.get("/account/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_with_the_cache_down_signed_in_pages_read_the_database(tmp_path: Path, settings: Any, user: Any) -> None:
    with redis_cache(tmp_path, settings, prefix="uc") as server:
        client = Client()
        client.force_login(user)
        assert _signed_in(client) and _signed_in(client)
        server.stop()
        response, reads = _user_queries(client, "/account/")
        assert response.status_code == 200 and len(reads) == 1  # from the database, still signed in
        User.objects.filter(pk=user.pk).update(is_active=False)  # the bump is lost: the cache is down
        assert not _signed_in(client)  # ...and the database says no


def test_the_cached_copy_holds_no_password_hash_and_a_password_change_still_works(client, user):
    """The copy in Redis carries the session hash, not the password hash; the form that checks the
    current password (which reads it from the cached request.user) still works and signs others out."""
    other = Client()
    client.force_login(user)
    other.force_login(user)
    NEW = "a-new-long-passphrase-7"
    assert _signed_in(client) and _signed_in(other)
    raw = pickle.dumps(cache.get(f"auth:user:{user.pk}"))
    stored_hash = User.objects.values_list("password", flat=True).get(pk=user.pk)
    assert stored_hash.encode() not in raw
    assert stored_hash.split("$")[-1].encode() not in raw  # nor the hash part on its own

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW, "password2": NEW},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW)
    assert _signed_in(client)  # the changing session stays signed in
    assert not _signed_in(other)  # every other session ends

    wrong = Client()
    wrong.force_login(User.objects.get(pk=user.pk))
    assert _signed_in(wrong)
    refused = wrong.post(
        "/accounts/password/change/",
        {"oldpassword": DEFAULT_PASSWORD, "password1": "another-passphrase-8", "password2": "another-passphrase-8"},
    )
    assert refused.status_code == 200  # the old password no longer matches: the form says so
    assert User.objects.get(pk=user.pk).check_password(NEW)


def test_the_account_page_knows_whether_a_password_is_set_without_loading_the_hash(client, user):
    """The cached copy carries `has_usable_password` with it: a warm /account/ reads no password hash,
    and setting or dropping the password shows on the very next request."""
    client.force_login(user)
    client.get("/account/")
    response, reads = _user_queries(client, "/account/")
    assert reads == [] and "/accounts/password/change/" in response.content.decode()
    changed = User.objects.get(pk=user.pk)
    changed.set_unusable_password()
    changed.save()
    client.force_login(changed)  # a new session hash: the old session ended with the password
    client.get("/account/")
    response, reads = _user_queries(client, "/account/")
    page = response.content.decode()
    assert reads == [] and "/accounts/password/set/" in page and "/accounts/password/change/" not in page
