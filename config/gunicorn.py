"""gunicorn's configuration in production: `gunicorn -c config/gunicorn.py config.wsgi:application`.

Like a settings module, it reads its few knobs from the environment (gunicorn's own names where they exist).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: (2 x cores) + 1 is gunicorn's own starting point for I/O-bound Django.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
# Above the longest provider call a request can make (Stripe: STRIPE_TIMEOUT_SECONDS x retries, within the
# client's total budget), so the app's own timeouts fire first and answer with a message, not a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (jittered, so they never restart together): bounds any slow leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# The app is loaded once, in the master, and every worker is a fork of it: a worker that recycling replaces
# starts in milliseconds instead of re-importing Django and the project (~1 s of CPU taken from the requests
# being served meanwhile, every `max_requests` per worker), and the workers share the loaded, frozen objects
# (config/wsgi.py) copy-on-write. Loading opens no connection (the database, Redis and provider clients
# connect on first use, in each worker). The price: new code needs a restart, not a HUP. GUNICORN_PRELOAD=0
# loads the app in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# Combined log format + the request id (django-guid returns it as X-Request-ID) and the time taken (µs).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" id=%({x-request-id}o)s us=%(D)s'
errorlog = "-"

# Prometheus request metrics are per process; in multiprocess mode every worker writes its samples to a
# shared folder and /metrics adds them up (prometheus_client's multiprocess mode).
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / "syllabus-metrics"))
Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
# prometheus_client picks its multiprocess value class when first imported: only after the folder is set.
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server: Any) -> None:
    """A fresh folder for each start: a dead worker's old samples are not counted again."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


# prometheus_client picks its multiprocess value class when first imported: only after the folder is set.


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid)
