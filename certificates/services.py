"""Writes to certificates: issuing on course completion, hiding, revoking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from certificates.models import Certificate
from courses.selectors import published_lessons
from emails.triggers import certificate_email_queue
from progress.models import LessonProgress

if TYPE_CHECKING:
    from accounts.models import User


def _course_completed_count(*, user: User) -> int | None:
    """How many published lessons there are, if `user` has completed every one; None otherwise. One query."""

    done = LessonProgress.objects.filter(lesson=OuterRef("pk"), user=user, completed=True)
    counts = published_lessons().order_by().aggregate(total=Count("pk"), done=Count("pk", filter=Q(Exists(done))))
    if not counts["total"] or counts["done"] < counts["total"]:
        return None
    return int(counts["total"])


def certificate_issue_if_complete(*, user: User) -> Certificate | None:
    """Issue `user`'s certificate if they have now completed every published lesson (of published
    modules). At most once per learner, ever: a later completion, an un-complete and re-complete, or
    new lessons change nothing; a revoked certificate stays revoked. Queues CERTIFICATE with it.

    Call inside the completion's transaction, with the learner locked (progress's `_lock_learner`).
    Returns the new certificate, or None when none was issued."""
    if Certificate.objects.filter(user=user).exists():
        return None
    lessons = _course_completed_count(user=user)
    if lessons is None:
        return None
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                user=user,
                # Never the full email address on a public page: without a name, its local part.
                name=(user.name or "").strip() or user.display_name,
                course_title=_course_title(),
                lessons_completed=lessons,
                issued_at=timezone.now(),
            )
    except IntegrityError:  # issued by a concurrent completion that did not hold the learner lock
        return None
    certificate_email_queue(certificate=certificate)
    return certificate


def _course_title() -> str:

    return str(settings.COURSE_TITLE)


def certificate_visibility_set(*, user: User, certificate: Certificate, public: bool) -> Certificate:
    """The owner shows or hides the public page. Idempotent."""
    if certificate.user_id != user.pk:
        raise PermissionError("Only the learner it was issued to can change this certificate.")
    if certificate.is_public != public:
        certificate.is_public = public
        certificate.save(update_fields=["is_public"])
    return certificate


def certificate_revoke(*, certificate: Certificate, reason: str) -> bool:
    """Admin: the public page answers "revoked" from now on. Returns False if it already was."""
    if certificate.is_revoked:
        return False
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_reason"])
    return True
