import gc
import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init, worker_ready
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("syllabus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _worker_ready_mark(**_: object) -> None:
    """`make run` prints its summary box once the worker is up (after Celery's banner): it waits for this file."""
    path = getattr(settings, "RUN_READY_FILE", "")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()


@worker_init.connect
def _worker_warm(**_: object) -> None:
    """Once per worker, before its pool forks: load and flatten the email templates and import the URLconf
    (what a fresh process's first drain otherwise pays, ≈ 0.5 s), then `gc.freeze()` everything loaded so far.
    Modules, templates and URL patterns live as long as the process; frozen, the garbage collector's full
    collections stop walking those ~200,000 objects every few thousand emails (bench/README.md, the drain),
    and the pool's forked processes share them without copying the pages a collection would touch."""
    from emails.rendering import email_templates_warm  # noqa: PLC0415 — Django is set up only once the worker runs

    try:
        email_templates_warm()
    except Exception:  # a warm-up that fails only means the first drain pays for it
        logging.getLogger(__name__).warning("email templates not warmed up", exc_info=True)
    gc.freeze()
