from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from courses.management.commands.seed_demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_MEMBER_EMAIL,
    DEMO_MEMBER_PASSWORD,
)


def _web_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (our own local URL)
            return response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def summary_box(site_url: str, *, worker_ready: bool) -> str:
    admin = f"{DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}"
    member = f"{DEMO_MEMBER_EMAIL} / {DEMO_MEMBER_PASSWORD}"
    column = max(len(admin), len(member))
    lines = [
        f"Syllabus is running at {site_url}/",
        "",
        f"Admin   {admin.ljust(column)}  → {site_url}/admin/",
        f"Member  {member.ljust(column)}  → {site_url}/dashboard/",
        "        (an active subscription: every lesson is open)",
        "",
        "Emails print here as one line; full messages are in .run/mail/.",
        "Worker and beat: ready." if worker_ready else "Worker and beat: still starting (emails wait in the queue).",
        "Ctrl-C stops everything.",
    ]
    width = max(len(line) for line in lines)
    top = "╭" + "─" * (width + 2) + "╮"
    bottom = "╰" + "─" * (width + 2) + "╯"
    return "\n".join([top, *[f"│ {line.ljust(width)} │" for line in lines], bottom])


class Command(BaseCommand):
    help = "make run: wait for the web server and the worker, then print a boxed summary with both demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait for both (default 60).")

    def handle(self, *args: Any, **options: Any) -> None:
        site_url = settings.SITE_URL
        ready_path = getattr(settings, "RUN_READY_FILE", "")
        ready_file = Path(ready_path) if ready_path else None
        deadline = time.monotonic() + options["timeout"]
        web = worker = False
        while time.monotonic() < deadline and not (web and worker):
            web = web or _web_up(site_url)
            worker = worker or ready_file is None or ready_file.exists()
            if not (web and worker):
                time.sleep(0.5)
        # A moment for the last start-up lines (runserver's, Celery's) to reach the terminal first.
        time.sleep(1.0)
        self.stdout.write("\n" + summary_box(site_url, worker_ready=worker) + "\n")
