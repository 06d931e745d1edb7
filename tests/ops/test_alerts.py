"""The admin index's "Needs attention" banner: failed emails and webhook events, a drain that is behind,
rollups that lag — each linking to the rows behind it; nothing when all is well."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import MrrSnapshot
from billing.models import StripeEvent
from courses.models import MuxEvent
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def banner(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    if "Needs attention" not in html:
        return ""
    start = html.index('<section class="operator-alerts"')
    return html[start : html.index("</section>", start)]


def email(status: str, *, scheduled_for, key: str) -> EmailQueue:
    return EmailQueue.objects.create(
        user=UserFactory(),
        template=EmailTemplate.WELCOME,
        scheduled_for=scheduled_for,
        status=status,
        idempotency_key=key,
    )


def test_no_banner_when_all_is_well(admin_client):
    email(EmailStatus.SENT, scheduled_for=timezone.now(), key="sent")
    email(EmailStatus.PENDING, scheduled_for=timezone.now() - timedelta(minutes=2), key="due-recently")
    MrrSnapshot.objects.create(day=timezone.now().date(), mrr=0, taken_at=timezone.now() - timedelta(minutes=30))
    assert banner(admin_client) == ""


def test_failed_emails_link_to_the_filtered_queue(admin_client):
    email(EmailStatus.FAILED, scheduled_for=timezone.now(), key="f1")
    email(EmailStatus.FAILED, scheduled_for=timezone.now(), key="f2")
    html = banner(admin_client)
    assert "2 emails failed after every retry." in html
    assert 'href="/admin/emails/emailqueue/?status__exact=FAILED"' in html


def test_a_drain_that_is_behind_links_to_the_pending_rows(admin_client):
    email(EmailStatus.PENDING, scheduled_for=timezone.now() - timedelta(minutes=12), key="late")
    html = banner(admin_client)
    assert "The email drain is behind: the oldest due email has waited 12 minutes" in html
    assert 'href="/admin/emails/emailqueue/?status__exact=PENDING"' in html


def test_a_row_waiting_out_its_retry_backoff_is_not_behind(admin_client):
    row = email(EmailStatus.PENDING, scheduled_for=timezone.now() - timedelta(minutes=30), key="retrying")
    EmailQueue.objects.filter(pk=row.pk).update(attempts=3, next_attempt_at=timezone.now() + timedelta(minutes=4))
    assert banner(admin_client) == ""


def test_failed_and_stuck_webhook_events(admin_client):
    now = timezone.now()
    StripeEvent.objects.create(
        stripe_event_id="evt_1", type="invoice.paid", stripe_created=now, payload={}, status="FAILED"
    )
    MuxEvent.objects.create(mux_event_id="mux_1", type="video.asset.ready", payload={}, status="RECEIVED")
    MuxEvent.objects.filter(mux_event_id="mux_1").update(received_at=now - timedelta(minutes=25))
    html = banner(admin_client)
    assert "1 Stripe webhook event failed to process." in html
    assert 'href="/admin/billing/stripeevent/?status__exact=FAILED"' in html
    assert "Mux webhook events are waiting to be processed" in html
    assert 'href="/admin/courses/muxevent/?status__in=RECEIVED%2CRETRYING"' in html


def test_rollups_that_lag_link_to_the_dashboard(admin_client):
    taken = timezone.now()
    MrrSnapshot.objects.create(day=taken.date(), mrr=0, taken_at=taken)
    with time_machine.travel(taken + timedelta(hours=5, minutes=10)):
        html = banner(admin_client)
    assert "Analytics rollups are 5 hours behind" in html
    assert 'href="/admin/analytics/"' in html


def test_the_banner_costs_the_same_queries_with_more_rows(admin_client):
    email(EmailStatus.FAILED, scheduled_for=timezone.now(), key="one")
    admin_client.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/")
    for i in range(40):
        email(EmailStatus.FAILED, scheduled_for=timezone.now(), key=f"more{i}")
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/")
    assert len(many) == len(few)
