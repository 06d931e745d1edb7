"""/metrics: Prometheus text format behind a bearer token, with the product's own gauges read from the
database at scrape time and the request metrics django-prometheus counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from billing.models import StripeEvent
from config.provider_events import ProviderEventStatus
from courses.models import MuxEvent
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def queue_row(user, status: str, *, scheduled_for, key: str) -> EmailQueue:
    return EmailQueue.objects.create(
        user=user, template=EmailTemplate.WELCOME, scheduled_for=scheduled_for, status=status, idempotency_key=key
    )


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer"])
def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_on, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"syllabus_" not in response.content


def test_product_gauges_follow_the_database(client, metrics_on):
    user = UserFactory()
    now = timezone.now()
    queue_row(user, EmailStatus.PENDING, scheduled_for=now - timedelta(minutes=7), key="a")
    queue_row(user, EmailStatus.PENDING, scheduled_for=now + timedelta(days=1), key="b")  # not due yet
    sent = queue_row(user, EmailStatus.SENT, scheduled_for=now - timedelta(minutes=1), key="c")
    queue_row(user, EmailStatus.FAILED, scheduled_for=now - timedelta(hours=1), key="d")
    EmailLog.objects.create(
        user=user, template=EmailTemplate.WELCOME, to=user.email, subject="s", status=EmailStatus.SENT, queue_item=sent
    )
    StripeEvent.objects.create(
        stripe_event_id="evt_failed", type="invoice.paid", stripe_created=now, payload={}, status="FAILED"
    )
    StripeEvent.objects.create(
        stripe_event_id="evt_waiting", type="invoice.paid", stripe_created=now, payload={}, status="RECEIVED"
    )
    MuxEvent.objects.create(mux_event_id="mux_1", type="video.asset.ready", payload={}, status="PROCESSED")

    samples = scrape(client)

    assert samples[("syllabus_email_queue_rows", (("status", "PENDING"),))] == 2
    assert samples[("syllabus_email_queue_rows", (("status", "SENT"),))] == 1
    assert samples[("syllabus_email_queue_rows", (("status", "FAILED"),))] == 1
    assert samples[("syllabus_email_queue_rows", (("status", "CANCELLED"),))] == 0
    assert 7 * 60 <= samples[("syllabus_email_oldest_due_age_seconds", ())] < 8 * 60
    assert samples[("syllabus_email_drain_throughput_per_second", ())] == pytest.approx(1 / 300)
    assert samples[("syllabus_webhook_events", (("provider", "stripe"), ("status", "FAILED")))] == 1
    assert samples[("syllabus_webhook_events", (("provider", "stripe"), ("status", "RECEIVED")))] == 1
    assert samples[("syllabus_webhook_events", (("provider", "mux"), ("status", "PROCESSED")))] == 1
    assert samples[("syllabus_webhook_events", (("provider", "mux"), ("status", ProviderEventStatus.FAILED)))] == 0
    assert samples[("syllabus_webhook_oldest_unprocessed_age_seconds", (("provider", "stripe"),))] >= 0
    assert samples[("syllabus_webhook_oldest_unprocessed_age_seconds", (("provider", "mux"),))] == 0
    # The rollup never ran in this database.
    lag = samples[("syllabus_analytics_rollup_lag_seconds", ())]
    assert lag != lag  # NaN


def test_request_metrics_count_the_requests_served(client, metrics_on):
    before = scrape(client)
    for _ in range(3):
        client.get("/pricing/")
    after = scrape(client)

    def served(samples, view: str) -> float:
        return sum(
            value
            for (name, labels), value in samples.items()
            if name == "django_http_responses_total_by_status_view_method_total"
            and dict(labels).get("view") == view
            and dict(labels).get("status") == "200"
        )

    assert served(after, "billing:pricing") - served(before, "billing:pricing") == 3


def test_a_scrape_costs_a_fixed_number_of_queries(client, metrics_on, django_assert_num_queries):
    user = UserFactory()
    for i in range(30):
        queue_row(user, EmailStatus.PENDING, scheduled_for=timezone.now(), key=f"k{i}")
    with django_assert_num_queries(6):  # ops.selectors.system_state: six aggregates
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
