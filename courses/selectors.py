"""Reads of course content, and the access decision for a lesson."""

from __future__ import annotations

import enum
import logging
import re
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from billing.selectors import has_access
from courses.models import Asset, Lesson, LessonImage, Module, Transcript
from courses.structure import UNCACHED, CourseStructure, content_version, course_structure, structure_pinned

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from courses.structure import LessonEntry


def published_course() -> CourseStructure:
    """The published course (modules, lessons, files) as every learner sees it, cached per content
    version: no query when nothing changed. For learner pages; staff views read the models."""
    return course_structure()


def published_course_pinned() -> AbstractContextManager[CourseStructure]:
    """`published_course()` read once for a whole block of work (a batch of emails)."""
    return structure_pinned()


def published_modules() -> QuerySet[Module]:
    return Module.objects.filter(published=True).order_by("order")


def published_lessons() -> QuerySet[Lesson]:
    """Lessons a learner can see: published, in a published module, in course order."""
    return Lesson.objects.filter(published=True, module__published=True).order_by("module__order", "order")


class LessonAccess(enum.Enum):
    WATCH = "watch"  # may watch, download and record progress
    LOGIN = "login"  # signed out: send to login
    PAYWALL = "paywall"  # signed in, but the lesson needs a subscription
    NOT_FOUND = "not_found"  # unpublished to a learner: 404


def lesson_access(user: User | AnonymousUser | Any, lesson: Lesson | LessonEntry) -> LessonAccess:
    """The single decision for a lesson, its playback tokens, its downloads and its progress.

    Staff see everything (unpublished too). Learners see published lessons of published
    modules; a free lesson needs only a signed-in account; every other lesson needs `has_access`.
    """
    if getattr(user, "is_authenticated", False) and user.is_staff:
        return LessonAccess.WATCH
    if not (lesson.published and lesson.module.published):
        return LessonAccess.NOT_FOUND
    if not getattr(user, "is_authenticated", False):
        return LessonAccess.LOGIN
    return LessonAccess.WATCH if _membership_covers(user, lesson) else LessonAccess.PAYWALL


def _membership_covers(user: User | AnonymousUser | Any, lesson: Lesson | LessonEntry) -> bool:
    """The paywall rule: a free lesson needs only an account; every other lesson needs `has_access`."""
    return lesson.is_free or has_access(user)


def page_stamp(structure: CourseStructure, user: Any) -> tuple[Any, ...] | None:
    """What a kept learner page depends on besides the learner (config/page_cache.py): the content
    version it was built from and whether the learner has access (locks, prompts). None — keep nothing —
    when the structure was built without a version (the cache is down)."""
    if structure.version == UNCACHED:
        return None
    return (structure.version, has_access(user))


def lesson_locked(user: User | AnonymousUser | Any, lesson: Lesson | LessonEntry) -> bool:
    """The lock badge in lesson lists: the paywall stands between `user` and `lesson`.

    From `lesson_access`: a lesson the user may watch is never locked; a signed-out visitor sees the
    locks a signed-in learner without a membership would (the free lesson is open, the rest locked).
    Reads `lesson.module` (select it with the lesson in lists)."""
    if lesson_access(user, lesson) is LessonAccess.WATCH:
        return False
    return not _membership_covers(user, lesson)


# --- Reads for the learning pages (landing, outline, lesson, downloads) -------------------------


def landing_modules() -> QuerySet[Module]:
    """Published modules with `lesson_count` and `total_seconds` of their published lessons. One query."""
    published = Q(lessons__published=True)
    return published_modules().annotate(
        lesson_count=Count("lessons", filter=published),
        total_seconds=Coalesce(Sum("lessons__video_duration", filter=published), 0),
    )


def first_free_lesson() -> Lesson | None:
    """The free lesson the landing page invites visitors to (the first in course order)."""
    return published_lessons().filter(is_free=True).first()


_LESSON_PATH = re.compile(r"/lessons/([a-z0-9]{1,32})/")


def lesson_get(lesson_id: str) -> Lesson | None:
    """A lesson with its module (for `lesson_access`), published or not; None for an unknown id."""
    return Lesson.objects.select_related("module").filter(pk=lesson_id).first()


