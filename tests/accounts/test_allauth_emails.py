"""allauth's account emails: the product emails' layout, a subject, a text and an HTML part, every link
absolute under settings.SITE_URL (not the request's host, not the stale django.contrib.sites row),
and the links work when followed on that host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.contrib.sites.models import Site
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import RequestFactory

from accounts.models import User
from tests.accounts.conftest import STRONG_PASSWORD, signup
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://learn.allauth-mail.test"
HOST = urlsplit(SITE_URL).hostname
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture(autouse=True)
def distinctive_site(settings: Any) -> Iterator[None]:
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    # The Site row as a migrate on another SITE_URL would have left it; none of it may reach an email.
    Site.objects.filter(pk=settings.SITE_ID).update(name="Stale Site Name", domain="stale-site.invalid")
    Site.objects.clear_cache()
    yield
    Site.objects.clear_cache()  # the row is rolled back; the process-wide cache must not keep it


def only_message_to(email: str, subject: str) -> EmailMultiAlternatives:
    messages = [m for m in mail.outbox if m.to == [email] and m.subject == subject]
    assert len(messages) == 1, [(m.to, m.subject) for m in mail.outbox]
    message = messages[0]
    assert isinstance(message, EmailMultiAlternatives)
    return message


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(html)


def assert_branded(message: EmailMultiAlternatives) -> str:
    """Product layout in both parts, only SITE_URL links, nothing from the Site row or allauth's wording."""
    html = html_of(message)
    text = str(message.body)
    assert text.startswith("Syllabus\n========\n\n")
    # Every email ends with the layout's footer; the one to an address without an account says so instead.
    footer = "This is a service email about your Syllabus account"
    if "no account uses that address" in text:
        footer = "No account was created and nothing else will be sent."
    assert footer in text
    assert "<!doctype html>" in html and footer in html
    assert f'<a href="{SITE_URL}/" ' in html  # the layout's header link
    for part in (message.subject, text, html):
        assert "Stale Site Name" not in part and "stale-site.invalid" not in part
        assert "Hello from" not in part and "{{" not in part and "{%" not in part
    assert not message.subject.startswith("[")  # no "[Site] " prefix
    assert "\n\n\n" not in text
    links = URL.findall(text) + URL.findall(html)
    assert links and all(link.startswith(f"{SITE_URL}/") for link in links), links
    return html


def link_in(message: EmailMultiAlternatives, path_prefix: str) -> str:
    """The action link in the text part; the same link is in the HTML part."""
    match = re.search(rf"{re.escape(SITE_URL + path_prefix)}\S*", str(message.body))
    assert match, message.body
    link = match.group(0)
    assert f'href="{link}"' in html_of(message)
    return link


def on_site(client: Any, method: str, url: str, data: dict[str, str] | None = None) -> Any:
    """Request `url` as a browser would: on SITE_URL's host and scheme."""
    if url.startswith("/"):
        url = SITE_URL + url
    assert url.startswith(f"{SITE_URL}/"), url
    return getattr(client, method)(urlsplit(url).path, data or {}, secure=True, headers={"host": HOST})


def test_signup_confirmation_is_branded_and_its_link_confirms_the_address(client):
    signup(client, "ada@example.com")  # on the test client's own host: links still follow SITE_URL

    message = only_message_to("ada@example.com", "Confirm your email address for Syllabus")
    html = assert_branded(message)
    assert "Hi there, thanks for joining Syllabus. Please confirm that ada@example.com is your address" in message.body
    assert ">Confirm your email address</h1>" in html and ">Confirm my email address</a>" in html
    link = link_in(message, "/accounts/confirm-email/")

    assert on_site(client, "get", link).status_code == 200
    response = on_site(client, "post", link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="ada@example.com").verified
    assert User.objects.get(email="ada@example.com").email_verified_at is not None


def test_password_reset_email_link_sets_a_new_password_and_the_owner_is_notified(client, user):
    on_site(client, "post", "/accounts/password/reset/", {"email": user.email})

    message = only_message_to(user.email, "Reset your Syllabus password")
    html = assert_branded(message)
    assert f"Hi {user.name}, someone (hopefully you) asked to reset the password" in message.body
    assert ">Choose a new password</a>" in html
    link = link_in(message, "/accounts/password/reset/key/")

    moved = on_site(client, "get", link)  # allauth moves the key out of the URL into the session
    assert moved.status_code == 302
    form_url = moved["Location"]
    assert on_site(client, "get", form_url).status_code == 200
    done = on_site(client, "post", form_url, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)

    notice = only_message_to(user.email, "Your Syllabus password was reset")
    notice_html = assert_branded(notice)
    assert "Your password was reset\n\nHi " in notice.body
    assert "- IP address: 127.0.0.1\n" in notice.body and "IP address: 127.0.0.1<br>" in notice_html
    assert f"reset your password right away:\n{SITE_URL}/accounts/password/reset/\n" in notice.body
    assert f'<a href="{SITE_URL}/account/" ' in notice_html and ">Review your account</a>" in notice_html
    assert on_site(client, "get", f"{SITE_URL}/accounts/password/reset/").status_code == 200


def test_password_change_notification_is_branded(client, user):
    client.force_login(user)
    on_site(
        client,
        "post",
        "/accounts/password/change/",
        {"oldpassword": "wrong-then-right", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )
    assert not mail.outbox  # a refused change tells no one

    response = on_site(
        client,
        "post",
        "/accounts/password/change/",
        {"oldpassword": DEFAULT_PASSWORD, "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 302
    notice = only_message_to(user.email, "Your Syllabus password was changed")
    assert_branded(notice)
    assert f"Hi {user.name},\n\nThe password of your Syllabus account was just changed." in notice.body


def test_signing_up_with_a_taken_address_emails_its_owner_a_working_reset_link(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # with "optional" the form says so instead
    UserFactory(email="taken@example.com")

    signup(client, "taken@example.com")

    message = only_message_to("taken@example.com", "You already have a Syllabus account")
    assert_branded(message)
    assert "an account with that address already exists" in message.body
    assert on_site(client, "get", link_in(message, "/accounts/login/")).status_code == 200
    assert on_site(client, "get", link_in(message, "/accounts/password/reset/")).status_code == 200


SAMPLES: dict[str, tuple[str, dict[str, str]]] = {
    # template: (subject, what only that email's context can fill in)
    "email_confirmation": ("Confirm your new email address for Syllabus", {"activate_url": f"{SITE_URL}/x/"}),
    "unknown_account": ("There is no Syllabus account for this address", {}),
    "password_set": ("A password was set on your Syllabus account", {}),
    "email_changed": (
        "Your Syllabus email address was changed",
        {"from_email": "o'brien@example.com", "to_email": "new@example.com"},
    ),
    "email_deleted": (
        "An email address was removed from your Syllabus account",
        {"deleted_email": "o'brien@example.com"},
    ),
}


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_the_other_enabled_emails_render_in_the_layout(template, user):
    subject, data = SAMPLES[template]
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    request.user = user
    with allauth_context.request_context(request):
        adapter = get_adapter(request)
        if template in {"email_confirmation", "unknown_account"}:
            adapter.send_mail(f"account/email/{template}", user.email, {"user": user, **data})
        else:
            adapter.send_notification_mail(f"account/email/{template}", user, data)

    message = only_message_to(user.email, subject)
    html = assert_branded(message)
    for value in data.values():
        # Plain text is not HTML-escaped; the HTML part is.
        assert value in message.body
        assert value.replace("'", "&#x27;") in html
