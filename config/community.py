"""What the Q&A and notes endpoints share: the posting limit and the answer to a refused request."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django_ratelimit.core import is_ratelimited

from courses.models import Lesson
from courses.selectors import LessonAccess, lesson_access

logger = logging.getLogger(__name__)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def post_rate_exceeded(request: HttpRequest, *, group: str, rate_setting: str) -> bool:
    """Count this post against the learner's limit (Redis, shared by every web process). Fails open:
    the limit is spam protection, and a cache outage is no reason to lose what a learner wrote."""
    try:
        return bool(
            is_ratelimited(request, group=group, key="user", rate=getattr(settings, rate_setting), increment=True)
        )
    except Exception:  # the cache being down (django-ratelimit only absorbs some of its errors)
        logger.exception("posting rate limit unavailable (%s)", group)
        return False


def refusal(request: HttpRequest, message: str, *, status: int, lesson: object = None, text: str = "") -> HttpResponse:
    """A 4xx that says why; for a form post it shows the learner's text again, so nothing typed is lost."""
    if wants_json(request):
        return JsonResponse({"error": message}, status=status)
    context = {"reason": message, "lesson": lesson, "text": text}
    return render(request, "community/refused.html", context, status=status)


def lesson_denial(request: HttpRequest, lesson: Lesson | None, *, text: str = "") -> HttpResponse | None:
    """None when the user may WATCH `lesson` (the one access function decides); otherwise the response
    to send. Nothing about the lesson's thread or notes is in it."""

    access = lesson_access(request.user, lesson) if lesson is not None else LessonAccess.NOT_FOUND
    if lesson is None or access is LessonAccess.NOT_FOUND:
        raise Http404("No such lesson.")
    if access is LessonAccess.LOGIN:
        if wants_json(request):
            return JsonResponse({"error": "Sign in first."}, status=403)
        return redirect_to_login(reverse("courses:lesson", args=[lesson.pk]))
    if access is LessonAccess.PAYWALL:
        return refusal(
            request,
            "This lesson is part of the membership: subscribe to join its discussion and keep notes.",
            status=403,
            lesson=lesson,
            text=text,
        )
    return None