def lesson_for_next_url(next_url: str) -> Lesson | None:
    """The published lesson a sign-in or sign-up `next` URL leads to (`/lessons/<id>/`), for "Sign in to watch
    Lesson 1: …"; None for any other URL, or a lesson a visitor may not see listed (no draft titles leak).
    One query, none when `next` is not a lesson URL."""
    match = _LESSON_PATH.fullmatch(next_url or "")
    if match is None:
        return None
    return (
        Lesson.objects.select_related("module")
        .filter(pk=match.group(1), published=True, module__published=True)
        .first()
    )


def module_lessons_for(user: User | AnonymousUser | Any, module: Module) -> QuerySet[Lesson]:
    """The module's lessons this user may see listed: all of them for staff, published ones for learners.
    With their module, for `lesson_locked`."""
    lessons = Lesson.objects.filter(module=module).select_related("module").order_by("order")
    if getattr(user, "is_authenticated", False) and user.is_staff:
        return lessons
    return lessons.filter(published=True)


def lesson_neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The published lessons just before and after `lesson` in course order (crossing modules). Two queries."""
    module_order = lesson.module.order
    before = Q(module__order__lt=module_order) | Q(module__order=module_order, order__lt=lesson.order)
    after = Q(module__order__gt=module_order) | Q(module__order=module_order, order__gt=lesson.order)
    lessons = published_lessons().select_related("module")
    previous = lessons.filter(before).order_by("-module__order", "-order").first()
    following = lessons.filter(after).first()
    return previous, following


def lesson_assets(lesson: Lesson) -> QuerySet[Asset]:
    return Asset.objects.filter(lesson=lesson).order_by("order", "created_at")


def asset_get(asset_id: str) -> Asset | None:
    """An asset with its lesson and module (for `lesson_access`); None for an unknown id."""
    return Asset.objects.select_related("lesson__module").filter(pk=asset_id).first()


def lesson_transcripts(lesson: Lesson, *, structure: CourseStructure | None = None) -> list[Transcript]:
    """The lesson's transcripts, English first (the one shown beside the video), then by language.

    Kept in the shared cache under the course content version (a transcript write bumps it, see
    courses.receivers), so the lesson page reads them without a query once warm; uncached if the cache
    cannot be read. Pass the `structure` the request already read (its version, one cache read fewer);
    read it before `lesson`, as for `courses.structure.lesson_body`."""
    if structure is not None:
        version = None if structure.version == UNCACHED else structure.version
    else:
        version = content_version()
    key = f"courses:transcripts:{version}:{lesson.pk}"
    if version is not None:
        try:
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 (the cache is a speed-up only: fall back to the database)
            cached = None
        if cached is not None:
            return list(cached)
    transcripts = list(Transcript.objects.filter(lesson=lesson).order_by("language"))
    transcripts.sort(key=lambda t: (not t.language.lower().startswith("en"), t.language))
    if version is not None:
        try:
            cache.set(key, transcripts, timeout=3600)
        except Exception:
            logger.warning("could not cache the transcripts of lesson %s", lesson.pk, exc_info=True)
    return transcripts


def transcript_get(lesson: Lesson, language: str) -> Transcript | None:
    return Transcript.objects.filter(lesson=lesson, language=language).first()


def lesson_image_get(image_id: str) -> LessonImage | None:
    """A body image with its lesson and module (for `lesson_access`); None for an unknown id."""
    return LessonImage.objects.select_related("lesson__module").filter(pk=image_id).first()


def lessons_for_index(lesson_ids: list[str]) -> list[Lesson]:
    """Lessons with their module and transcripts, for the search index. Two queries for any number."""
    return list(Lesson.objects.select_related("module").prefetch_related("transcripts").filter(pk__in=lesson_ids))


def all_lesson_ids() -> list[str]:
    return list(Lesson.objects.values_list("pk", flat=True))


def module_lesson_ids(module_id: str) -> list[str]:
    return list(Lesson.objects.filter(module_id=module_id).values_list("pk", flat=True))
