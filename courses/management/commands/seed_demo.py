from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import admin_ensure, learner_ensure
from billing.services import demo_subscription_ensure
from config.site import absolute
from courses.services import demo_course_load
from pages.services import site_content_demo_load

DEMO_ADMIN_EMAIL = "admin@syllabus.local"
DEMO_ADMIN_PASSWORD = "syllabus-demo-admin"
# A subscribed learner, so the paid experience can be seen without Stripe keys.
DEMO_MEMBER_EMAIL = "member@syllabus.local"
DEMO_MEMBER_PASSWORD = "syllabus-demo-member"
DEMO_MEMBER_NAME = "Sam"


class Command(BaseCommand):
    help = "Load the demo course, site content, an admin and a subscribed member (idempotent). Prints both logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (not for production).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo resets the demo accounts' passwords; with DEBUG off pass --force.")
        _, created = admin_ensure(email=DEMO_ADMIN_EMAIL, password=DEMO_ADMIN_PASSWORD)
        member, member_created = learner_ensure(
            email=DEMO_MEMBER_EMAIL, password=DEMO_MEMBER_PASSWORD, name=DEMO_MEMBER_NAME
        )
        demo_subscription_ensure(user=member)
        modules, lessons = demo_course_load()
        site_content_demo_load()
        self.stdout.write(self.style.SUCCESS(f"Demo course: {modules} modules, {lessons} lessons (lesson 1 free)."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login ({'created' if created else 'exists'}): {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}"
                f"  →  {absolute('/admin/')}"
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Member login ({'created' if member_created else 'exists'}): {DEMO_MEMBER_EMAIL} / "
                f"{DEMO_MEMBER_PASSWORD}  →  {settings.SITE_URL}/dashboard/ (an active monthly subscription)"
            )
        )
