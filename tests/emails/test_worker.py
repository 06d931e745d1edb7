"""A real Celery worker (a `celery -A config worker` process) on the real Redis (db 5), reading the
test database: the on-commit dispatch and the beat task's drain, end to end. Its mail goes to
files (Django's file backend), which the test reads back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from emails import triggers
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from emails.tasks import email_queue_drain
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The suite's Redis server, database 5 (this test's own: it is flushed), unless told otherwise.
BROKER = os.environ.get("EMAILS_WORKER_REDIS_URL") or urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/5"))
DEADLINE_SECONDS = 60


def wait_for(condition: Any, what: str, log: Path | None = None) -> None:
    """Poll an external process's effect (not a clock rule: the worker runs on its own time)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    detail = log.read_text()[-4000:] if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{detail}")


@pytest.fixture
def broker() -> Iterator[Any]:
    """Publish to Redis db 5 for real (no eager tasks); db 5 belongs to these tests and is emptied."""
    redis.Redis.from_url(BROKER).flushdb()
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = BROKER
    celery_app.conf.task_always_eager = False
    celery_app._after_fork()  # drop producer pools bound to the previous broker
    yield celery_app
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    celery_app._after_fork()
    redis.Redis.from_url(BROKER).flushdb()


@pytest.fixture
def worker(broker: Any, tmp_path: Path) -> Iterator[dict[str, Path]]:
    db = connection.settings_dict  # the test database, which this test commits to
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    database_url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    mail_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": BROKER,
        "CACHE_KEY_PREFIX": "emails-worker",
        "EMAIL_URL": f"file://{mail_dir}",
        "SITE_URL": settings.SITE_URL,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
        f"--hostname=emails-test-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "ready." in log.read_text() or process.poll() is not None, "the worker to start", log)
        assert process.poll() is None, log.read_text()
        yield {"mail": mail_dir, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
