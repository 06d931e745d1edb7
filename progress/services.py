"""Writes to learner progress: completion, video completion, resume position.

Callers have already run `courses.selectors.lesson_access(user, lesson)` and got WATCH; these
functions record facts, they do not decide access.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from analytics.models import EventName
from analytics.services import event_track
from billing.selectors import has_access
from certificates.services import certificate_issue_if_complete
from config.services import model_update
from courses.models import Lesson
from emails.triggers import abandonment_emails_queue, module_complete_email_queue
from progress.models import LessonProgress

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class CompletionResult:
    progress: LessonProgress
    changed: bool  # False when the lesson was already in the requested state (idempotent repeat)
    module_completed: bool = False  # this call completed the module's last published lesson


def _lock_learner(user: User) -> None:
    """Serialise one learner's completions: two lessons completed at the same moment must still see
    each other, or the module's last lesson would never be noticed. FOR UPDATE on the user row."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _progress_row(*, user: User, lesson: Lesson) -> LessonProgress:
    progress, _ = LessonProgress.objects.select_for_update().get_or_create(user=user, lesson=lesson)
    return progress


def _module_is_complete(*, user: User, lesson: Lesson) -> bool:
    """Has `user` completed every published lesson of `lesson`'s module? One query."""
    done = LessonProgress.objects.filter(lesson=OuterRef("pk"), user=user, completed=True)
    return not Lesson.objects.filter(module_id=lesson.module_id, published=True).exclude(Exists(done)).exists()


def lesson_complete(*, user: User, lesson: Lesson) -> CompletionResult:
    """Mark `lesson` completed for `user`. Idempotent: completing it again changes nothing.

    On the transition to completed: records `lesson_completed`; if that was the last published lesson
    of a published module, queues MODULE_COMPLETE and records `module_completed`.
    """
    with transaction.atomic():
        _lock_learner(user)
        progress = _progress_row(user=user, lesson=lesson)
        if progress.completed:
            return CompletionResult(progress=progress, changed=False)
        model_update(instance=progress, data={"completed": True, "completed_at": timezone.now()})
        event_track(
            name=EventName.LESSON_COMPLETED,
            user=user,
            properties={"lesson_id": lesson.pk, "module_id": lesson.module_id},
        )
        module = lesson.module
        module_completed = lesson.published and module.published and _module_is_complete(user=user, lesson=lesson)
        if module_completed:
            module_complete_email_queue(user=user, module=module)
            event_track(
                name=EventName.MODULE_COMPLETED,
                user=user,
                properties={"module_id": module.pk, "module_title": module.title},
            )
        if lesson.published and module.published:
            # The last published lesson of the course issues the certificate (once per learner, ever).
            certificate_issue_if_complete(user=user)
        return CompletionResult(progress=progress, changed=True, module_completed=module_completed)


def lesson_uncomplete(*, user: User, lesson: Lesson) -> CompletionResult:
    """Mark `lesson` not completed. Idempotent. The resume position and the video history are kept."""
    with transaction.atomic():
        _lock_learner(user)
        progress = _progress_row(user=user, lesson=lesson)
        if not progress.completed:
            return CompletionResult(progress=progress, changed=False)
        model_update(instance=progress, data={"completed": False, "completed_at": None})
        return CompletionResult(progress=progress, changed=True)


def lesson_video_complete(*, user: User, lesson: Lesson) -> CompletionResult:
    """The player reached the end of `lesson`'s video: complete the lesson and rewind the resume point.

    The first time per (learner, lesson) it also records `video_1_completed` (free lesson) or
    `video_completed` (any other, with `lesson_id`); finishing the free lesson without access queues
    ABANDONMENT_1/2/3 (the trigger is once per learner; the drain re-checks access at send time).
    """
    with transaction.atomic():
        _lock_learner(user)
        progress = _progress_row(user=user, lesson=lesson)
        now = timezone.now()
        first_time = progress.video_completed_at is None
        changes: dict[str, Any] = {"position_seconds": 0}  # a finished video starts from the top next time
        if first_time:
            changes["video_completed_at"] = now
        model_update(instance=progress, data=changes)
        if first_time:
            name = EventName.VIDEO_1_COMPLETED if lesson.is_free else EventName.VIDEO_COMPLETED
            event_track(name=name, user=user, properties={"lesson_id": lesson.pk})
            if lesson.is_free and not has_access(user):
                abandonment_emails_queue(user=user, completed_at=now)
        return lesson_complete(user=user, lesson=lesson)


def clamp_position(*, lesson: Lesson, position: float) -> int:
    """Whole seconds within [0, video_duration] (the upper bound only when the duration is known)."""
    if math.isnan(position):
        return 0
    seconds = max(position, 0.0)
    if lesson.video_duration is not None:
        seconds = min(seconds, float(max(lesson.video_duration, 0)))
    # A PositiveIntegerField: keep absurd values from a duration-less lesson inside its range.
    return int(min(seconds, 2**31 - 1))


def lesson_position_save(*, user: User, lesson: Lesson, position: float) -> LessonProgress:
    """Remember where playback of `lesson` stopped, clamped to [0, video_duration]. Idempotent."""
    seconds = clamp_position(lesson=lesson, position=position)
    progress, _ = LessonProgress.objects.update_or_create(
        user=user, lesson=lesson, defaults={"position_seconds": seconds}
    )
    return progress
