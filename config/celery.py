import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready
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
