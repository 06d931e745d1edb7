"""Several instances on one PostgreSQL and one Redis end exactly where one instance would.

Two gunicorn instances (production's config file, two workers each), two Celery workers and two beat
schedulers share the test database and a Redis of this test's own. Shuffled, duplicated Stripe deliveries
for several learners go round-robin to both web instances, four at a time, while the workers drain 2,000 due
emails. Afterwards every subscription equals Stripe's final state with each side effect once, every email was
sent exactly once, and both instances' request metrics (prometheus multiprocess mode) add up.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from analytics.models import Event, EventName
from billing.models import StripeEvent, Subscription
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory
from tests.billing.stripe_events import LIFECYCLE, lifecycle_event, sign, subscription_state
from tests.billing.test_convergence import _expected, _row
from tests.processes import celery_worker, committed_database_url, publishing_to, spare_port, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEARNERS = 4
EMAILS = 2000
METRICS_TOKEN = "several-instances-metrics-token"


_STRIPE_ID = re.compile(r"\b((?:evt|sub|cus|in|si|il|pi|ch|cs)_[A-Za-z0-9]+)")


def for_learner(obj: dict[str, Any], n: int) -> dict[str, Any]:
    """The fixture with its own Stripe ids (events, subscription, customer, invoices) for learner n."""
    return json.loads(_STRIPE_ID.sub(rf"\1L{n}", json.dumps(obj)))


def app_env(private_redis_url: str, fake_stripe_url: str, mail: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": committed_database_url(),
        "REDIS_URL": private_redis_url,
        "SITE_URL": settings.SITE_URL,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_PRICE_MONTHLY": settings.STRIPE_PRICE_MONTHLY,
        "STRIPE_PRICE_ANNUAL": settings.STRIPE_PRICE_ANNUAL,
        "STRIPE_API_BASE": fake_stripe_url,
        "EMAIL_URL": f"file://{mail}",
        "EMAIL_DRAIN_INTERVAL_SECONDS": "1",
        "METRICS_TOKEN": METRICS_TOKEN,
    }


@contextmanager
def process(command: list[str], *, env: dict[str, str], log: Path, ready: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: ready in log.read_text() or proc.poll() is not None, f"{command[2]} to start", log)
        assert proc.poll() is None, log.read_text()[-3000:]
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def gunicorn(env: dict[str, str], tmp: Path, name: str) -> tuple[Any, str]:
    port = spare_port()
    metrics_dir = tmp / f"metrics-{name}"
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
    return process(command, env=env, log=tmp / f"{name}.log", ready="Booting worker"), f"http://127.0.0.1:{port}"


def beat(env: dict[str, str], tmp: Path, name: str) -> Any:
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", f"--schedule={tmp / name}.db"]
    return process(command, env=env, log=tmp / f"{name}.log", ready="beat: Starting")


def deliver(base_url: str, event: dict[str, Any]) -> int:
    body = json.dumps(event).encode()
    request = urllib.request.Request(
        f"{base_url}/webhooks/stripe/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def requests_served(base_url: str, view: str) -> float:
    """How many responses the instance's workers gave for `view`, added up from its /metrics."""
    request = urllib.request.Request(f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "django_http_responses_total_by_status_view_method_total"
        and sample.labels.get("view") == view
    )


def test_two_of_everything_end_like_one(private_redis, fake_stripe, tmp_path):
    learners = [UserFactory() for _ in range(LEARNERS)]
    events = []
    for n, learner in enumerate(learners):
        fake_stripe.put_subscription(for_learner(subscription_state("canceled", user_id=learner.pk), n))
        events += [for_learner(lifecycle_event(step, user_id=learner.pk), n) for step in LIFECYCLE]
    rng = random.Random(19)
    deliveries = [event for event in events for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)

    owner = UserFactory()
    due = timezone.now() - timezone.timedelta(minutes=1)
    EmailQueue.objects.bulk_create(
        EmailQueue(user_id=owner.pk, template=EmailTemplate.WELCOME, scheduled_for=due, idempotency_key=f"many:{n}")
        for n in range(EMAILS)
    )

    mail = tmp_path / "mail"
    env = app_env(private_redis.url, fake_stripe.url, mail)
    with ExitStack() as stack:
        stack.enter_context(publishing_to(private_redis.url))
        web_a, url_a = gunicorn(env, tmp_path, "web-a")
        web_b, url_b = gunicorn(env, tmp_path, "web-b")
        stack.enter_context(web_a)
        stack.enter_context(web_b)
        for name in ("worker-a", "worker-b"):
            stack.enter_context(celery_worker(broker_url=private_redis.url, log=tmp_path / f"{name}.log", env=env))
        stack.enter_context(beat(env, tmp_path, "beat-a"))
        stack.enter_context(beat(env, tmp_path, "beat-b"))

        targets = [url_a if i % 2 == 0 else url_b for i in range(len(deliveries))]
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(deliver, targets, deliveries))
        assert set(statuses) == {200}

        def settled() -> bool:
            done = not StripeEvent.objects.exclude(status__in=["PROCESSED", "IGNORED"]).exists()
            return done and not EmailQueue.objects.filter(status=EmailStatus.PENDING, user_id=owner.pk).exists()

        wait_for(settled, "the events to be processed and the emails drained", tmp_path / "worker-a.log", 240)
        # Both instances served deliveries, and each instance's metrics add up its two workers.
        assert requests_served(url_a, "billing:stripe_webhook") == targets.count(url_a)
        assert requests_served(url_b, "billing:stripe_webhook") == targets.count(url_b)

    assert StripeEvent.objects.count() == len(events)
    for n, learner in enumerate(learners):
        final = for_learner(subscription_state("canceled", user_id=learner.pk), n)
        assert _row(Subscription.objects.get(user=learner)) == _expected(final)
        for name in (EventName.SUBSCRIPTION_STARTED, EventName.SUBSCRIPTION_CANCELLED, EventName.PAYMENT_FAILED):
            assert Event.objects.filter(user=learner, event=name).count() == 1, (learner.pk, name)

    # Exactly once: one SENT log per row, one message per row, whichever worker sent it.
    rows = EmailQueue.objects.filter(user_id=owner.pk)
    assert set(rows.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert EmailLog.objects.filter(queue_item__in=rows, status=EmailStatus.SENT).count() == EMAILS
    messages = "".join(p.read_text() for p in mail.iterdir()).count("Message-ID:")
    assert messages == EMAILS
