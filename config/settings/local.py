"""`make run` and `manage.py`: SQLite and an embedded broker unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
SILENCED_SYSTEM_CHECKS = ["models.W038"]  # SQLite ignores deferrable unique constraints; PostgreSQL enforces them
# A public playback id the free lesson shows while it has no video of its own (the demo course has no
# uploads): the test stream from Mux's own player docs. Unset elsewhere, so production never shows it.
MUX_DEMO_PLAYBACK_ID = env("MUX_DEMO_PLAYBACK_ID", "EcHgOK9coz5K4rjSwOkoE7Y7O01201YMIC200RI6lNxnhs")
