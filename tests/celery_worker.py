"""A real Celery worker process (`celery -A config worker`) on a real Redis broker, reading the test
database — for the few tests that are about the worker (emails, request ids, several instances)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

DEADLINE_SECONDS = 60


def wait_for(condition: Any, what: str, log: Path | None = None, deadline_seconds: float = DEADLINE_SECONDS) -> None:
    """Poll an external process's effect (not a clock rule: the worker runs on its own time)."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    detail = log.read_text()[-4000:] if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{detail}")


def database_url_for_processes() -> str:
    """The test database as a URL, for processes that must read and write what the test commits."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(
    *, broker: str, log: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a worker on `broker` with the test database, wait until it is ready, stop it afterwards."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url_for_processes(),
        "REDIS_URL": broker,
        "SITE_URL": settings.SITE_URL,
        **(env or {}),
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
        f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
        *args,
    ]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=environment, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: "ready." in log.read_text() or process.poll() is not None, "the worker to start", log)
        assert process.poll() is None, log.read_text()
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def publishing_to(broker: str) -> Iterator[Any]:
    """Publish tasks to `broker` for real (no eager tasks); the broker's database is the test's and is emptied."""
    redis.Redis.from_url(broker).flushdb()
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = broker
    celery_app.conf.task_always_eager = False
    celery_app._after_fork()  # drop producer pools bound to the previous broker
    try:
        yield celery_app
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        celery_app._after_fork()
        redis.Redis.from_url(broker).flushdb()
