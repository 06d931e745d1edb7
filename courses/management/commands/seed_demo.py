from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import admin_ensure
from config.site import absolute
from courses.services import demo_course_load

DEMO_ADMIN_EMAIL = "admin@syllabus.local"
DEMO_ADMIN_PASSWORD = "syllabus-demo-admin"


class Command(BaseCommand):
    help = "Load the demo course and an admin account (idempotent). Prints the admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (not for production).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo resets the demo admin's password; with DEBUG off pass --force.")
        _, created = admin_ensure(email=DEMO_ADMIN_EMAIL, password=DEMO_ADMIN_PASSWORD)
        modules, lessons = demo_course_load()
        self.stdout.write(self.style.SUCCESS(f"Demo course: {modules} modules, {lessons} lessons (lesson 1 free)."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login ({'created' if created else 'exists'}): {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}"
                f"  →  {absolute('/admin/')}"
            )
        )
