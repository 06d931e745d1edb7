"""`make run` and `manage.py`: SQLite and an embedded broker unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
SILENCED_SYSTEM_CHECKS = ["models.W038"]  # SQLite ignores deferrable unique constraints; PostgreSQL enforces them
