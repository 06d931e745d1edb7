"""Bounces and complaints arrive through django-anymail's tracking webhook (here Postmark's, with
anymail's basic-auth secret) and land on the suppression list."""

import base64
import json

import pytest

from emails.drain import email_queue_drain
from emails.models import EmailQueue, EmailStatus, EmailSuppression, EmailTemplate, SuppressionReason
from tests.accounts.factories import UserFactory
from tests.emails.conftest import queue

pytestmark = pytest.mark.django_db

WEBHOOK = "/anymail/postmark/tracking/"
AUTH = "Basic " + base64.b64encode(b"anymail-test:webhook-secret").decode()


def postmark_bounce(email: str, bounce_type: str = "HardBounce") -> dict:
    # Postmark's bounce webhook body (postmarkapp.com/developer/webhooks/bounce-webhook).
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 1 if bounce_type == "HardBounce" else 4096,
        "Name": "Hard bounce" if bounce_type == "HardBounce" else "Soft bounce",
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "hello@syllabus.local",
        "BouncedAt": "2026-03-02T09:00:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Welcome to Syllabus",
    }


def postmark_complaint(email: str) -> dict:
    return {**postmark_bounce(email), "RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512}


def post(client, body: dict, auth: str | None = AUTH):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(WEBHOOK, data=json.dumps(body), content_type="application/json", **headers)


def test_a_hard_bounce_suppresses_the_address_and_its_mail_is_cancelled(client, mailoutbox):
    user = UserFactory(email="gone@example.com")
    assert post(client, postmark_bounce("Gone@Example.com")).status_code == 200

    suppression = EmailSuppression.objects.get()
    assert (suppression.email, suppression.reason) == ("gone@example.com", SuppressionReason.HARD_BOUNCE)
    assert "550 5.1.1" in suppression.detail or "unable to deliver" in suppression.detail

    item = queue(user, EmailTemplate.PAYMENT_FAILED)
    email_queue_drain()
    item.refresh_from_db()
    assert (item.status, item.last_error) == (EmailStatus.CANCELLED, "address suppressed")
    assert mailoutbox == []


def test_a_spam_complaint_suppresses_the_address(client):
    assert post(client, postmark_complaint("angry@example.com")).status_code == 200
    assert EmailSuppression.objects.get().reason == SuppressionReason.COMPLAINT


def test_a_replayed_webhook_keeps_one_suppression(client):
    post(client, postmark_bounce("gone@example.com"))
    post(client, postmark_bounce("gone@example.com"))
    post(client, postmark_complaint("gone@example.com"))
    assert list(EmailSuppression.objects.values_list("email", "reason")) == [
        ("gone@example.com", SuppressionReason.HARD_BOUNCE)
    ]


@pytest.mark.parametrize(
    "body",
    [
        postmark_bounce("later@example.com", "SoftBounce"),  # temporary: Postmark calls it a bounce too
        postmark_bounce("later@example.com", "Transient"),
        {"RecordType": "Delivery", "Email": "fine@example.com", "DeliveredAt": "2026-03-02T09:00:00Z"},
        {"RecordType": "Open", "Recipient": "fine@example.com", "ReceivedAt": "2026-03-02T09:00:00Z"},
    ],
)
def test_soft_bounces_and_other_events_leave_the_address_alone(client, body):
    assert post(client, body).status_code == 200
    assert not EmailSuppression.objects.exists()


@pytest.mark.parametrize("auth", [None, "Basic " + base64.b64encode(b"anymail-test:wrong").decode()])
def test_a_webhook_without_the_secret_is_refused_and_changes_nothing(client, auth):
    response = post(client, postmark_bounce("victim@example.com"), auth=auth)
    assert response.status_code == 400
    assert not EmailSuppression.objects.exists()
    assert not EmailQueue.objects.exists()


def test_an_esp_without_credentials_fails_the_system_check(settings):
    from emails.checks import anymail_configured

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {}
    assert [m.id for m in anymail_configured()] == ["emails.E001", "emails.W001"]

    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token", "WEBHOOK_SECRET": "a:b"}
    assert anymail_configured() == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.ANYMAIL = {}
    assert anymail_configured() == []
