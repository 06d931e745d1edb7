"""Learner-facing course pages: landing, outline, lesson (player or paywall) and file downloads.

Every lesson, its playback tokens and its files go through `courses.selectors.lesson_access`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from analytics.models import EventName
from analytics.services import event_track
from billing.plans import annual_saving, plans_all
from billing.selectors import has_access
from courses import mux
from courses.models import Lesson, PlaybackPolicy
from courses.selectors import (
    LessonAccess,
    asset_get,
    first_free_lesson,
    landing_modules,
    lesson_access,
    lesson_assets,
    lesson_get,
    lesson_neighbours,
    module_lessons_for,
    published_lessons,
    published_modules,
)
from courses.storage import AssetFileMissing, asset_download
from progress.selectors import completed_lesson_ids, progress_for_lessons

logger = logging.getLogger(__name__)

# Ignore a saved position this close to the end: the learner would land on the credits.
RESUME_TAIL_SECONDS = 5


# --- Plans (shown on the landing page and the paywall; /pricing/ belongs to billing) -----------------


def plans() -> list[dict[str, Any]]:
    saving = annual_saving()
    cards = []
    for plan in plans_all():
        if plan.interval == "year":
            note = f"About ${plan.price / 12:.0f} a month — save ${saving} a year." if saving > 0 else "Billed yearly."
        else:
            note = "Cancel any time."
        cards.append(
            {
                "key": plan.key,
                "name": plan.name,
                "price": plan.price,
                "period": plan.interval,
                "note": note,
                "featured": plan.interval == "year",
            }
        )
    return cards


# --- Player ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Player:
    """What the lesson page shows where the video goes."""

    state: str  # "mux" | "placeholder" (no video yet) | "unavailable" (signing not configured)
    playback_id: str = ""
    playback_token: str = ""
    thumbnail_token: str = ""
    storyboard_token: str = ""
    start_time: int = 0
    start_event: str = ""
    is_demo: bool = False


def player_for(lesson: Lesson, *, position: int) -> Player:
    """The player for a lesson the learner may WATCH (the caller checked `lesson_access`).

    Free lessons play with their public playback id. Every other lesson plays with short-lived
    signed tokens, minted here and only here, after the access check.
    """
    playback_id = lesson.mux_playback_id or ""
    is_demo = False
    demo_playback_id = getattr(settings, "MUX_DEMO_PLAYBACK_ID", "")  # set by config.settings.local only
    if not playback_id and lesson.is_free and demo_playback_id:
        # Demo content has no uploads; the free lesson shows Mux's public test stream instead.
        playback_id, is_demo = demo_playback_id, True
    if not playback_id:
        return Player(state="placeholder")

    duration = lesson.video_duration
    start = position if position > 0 and (duration is None or position < duration - RESUME_TAIL_SECONDS) else 0
    start_event = EventName.VIDEO_1_STARTED if lesson.is_free else EventName.VIDEO_STARTED
    public = Player(
        state="mux", playback_id=playback_id, start_time=start, start_event=str(start_event), is_demo=is_demo
    )

    # A free lesson is uploaded with a public playback id; sign only if it was uploaded signed anyway.
    signed = not is_demo and (
        not lesson.is_free or (lesson.mux_playback_policy == PlaybackPolicy.SIGNED and mux.signing_configured())
    )
    if not signed:
        return public
    try:
        tokens = mux.playback_tokens(playback_id)
    except ImproperlyConfigured:
        logger.warning("Lesson %s: signed playback needs MUX_SIGNING_KEY_ID / MUX_SIGNING_PRIVATE_KEY", lesson.pk)
        return Player(state="unavailable")
    return replace(
        public,
        playback_token=tokens.playback,
        thumbnail_token=tokens.thumbnail,
        storyboard_token=tokens.storyboard,
    )


# --- Pages -----------------------------------------------------------------------------------------


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    modules: list[Any] = list(landing_modules())  # annotated with lesson_count / total_seconds
    context = {
        "modules": modules,
        "lesson_total": sum(m.lesson_count for m in modules),
        "seconds_total": sum(m.total_seconds for m in modules),
        "free_lesson": first_free_lesson(),
        "plans": plans(),
    }
    return render(request, "courses/landing.html", context)


@require_GET
def course_outline(request: HttpRequest) -> HttpResponse:
    user = request.user
    modules = list(published_modules())
    lessons = list(published_lessons())
    completed = completed_lesson_ids(user=user) if user.is_authenticated else set()  # type: ignore[arg-type]
    full_access = has_access(user)
    by_module: dict[str, list[dict[str, Any]]] = {m.pk: [] for m in modules}
    for lesson in lessons:
        by_module[lesson.module_id].append(
            {"lesson": lesson, "completed": lesson.pk in completed, "locked": not (lesson.is_free or full_access)}
        )
    sections: list[dict[str, Any]] = []
    for module in modules:
        items = by_module[module.pk]
        done = sum(1 for item in items if item["completed"])
        sections.append(
            {
                "module": module,
                "lessons": items,
                "done": done,
                "total": len(items),
                "percent": round(100 * done / len(items)) if items else 0,
                "seconds": sum(item["lesson"].video_duration or 0 for item in items),
            }
        )
    context = {
        "sections": sections,
        "full_access": full_access,
        "lesson_total": len(lessons),
        "done_total": sum(s["done"] for s in sections),
    }
    return render(request, "courses/outline.html", context)


@require_GET
@never_cache  # per-learner content with short-lived tokens; access can change between two visits
def lesson_detail(request: HttpRequest, lesson_id: str) -> HttpResponse:
    lesson = lesson_get(lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    access = lesson_access(request.user, lesson)
    if access is LessonAccess.NOT_FOUND:
        raise Http404("No such lesson.")
    if access is LessonAccess.LOGIN:
        return redirect_to_login(request.get_full_path())
    if access is LessonAccess.PAYWALL:
        event_track(name=EventName.PAYWALL_VIEWED, user=request.user, properties={"lesson_id": lesson.pk})
        return render(request, "courses/paywall.html", {"lesson": lesson, "plans": plans()})

    user = request.user
    event_track(
        name=EventName.LESSON_VIEWED, user=user, properties={"lesson_id": lesson.pk, "module_id": lesson.module_id}
    )
    siblings = list(module_lessons_for(user, lesson.module))
    progress = progress_for_lessons(user=user, lesson_ids=[s.pk for s in siblings] + [lesson.pk])  # type: ignore[arg-type]
    current = progress.get(lesson.pk)
    previous, following = lesson_neighbours(lesson)
    full_access = has_access(user)
    context = {
        "lesson": lesson,
        "module": lesson.module,
        "preview": not (lesson.published and lesson.module.published),
        "player": player_for(lesson, position=current.position_seconds if current else 0),
        "completed": bool(current and current.completed),
        "assets": list(lesson_assets(lesson)),
        "previous": previous,
        "next": following,
        "next_locked": bool(following and not (following.is_free or full_access)),
        "siblings": [
            {
                "lesson": s,
                "completed": bool(progress.get(s.pk) and progress[s.pk].completed),
                "locked": not (s.is_free or full_access),
                "current": s.pk == lesson.pk,
            }
            for s in siblings
        ],
    }
    return render(request, "courses/lesson.html", context)


@require_GET
@never_cache
def asset_download_view(request: HttpRequest, asset_id: str) -> HttpResponseBase:
    """Access check, then a redirect to a presigned URL (S3) or the file itself (local storage)."""
    asset = asset_get(asset_id)
    if asset is None:
        raise Http404("No such file.")
    access = lesson_access(request.user, asset.lesson)
    if access is LessonAccess.NOT_FOUND:
        raise Http404("No such file.")
    if access is LessonAccess.LOGIN:
        return redirect_to_login(request.get_full_path())
    if access is LessonAccess.PAYWALL:
        return render(
            request,
            "courses/forbidden.html",
            {"lesson": asset.lesson, "reason": "Lesson files are part of the membership."},
            status=403,
        )
    try:
        download = asset_download(asset)
    except AssetFileMissing:
        raise Http404("This file is missing. Please tell us and we will put it back.") from None
    if download.url:
        return HttpResponseRedirect(download.url)
    return FileResponse(
        download.file, as_attachment=True, filename=download.file_name, content_type=download.content_type
    )
