"""Reads of course content, and the access decision for a lesson."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from billing.selectors import has_access
from courses.models import Lesson, Module

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


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


def lesson_access(user: User | AnonymousUser | Any, lesson: Lesson) -> LessonAccess:
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
    if lesson.is_free or has_access(user):
        return LessonAccess.WATCH
    return LessonAccess.PAYWALL
