"""gunicorn as production runs it (config/gunicorn.py) loads the app once, in the master, and recycles
workers as forks of it: each recycled worker still opens its own database and Redis connections, and the
request metrics of the workers that were replaced are still counted."""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.ops.test_several_instances import app_env, process, requests_served
from tests.processes import spare_port

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REQUESTS = 30
RECYCLE_AFTER = 4


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def test_recycled_workers_are_forks_of_the_preloaded_app(private_redis, tmp_path: Path):
    port = spare_port()
    (tmp_path / "mail").mkdir()
    env = {
        **app_env(private_redis.url, "http://127.0.0.1:9", tmp_path / "mail"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_MAX_REQUESTS": str(RECYCLE_AFTER),
        "GUNICORN_MAX_REQUESTS_JITTER": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    env.pop("GUNICORN_PRELOAD", None)  # production's default
    log = tmp_path / "web.log"
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
    base_url = f"http://127.0.0.1:{port}"
    with process(command, env=env, log=log, ready="Booting worker") as master:
        # The master has the app loaded (its database driver's compiled module is mapped), not only the workers.
        maps = Path(f"/proc/{master.pid}/maps").read_text()
        assert "psycopg" in maps

        for _ in range(REQUESTS):
            status, body = _get(f"{base_url}/healthz")
            # Each worker, the recycled ones too, reaches PostgreSQL and Redis on connections of its own.
            assert status == 200
            assert json.loads(body) == {"status": "ok", "database": "ok", "redis": "ok"}

        booted = set(re.findall(r"Booting worker with pid: (\d+)", log.read_text()))
        assert len(booted) >= 2 + REQUESTS // RECYCLE_AFTER - 2, log.read_text()[-3000:]  # workers were recycled
        # The replaced workers' samples stay in the multiprocess folder: every request is counted once.
        assert requests_served(base_url, "healthz") == REQUESTS
