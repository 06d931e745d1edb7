"""`make run` and `manage.py`: SQLite and an embedded broker unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403
from .base import BASE_DIR, EMAIL_URL, env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
if EMAIL_URL.startswith("console"):
    # One line per email in the terminal (to, subject, template); the full message goes to .run/mail/.
    EMAIL_BACKEND = "emails.backends.SummaryFileBackend"
    EMAIL_FILE_PATH = str(BASE_DIR / ".run" / "mail")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
SILENCED_SYSTEM_CHECKS = ["models.W038"]  # SQLite ignores deferrable unique constraints; PostgreSQL enforces them
# A public playback id the free lesson shows while it has no video of its own (the demo course has no
# uploads): the test stream from Mux's own player docs. Unset elsewhere, so production never shows it.
MUX_DEMO_PLAYBACK_ID = env("MUX_DEMO_PLAYBACK_ID", "EcHgOK9coz5K4rjSwOkoE7Y7O01201YMIC200RI6lNxnhs")
# The demo course's videos (courses/demo.py): Mux's public test streams, played without signing. Local only.
MUX_DEMO_PLAYBACK_IDS = frozenset(
    {
        MUX_DEMO_PLAYBACK_ID,
        "EcHgOK9coz5K4rjSwOkoE7Y7O01201YMIC200RI6lNxnhs",
        "a4nOgmxGWg6gULfcBbAa00gXyfcwPnAFldF8RdsNyk8M",
        "DS00Spx1CV902MCtPj5WknGlR102V5HFkDe",
    }
)
# `make run`: the worker touches this file when it is ready, so the start-up summary prints after its banner.
RUN_READY_FILE = env("RUN_READY_FILE")
