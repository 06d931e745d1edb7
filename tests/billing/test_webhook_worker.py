"""The webhooks with a real Celery worker on a private redis-server: the answer comes before the
processing (Stripe hanging holds the worker, never the web request), and events received while the
broker was down are recovered by the beat sweeper once it is back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import StripeEvent, StripeEventStatus, Subscription, SubscriptionStatus
from billing.tasks import stripe_events_sweep
from config.celery import app as celery_app
from courses.models import Lesson, MuxEvent, MuxEventStatus, VideoStatus
from courses.tasks import mux_events_sweep
from tests.accounts.factories import UserFactory
from tests.billing.fake_stripe import FakeStripe
from tests.billing.stripe_events import lifecycle_event, post_event, subscription_state
from tests.courses.factories import LessonFactory
from tests.courses.test_webhooks import deliver, load_event
from tests.processes import RedisServer, celery_worker, redis_server, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server as the Celery broker, publishing for real (no eager tasks)."""
    with redis_server(tmp_path) as server:
        saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
        celery_app.conf.broker_url = server.url
        celery_app.conf.task_always_eager = False
        celery_app._after_fork()  # drop producer pools bound to the previous broker
        try:
            yield server
        finally:
            celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
            celery_app._after_fork()


def _worker_env(fake_stripe: FakeStripe) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "STRIPE_TIMEOUT_SECONDS": "30",
        "STRIPE_PRICE_MONTHLY": settings.STRIPE_PRICE_MONTHLY,
        "STRIPE_PRICE_ANNUAL": settings.STRIPE_PRICE_ANNUAL,
    }


def _statuses() -> set[str]:
    return set(StripeEvent.objects.values_list("status", flat=True))


def _held_locks() -> tuple[int, int]:
    """Advisory locks held, and sessions idle inside a transaction, in the test database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        advisory = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        idle_in_transaction = cursor.fetchone()[0]
    return advisory, idle_in_transaction


def test_the_webhook_answers_before_processing_while_stripe_hangs(
    broker: RedisServer, fake_stripe: FakeStripe, tmp_path: Path
) -> None:
    user = UserFactory()
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    fake_stripe.hang("GET", "/v1/subscriptions/")
    log = tmp_path / "worker.log"
    with celery_worker(broker_url=broker.url, log=log, env=_worker_env(fake_stripe)):
        client = Client()
        events = [
            lifecycle_event(step, user_id=user.pk) for step in ("02_customer.subscription.created", "03_invoice.paid")
        ]
        responses = [post_event(client, event) for event in events]
        # Both answered while Stripe has not answered anything yet: nothing was processed in the request.
        assert [r.status_code for r in responses] == [200, 200]
        assert [r.json()["status"] for r in responses] == ["RECEIVED", "RECEIVED"]
        assert fake_stripe.requests_to("GET", "/v1/subscriptions/") == []

        wait_for(lambda: fake_stripe.hanging, "the worker to call the hanging Stripe", log)
        assert _statuses() == {StripeEventStatus.RECEIVED}
        assert not Subscription.objects.exists()
        assert _held_locks() == (0, 0)  # the worker waits on Stripe holding no lock and no open transaction

        fake_stripe.release()
        wait_for(lambda: _statuses() == {StripeEventStatus.PROCESSED}, "both events to be processed", log)
    assert Subscription.objects.get(user=user).status == SubscriptionStatus.ACTIVE
    assert StripeEvent.objects.filter(attempts=1).count() == 2


def test_events_received_while_the_broker_is_down_are_recovered_by_the_sweeper(
    broker: RedisServer, fake_stripe: FakeStripe, tmp_path: Path, caplog: Any
) -> None:
    user = UserFactory()
    fake_stripe.put_subscription(subscription_state("active_month1", user_id=user.pk))
    lesson = LessonFactory(
        mux_upload_id="OA02dANZ5N7BXgVH3jnTzSP7R00kJBbYR4bEYXo4GTtn8", video_status=VideoStatus.WAITING
    )
    client = Client()

    broker.stop()
    stripe_response = post_event(client, lifecycle_event("02_customer.subscription.created", user_id=user.pk))
    mux_response = deliver(client, load_event("video.asset.ready", lesson=lesson))
    # Stored and answered; the task could not be queued (logged), and no request waited for a reconnect.
    assert (stripe_response.status_code, mux_response.status_code) == (200, 200)
    assert StripeEvent.objects.get().status == StripeEventStatus.RECEIVED
    assert MuxEvent.objects.get().status == MuxEventStatus.RECEIVED
    assert "Error calling" in caplog.text or "Connection refused" in caplog.text

    broker.start()
    # Some time later (the sweeper leaves just-received events to their own task for UNCLAIMED_GRACE).
    earlier = timezone.now() - timedelta(minutes=2)
    StripeEvent.objects.update(received_at=earlier)
    MuxEvent.objects.update(received_at=earlier)
    log = tmp_path / "worker.log"
    with celery_worker(broker_url=broker.url, log=log, env=_worker_env(fake_stripe)):
        stripe_events_sweep.delay()  # what beat sends every minute
        mux_events_sweep.delay()
        wait_for(lambda: _statuses() == {StripeEventStatus.PROCESSED}, "the Stripe event to be processed", log)
        wait_for(
            lambda: MuxEvent.objects.get().status == MuxEventStatus.PROCESSED, "the Mux event to be processed", log
        )
    assert Subscription.objects.get(user=user).status == SubscriptionStatus.ACTIVE
    assert Lesson.objects.get(pk=lesson.pk).video_status == VideoStatus.READY
