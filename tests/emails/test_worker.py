"""A real Celery worker (a `celery -A config worker` process) on the real Redis (db 5), reading the
test database: the on-commit dispatch and the beat task's drain, end to end. Its mail goes to
files (Django's file backend), which the test reads back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from emails import triggers
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from emails.tasks import email_queue_drain
from tests.accounts.factories import UserFactory
from tests.processes import celery_worker, publishing_to, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The suite's Redis server, database 5 (this test's own: it is flushed), unless told otherwise.
BROKER = os.environ.get("EMAILS_WORKER_REDIS_URL") or urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/5"))


@pytest.fixture
def broker() -> Iterator[Any]:
    """Publish to Redis db 5 for real (no eager tasks); db 5 belongs to these tests and is emptied."""
    with publishing_to(BROKER) as app:
        yield app


@pytest.fixture
def worker(broker: Any, tmp_path: Path) -> Iterator[dict[str, Path]]:
    mail_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    env = {"CACHE_KEY_PREFIX": "emails-worker", "EMAIL_URL": f"file://{mail_dir}"}
    with celery_worker(broker_url=BROKER, log=log, env=env):
        yield {"mail": mail_dir, "log": log}


def sent_messages(mail_dir: Path) -> list[str]:
    if not mail_dir.exists():
        return []
    text = "".join(p.read_text() for p in sorted(mail_dir.iterdir()))
    return [m for m in text.split("-" * 79) if "Message-ID:" in m]


def test_a_row_due_now_is_sent_by_the_worker_when_the_signup_commits(worker):
    with transaction.atomic():
        user = UserFactory()
        triggers.signup_emails_queue(user=user)
        # Not yet committed: nothing was published to the broker.
        assert redis.Redis.from_url(BROKER).llen("emails") == 0

    welcome = EmailQueue.objects.get(user_id=user.pk, template=EmailTemplate.WELCOME)
    wait_for(
        lambda: EmailQueue.objects.get(pk=welcome.pk).status == EmailStatus.SENT, "WELCOME to be sent", worker["log"]
    )

    [message] = sent_messages(worker["mail"])
    assert f"To: {user.email}" in message
    assert "Subject: Welcome to Syllabus" in message
    assert f"Message-ID: <{welcome.pk}@testserver>" in message
    assert "List-Unsubscribe" not in message  # transactional
    assert EmailLog.objects.get(queue_item=welcome).status == EmailStatus.SENT
    # START_JOURNEY is a day away: the worker left it alone.
    assert EmailQueue.objects.get(user_id=user.pk, template=EmailTemplate.START_JOURNEY).status == EmailStatus.PENDING


def test_the_beat_task_drains_due_rows_through_the_worker(worker):
    user = UserFactory()
    past = timezone.now() - timedelta(minutes=5)
    # Rows that became due while nothing dispatched them (queued ahead, or a broker outage).
    EmailQueue.objects.bulk_create(
        [
            EmailQueue(
                user_id=user.pk,
                template=EmailTemplate.ABANDONMENT_1,
                scheduled_for=past,
                idempotency_key=f"worker-test:{n}",
            )
            for n in range(20)
        ]
    )

    email_queue_drain.delay()

    wait_for(lambda: not EmailQueue.objects.filter(status=EmailStatus.PENDING).exists(), "the drain", worker["log"])
    assert set(EmailQueue.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert EmailLog.objects.filter(status=EmailStatus.SENT).count() == 20
    messages = sent_messages(worker["mail"])
    assert len(messages) == 20
    assert all("List-Unsubscribe-Post: List-Unsubscribe=One-Click" in m for m in messages)

    # The same task again (a duplicate beat tick): nothing more is sent.
    email_queue_drain.delay()
    wait_for(lambda: worker["log"].read_text().count("email_queue_drain") >= 4, "the second drain", worker["log"])
    assert len(sent_messages(worker["mail"])) == 20
