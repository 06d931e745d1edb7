"""The dashboard and the progress endpoints of a lesson.

The endpoints answer JSON to the player's fetch calls (`Accept: application/json`) and redirect
back to the lesson for plain HTML forms, so "mark complete" works without JavaScript. Each one
goes through `lesson_access`: anything short of WATCH writes nothing.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.json_body import JSONBodyError, json_object_parse
from config.page_cache import page_render_cached
from courses.models import Lesson
from courses.selectors import LessonAccess, lesson_access, lesson_get, lesson_locked, page_stamp
from courses.structure import SLOTS, course_structure
from progress.models import LessonProgress
from progress.selectors import Dashboard, course_percent, dashboard_for
from progress.services import (
    CompletionResult,
    lesson_complete,
    lesson_position_save,
    lesson_uncomplete,
    lesson_video_complete,
)
from qa.thread_cache import GENERATION_KEY as QA_THREADS_GENERATION_KEY


def _module_rows(board: Dashboard) -> SafeString:
    """The dashboard's module rows: each rendered once per content version with slots for the learner's
    numbers (courses/_dashboard_module.html), so a long course costs no template work per module."""
    rows = []
    for module, numbers in zip(board.course.modules, board.modules, strict=True):
        percent = numbers.percent
        rows.append(
            module.html["dashboard"]
            .replace(SLOTS["done"], str(numbers.completed_lessons))
            .replace(SLOTS["percent"], str(percent))
            .replace(SLOTS["done_class"], " progress--done" if percent >= 100 else "")
        )
    return SafeString("\n          ".join(rows))


@require_GET
@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return page_render_cached(
        request,
        "dashboard",
        "progress/dashboard.html",
        lambda: _dashboard_context(request),
        stamp=page_stamp(course_structure(), request.user),
        stamp_keys=[QA_THREADS_GENERATION_KEY],  # answers to the learner's open questions
    )


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    board = dashboard_for(user=user)  # type: ignore[arg-type]
    next_lesson = board.next_lesson
    context = {
        "modules": board.modules,
        "module_rows": _module_rows(board),
        "percent": course_percent(board.modules),
        "lesson_total": sum(m.total_lessons for m in board.modules),
        "done_total": sum(m.completed_lessons for m in board.modules),
        "next_lesson": next_lesson,
        "next_locked": bool(next_lesson and lesson_locked(user, next_lesson)),
        "resume_seconds": board.resume_seconds,
        "recent": board.recent,
    }
    # Nothing completed and nothing started: a first visit, not "welcome back".
    context["first_visit"] = context["done_total"] == 0 and not context["resume_seconds"]
    return context


# --- Endpoints ----------------------------------------------------------------------------------


class BadRequest(Exception):
    pass


MAX_POSITION_SECONDS = 7 * 24 * 60 * 60


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            return json_object_parse(request.body or b"{}", max_bytes=16 * 1024, max_depth=4)
        except JSONBodyError as exc:
            raise BadRequest(str(exc)) from exc
    return request.POST.dict()


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "courses/forbidden.html", {"reason": message}, status=status)


def _lesson_or_denial(request: HttpRequest, lesson_id: str) -> Lesson | HttpResponse:
    """The lesson if the user may WATCH it; otherwise the response to send (nothing written)."""
    lesson = lesson_get(lesson_id)
    access = lesson_access(request.user, lesson) if lesson else LessonAccess.NOT_FOUND
    if lesson is None or access is LessonAccess.NOT_FOUND:
        raise Http404("No such lesson.")
    if access is LessonAccess.LOGIN:
        if _wants_json(request):
            return JsonResponse({"error": "Sign in to record progress."}, status=403)
        return redirect_to_login(reverse("courses:lesson", args=[lesson.pk]))
    if access is LessonAccess.PAYWALL:
        return _error(request, "This lesson is part of the membership: subscribe to track your progress.", 403)
    return lesson


def _state(lesson: Lesson, progress: LessonProgress, **extra: Any) -> dict[str, Any]:
    return {
        "lesson_id": lesson.pk,
        "completed": progress.completed,
        "completed_at": progress.completed_at.isoformat() if progress.completed_at else None,
        "position": progress.position_seconds,
        **extra,
    }


def _back_to_lesson(request: HttpRequest, lesson: Lesson) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("courses:lesson", args=[lesson.pk])
    return HttpResponseRedirect(target)


def _completion_response(request: HttpRequest, lesson: Lesson, result: CompletionResult, note: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(_state(lesson, result.progress, module_completed=result.module_completed))
    if result.module_completed:
        messages.success(request, f"Module complete: {lesson.module.title}. Well done!")
    elif result.changed:
        messages.success(request, note)
    return _back_to_lesson(request, lesson)


@require_POST
def lesson_complete_view(request: HttpRequest, lesson_id: str) -> HttpResponse:
    """Mark the lesson complete. `source=video` when the player reached the end (records the video event)."""
    lesson = _lesson_or_denial(request, lesson_id)
    if isinstance(lesson, HttpResponse):
        return lesson
    try:
        data = _payload(request)
    except BadRequest as exc:
        return _error(request, str(exc), 400)
    user: Any = request.user
    if data.get("source") == "video":
        result = lesson_video_complete(user=user, lesson=lesson)
    else:
        result = lesson_complete(user=user, lesson=lesson)
    return _completion_response(request, lesson, result, "Lesson marked complete.")


@require_POST
def lesson_uncomplete_view(request: HttpRequest, lesson_id: str) -> HttpResponse:
    lesson = _lesson_or_denial(request, lesson_id)
    if isinstance(lesson, HttpResponse):
        return lesson
    result = lesson_uncomplete(user=request.user, lesson=lesson)  # type: ignore[arg-type]
    return _completion_response(request, lesson, result, "Lesson marked not complete.")


def _position(data: dict[str, Any]) -> float:
    raw = data.get("position")
    if isinstance(raw, bool) or raw is None or raw == "":
        raise BadRequest("`position` (seconds) is required.")
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadRequest("`position` must be a number of seconds.") from exc
    # Range-checked before it reaches the database (a player's small overshoots are clamped by the service).
    if not math.isfinite(value) or abs(value) > MAX_POSITION_SECONDS:
        raise BadRequest(f"`position` must be a number of seconds up to {MAX_POSITION_SECONDS}.")
    return value


@require_POST
def lesson_position_view(request: HttpRequest, lesson_id: str) -> HttpResponse:
    """Save the playback position (seconds), clamped to the video's length."""
    lesson = _lesson_or_denial(request, lesson_id)
    if isinstance(lesson, HttpResponse):
        return lesson
    try:
        position = _position(_payload(request))
    except BadRequest as exc:
        return _error(request, str(exc), 400)
    progress = lesson_position_save(user=request.user, lesson=lesson, position=position)  # type: ignore[arg-type]
    if _wants_json(request):
        return JsonResponse(_state(lesson, progress))
    return _back_to_lesson(request, lesson)
