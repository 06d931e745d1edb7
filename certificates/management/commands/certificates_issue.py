"""Issue the certificates learners earned before certificates existed (or while issuing was off).

Safe to run any number of times: `certificate_issue_if_complete` issues at most one per learner, ever.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from certificates.services import certificate_issue_if_complete
from progress.models import LessonProgress


class Command(BaseCommand):
    help = "Issue a certificate to every learner who has completed every published lesson and has none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        candidates = (
            LessonProgress.objects.filter(completed=True, user__certificate__isnull=True)
            .values_list("user_id", flat=True)
            .distinct()
        )
        issued = 0
        for user in get_user_model().objects.filter(pk__in=list(candidates)).iterator():
            with transaction.atomic():
                # Same lock as a completion: a learner finishing a lesson right now can't race this.
                get_user_model().objects.select_for_update().filter(pk=user.pk).first()
                if certificate_issue_if_complete(user=user) is not None:
                    issued += 1
        self.stdout.write(f"Issued {issued} certificate(s).")
