import pytest
from django.core import signing
from django.test import Client

from analytics.models import Event, EventName
from emails.drain import email_queue_drain
from emails.models import EmailStatus, EmailTemplate
from emails.tokens import unsubscribe_token_for
from tests.accounts.factories import UserFactory
from tests.emails.conftest import queue

pytestmark = pytest.mark.django_db


def url(token: str) -> str:
    return f"/emails/unsubscribe/{token}/"


@pytest.fixture
def cookieless():
    """A mail client: no session, no CSRF cookie, and CSRF enforced as in production."""
    return Client(enforce_csrf_checks=True)


def unsubscribed_events(user):
    return list(
        Event.objects.filter(user=user, event=EventName.EMAIL_UNSUBSCRIBED).values_list("properties", flat=True)
    )


def test_get_shows_a_confirmation_page_and_changes_nothing(cookieless):
    user = UserFactory()
    response = cookieless.get(url(unsubscribe_token_for(user.pk)))
    assert response.status_code == 200
    assert user.email in response.content.decode()
    assert b'method="post"' in response.content
    user.refresh_from_db()
    assert user.marketing_opt_out is False
    assert unsubscribed_events(user) == []


def test_rfc8058_one_click_post_unsubscribes_without_cookie_or_csrf_token(cookieless):
    user = UserFactory()
    response = cookieless.post(
        url(unsubscribe_token_for(user.pk)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert b"unsubscribed" in response.content
    user.refresh_from_db()
    assert user.marketing_opt_out is True
    assert unsubscribed_events(user) == [{"source": "email_one_click"}]
    assert not response.cookies  # nothing set on the way either


def test_posting_twice_records_one_event(cookieless):
    user = UserFactory()
    token = unsubscribe_token_for(user.pk)
    cookieless.post(url(token), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    response = cookieless.post(url(token))  # the learner also clicks the page's button
    assert response.status_code == 200
    assert unsubscribed_events(user) == [{"source": "email_one_click"}]


def test_the_page_button_unsubscribes_and_shows_already_unsubscribed_after(cookieless):
    user = UserFactory()
    token = unsubscribe_token_for(user.pk)
    assert cookieless.post(url(token)).status_code == 200
    assert unsubscribed_events(user) == [{"source": "email_link"}]
    assert b"already unsubscribed" in cookieless.get(url(token)).content


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user: unsubscribe_token_for(user.pk)[:-2] + "xx",  # tampered signature
        lambda user: unsubscribe_token_for(user.pk).replace(user.pk, UserFactory().pk),  # someone else's id
        lambda user: signing.Signer(salt="other.salt").sign(user.pk),  # a token for another purpose
        lambda user: user.pk,  # no signature at all
        lambda user: "garbage",
    ],
)
def test_bad_or_tampered_tokens_are_a_400_page_and_change_nothing(cookieless, make_token):
    user = UserFactory()
    token = make_token(user)
    for response in (cookieless.get(url(token)), cookieless.post(url(token))):
        assert response.status_code == 400
        assert "unsubscribe link isn't valid" in response.content.decode()
    assert not type(user).objects.filter(marketing_opt_out=True).exists()
    assert not Event.objects.filter(event=EventName.EMAIL_UNSUBSCRIBED).exists()


def test_a_token_for_a_deleted_account_is_a_400(cookieless):
    user = UserFactory()
    token = unsubscribe_token_for(user.pk)
    user.delete()
    assert cookieless.post(url(token)).status_code == 400


def test_other_methods_are_refused(cookieless):
    user = UserFactory()
    assert cookieless.put(url(unsubscribe_token_for(user.pk))).status_code == 405


def test_after_unsubscribing_marketing_is_cancelled_and_transactional_still_sent(cookieless, mailoutbox):
    user = UserFactory()
    queue(user, EmailTemplate.ABANDONMENT_2)
    queue(user, EmailTemplate.PAYMENT_FAILED)
    cookieless.post(
        url(unsubscribe_token_for(user.pk)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert email_queue_drain() == {EmailStatus.CANCELLED: 1, EmailStatus.SENT: 1}
    assert [m.extra_headers["X-Syllabus-Template"] for m in mailoutbox] == [EmailTemplate.PAYMENT_FAILED]


def test_the_link_in_a_sent_email_is_the_one_that_works(cookieless, mailoutbox):
    user = UserFactory()
    queue(user, EmailTemplate.START_JOURNEY)
    email_queue_drain()
    header = mailoutbox[0].extra_headers["List-Unsubscribe"]
    path = header.strip("<>").removeprefix("http://testserver")
    assert (
        cookieless.post(
            path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    user.refresh_from_db()
    assert user.marketing_opt_out is True
