"""Real parts started and stopped by the tests that are about them: a private redis-server on a
spare port (killed and restarted to prove outages), and a real Celery worker process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

DEADLINE_SECONDS = 120  # a loaded 2-core CI machine starts a worker slowly


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], what: str, log: Path | None = None, deadline_seconds: float = DEADLINE_SECONDS
) -> None:
    """Poll an external process's effect (not a clock rule: the process runs on its own time)."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    detail = log.read_text()[-4000:] if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{detail}")


class RedisServer:
    """redis-server on 127.0.0.1:<spare port>, no persistence; `stop()` kills it, `start()` brings it back."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server).")
        self.binary = binary
        self.directory = directory
        self.port = spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def _ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*command, "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self._ping, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def redis_cache(directory: Path, settings: Any, *, prefix: str) -> Iterator[RedisServer]:
    """A private redis-server as the site's cache (the fail-open backend production uses), for a test that
    stops it; the suite's own cache is back before the shared fixtures clear it."""
    working = settings.CACHES
    with redis_server(directory) as server:
        settings.CACHES = {
            "default": {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": server.url, "KEY_PREFIX": prefix}
        }
        try:
            yield server
        finally:
            settings.CACHES = working


def committed_database_url() -> str:
    db = connection.settings_dict  # the test database, which the calling test commits to
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(
    *, broker_url: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A `celery -A config worker` process (solo pool) on `broker_url`, reading the test database."""
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": committed_database_url(),
        "REDIS_URL": broker_url,
        "CACHE_KEY_PREFIX": f"worker-{uuid.uuid4().hex[:8]}",
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
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=full_env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT)
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
    import redis

    from config.celery import app as celery_app

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
