"""Every allauth page a learner can reach renders in the site's layout (base.html), not allauth's bare one."""

import pytest
from allauth.socialaccount.models import SocialAccount

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/not-a-real-key/",
    "/accounts/inactive/",
    "/account/deleted/",
]
SIGNED_IN = [
    "/accounts/logout/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
    "/accounts/sessions/",
    "/accounts/reauthenticate/",
    "/onboarding/",
    "/account/",
    "/account/delete/",
]


def _in_site_layout(response):
    body = response.content.decode()
    return 'class="brand"' in body and 'class="site-footer"' in body and "/static/accounts/accounts.css" in body


@pytest.mark.parametrize("path", ANONYMOUS)
def test_anonymous_pages_use_the_site_layout(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert _in_site_layout(response)


@pytest.mark.parametrize("path", SIGNED_IN)
def test_signed_in_pages_use_the_site_layout(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    assert _in_site_layout(response)


def test_a_passwordless_account_gets_the_set_password_page(client):
    user = UserFactory(password=None)
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="google", uid="42")
    client.force_login(user)
    response = client.get("/accounts/password/set/")
    assert response.status_code == 200 and _in_site_layout(response)
    assert 'href="/accounts/password/set/"' in client.get("/account/").content.decode()


def test_a_bad_password_reset_link_says_so_in_the_site_layout(client):
    response = client.get("/accounts/password/reset/key/1-set-password/", follow=True)
    assert response.status_code == 200 and _in_site_layout(response)
    assert "This link has expired" in response.content.decode()
    assert 'href="/accounts/password/reset/"' in response.content.decode()  # the way to a new one
