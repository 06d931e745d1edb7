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
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from analytics.models import EventName
from analytics.services import event_track, event_track_deferred
from billing.plans import annual_saving, plans_all
from billing.selectors import has_access, stripe_setup_notice
from config.page_cache import page_render_cached
from courses import mux
from courses.models import Lesson, PlaybackPolicy
from courses.selectors import (
    LessonAccess,
    asset_get,
    lesson_access,
    lesson_assets,
    lesson_get,
    lesson_image_get,
    lesson_locked,
    lesson_neighbours,
    lesson_transcripts,
    module_lessons_for,
    page_stamp,
    transcript_get,
)
from courses.storage import AssetFileMissing, asset_download, is_s3
from courses.structure import SLOTS, CourseStructure, LessonEntry, course_structure, lesson_body, lesson_row
from courses.transcripts import LANGUAGE_CODE, vtt_render
from pages.selectors import VERSION_KEY as SITE_CONTENT_VERSION_KEY
from pages.selectors import landing_content
from progress.selectors import completed_lesson_ids, percent_complete, progress_for_lessons
from qa.thread_cache import GENERATION_KEY as QA_THREADS_GENERATION_KEY

logger = logging.getLogger(__name__)

# Ignore a saved position this close to the end: the learner would land on the credits.
RESUME_TAIL_SECONDS = 5
# A ?t= start beyond this is not a time in any lesson (and never reaches the template).
MAX_START_SECONDS = 24 * 3600


def start_param(raw: str | None) -> int | None:
    """`?t=` as whole seconds (`?t=95`, `?t=95.5`), or None for anything else (ignored, never an error)."""
    if not raw or len(raw) > 12:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    if not (0 <= value <= MAX_START_SECONDS):  # also refuses nan and inf
        return None
    return int(value)


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
                # One label per action: the same words on the landing page, the paywall and /pricing/.
                "cta": "Subscribe annually" if plan.interval == "year" else "Subscribe monthly",
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
    start_reason: str = ""  # "resume" (saved position) | "link" (a ?t= link, e.g. a transcript search hit)


def player_for(lesson: Lesson, *, position: int, start_at: int | None = None) -> Player:
    """The player for a lesson the learner may WATCH (the caller checked `lesson_access`).

    Free lessons play with their public playback id. Every other lesson plays with short-lived
    signed tokens, minted here and only here, after the access check.
    """
    playback_id = lesson.mux_playback_id or ""
    # Mux's public test streams (the demo course's videos; listed by config.settings.local only) play unsigned.
    is_demo = bool(playback_id) and playback_id in getattr(settings, "MUX_DEMO_PLAYBACK_IDS", ())
    demo_playback_id = getattr(settings, "MUX_DEMO_PLAYBACK_ID", "")  # set by config.settings.local only
    if not playback_id and lesson.is_free and demo_playback_id:
        # Demo content has no uploads; the free lesson shows Mux's public test stream instead.
        playback_id, is_demo = demo_playback_id, True
    if not playback_id:
        return Player(state="placeholder")

    duration = lesson.video_duration
    start = position if position > 0 and (duration is None or position < duration - RESUME_TAIL_SECONDS) else 0
    reason = "resume" if start else ""
    if start_at is not None and (duration is None or start_at < duration):
        start, reason = start_at, "link" if start_at else ""
    start_event = EventName.VIDEO_1_STARTED if lesson.is_free else EventName.VIDEO_STARTED
    public = Player(
        state="mux",
        playback_id=playback_id,
        start_time=start,
        start_event=str(start_event),
        is_demo=is_demo,
        start_reason=reason,
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
    structure = course_structure()

    def context() -> dict[str, Any]:
        return {
            "modules": structure.modules,  # each with lesson_count / total_seconds
            "lesson_total": len(structure.lessons),
            "seconds_total": structure.seconds_total,
            "free_lesson": structure.free_lesson,
            "plans": plans(),
            "site": landing_content(),
        }

    return page_render_cached(
        request,
        "landing",
        "courses/landing.html",
        context,
        stamp=page_stamp(structure, request.user),
        stamp_keys=[SITE_CONTENT_VERSION_KEY],
    )


def _row_state(user: Any, lesson: LessonEntry, *, completed: set[str]) -> str:
    if lesson.pk in completed:
        return "done"
    return "locked" if lesson_locked(user, lesson) else "open"


# A course up to this long lists every lesson on the outline. A longer one lists the lessons of one
# module — the learner's next lesson's, or the one asked for with ?module= — and shows the others as
# their headings with counts and a link that opens them: the page grows by a heading per module, not
# by a row per lesson.
OUTLINE_EXPANDED_MAX = 100


def _open_module(structure: CourseStructure, requested: str | None, completed: set[str]) -> str | None:
    if requested and requested in structure.modules_by_id:
        return requested
    following = next((lesson for lesson in structure.lessons if lesson.pk not in completed), None)
    if following is not None:
        return following.module_id
    return structure.modules[0].pk if structure.modules else None


@require_GET
def course_outline(request: HttpRequest) -> HttpResponse:
    """The cached structure with this learner's state overlaid: per lesson, the row already rendered
    for its state is picked (see templates/courses/_outline_lesson.html); per module, the counts."""
    user = request.user
    structure = course_structure()
    return page_render_cached(
        request,
        "outline",
        "courses/outline.html",
        lambda: _outline_context(request, structure),
        stamp=page_stamp(structure, user),
    )


def _outline_context(request: HttpRequest, structure: CourseStructure) -> dict[str, Any]:
    user = request.user
    completed = completed_lesson_ids(user=user) if user.is_authenticated else set()  # type: ignore[arg-type]
    full_access = has_access(user)
    collapsible = len(structure.lessons) > OUTLINE_EXPANDED_MAX
    opened = _open_module(structure, request.GET.get("module"), completed) if collapsible else None
    variant = "learner" if user.is_authenticated else "visitor"
    sections: list[str] = []
    done_total = 0
    for module in structure.modules:
        # Each module's section is rendered once per content version with slots for this learner's
        # numbers and its lesson list (courses/_outline_module.html): no template work per module here.
        if not module.lessons:
            body = '<ol class="lesson-list"><li class="lesson-row muted">Lessons are on their way.</li></ol>'
        elif not collapsible or module.pk == opened:
            rows = "".join(lesson.rows[_row_state(user, lesson, completed=completed)] for lesson in module.lessons)
            body = f'<ol class="lesson-list">{rows}</ol>'
        else:
            body = module.html["more"]
        done = len(module.lesson_ids & completed)
        done_total += done
        percent = percent_complete(done=done, total=len(module.lessons))
        sections.append(
            module.html[variant]
            .replace(SLOTS["done"], str(done))
            .replace(SLOTS["percent"], str(percent))
            .replace(SLOTS["done_class"], " progress--done" if percent >= 100 else "")
            .replace(SLOTS["body"], body)
        )
    return {
        "sections": SafeString("\n    ".join(sections)),
        "module_total": len(structure.modules),
        "full_access": full_access,
        "lesson_total": len(structure.lessons),
        "done_total": done_total,
    }


@dataclass(frozen=True)
class LessonNav:
    siblings: list[Any]  # the module's lessons listed beside the lesson
    previous: Any
    following: Any
    assets: list[Any]


def _lesson_nav(structure: CourseStructure, user: Any, lesson: Lesson) -> LessonNav:
    """What the lesson page lists around the lesson: its module's lessons, previous / next, its files.

    Learners on a published lesson: from the cached structure (no query). Staff (who also see drafts)
    and previews of unpublished lessons: from the database.
    """
    if not user.is_staff and lesson.published and lesson.module.published:
        module = structure.modules_by_id.get(lesson.module_id)
        entry = structure.by_id.get(lesson.pk)
        if module is not None and entry is not None:
            before, after = structure.neighbours(lesson.pk)
            return LessonNav(list(module.lessons), before, after, list(entry.assets))
    previous, following = lesson_neighbours(lesson)
    return LessonNav(list(module_lessons_for(user, lesson.module)), previous, following, list(lesson_assets(lesson)))


@require_GET
@never_cache  # per-learner content with short-lived tokens; access can change between two visits
def lesson_detail(request: HttpRequest, lesson_id: str) -> HttpResponse:
    structure = course_structure()  # before the lesson row: see `lesson_body`
    lesson = lesson_row(structure, lesson_id)  # `lesson_get`, kept per content version
    if lesson is None:
        raise Http404("No such lesson.")
    access = lesson_access(request.user, lesson)
    if access is LessonAccess.NOT_FOUND:
        raise Http404("No such lesson.")
    if access is LessonAccess.LOGIN:
        return redirect_to_login(request.get_full_path())
    if access is LessonAccess.PAYWALL:
        event_track(name=EventName.PAYWALL_VIEWED, user=request.user, properties={"lesson_id": lesson.pk})
        context = {"lesson": lesson, "plans": plans(), "stripe_missing": stripe_setup_notice()}
        return render(request, "courses/paywall.html", context)

    user = request.user
    event_track_deferred(  # every view: through the buffer, not an INSERT per request (analytics/buffer.py)
        name=EventName.LESSON_VIEWED, user=user, properties={"lesson_id": lesson.pk, "module_id": lesson.module_id}
    )
    return page_render_cached(
        request,
        "lesson",
        "courses/lesson.html",
        lambda: _lesson_context(request, structure, lesson),
        stamp=page_stamp(structure, user),
        stamp_keys=[QA_THREADS_GENERATION_KEY],  # the lesson's questions and answers, anyone's
    )


def _lesson_context(request: HttpRequest, structure: CourseStructure, lesson: Lesson) -> dict[str, Any]:
    user = request.user
    nav = _lesson_nav(structure, user, lesson)
    progress = progress_for_lessons(user=user, lesson_ids=[s.pk for s in nav.siblings] + [lesson.pk])  # type: ignore[arg-type]
    current = progress.get(lesson.pk)
    following = nav.following
    transcripts = lesson_transcripts(lesson, structure=structure)
    player = player_for(
        lesson, position=current.position_seconds if current else 0, start_at=start_param(request.GET.get("t"))
    )
    return {
        "lesson": lesson,
        "body": lesson_body(structure, lesson),
        "module": lesson.module,
        "preview": not (lesson.published and lesson.module.published),
        "player": player,
        "transcript": transcripts[0] if transcripts else None,
        # Mux serves its own tracks inside the stream; an uploaded .vtt reaches the player as a <track>.
        "caption_tracks": [t for t in transcripts if t.source == "UPLOAD"],
        "completed": bool(current and current.completed),
        "assets": nav.assets,
        "previous": nav.previous,
        "next": following,
        "next_locked": bool(following and lesson_locked(user, following)),
        "siblings": [
            {
                "lesson": s,
                "url": getattr(s, "url", "") or reverse("courses:lesson", args=[s.pk]),
                "completed": bool(progress.get(s.pk) and progress[s.pk].completed),
                "locked": lesson_locked(user, s),
                "current": s.pk == lesson.pk,
            }
            for s in nav.siblings
        ],
    }


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


def _watchable(request: HttpRequest, lesson: Lesson) -> HttpResponseBase | None:
    """None when the user may watch `lesson`; else the response for why not (404, login, 403)."""
    access = lesson_access(request.user, lesson)
    if access is LessonAccess.NOT_FOUND:
        raise Http404("No such lesson.")
    if access is LessonAccess.LOGIN:
        return redirect_to_login(request.get_full_path())
    if access is LessonAccess.PAYWALL:
        return HttpResponse("This is part of the membership.", status=403, content_type="text/plain")
    return None


@require_GET
@never_cache
def lesson_captions(request: HttpRequest, lesson_id: str, language: str) -> HttpResponseBase:
    """An uploaded transcript as a WebVTT captions track for the player (access-checked like the lesson)."""
    if not LANGUAGE_CODE.match(language):
        raise Http404("No such captions.")
    lesson = lesson_get(lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    refused = _watchable(request, lesson)
    if refused is not None:
        return refused
    transcript = transcript_get(lesson, language)
    if transcript is None:
        raise Http404("No such captions.")
    return HttpResponse(vtt_render(transcript.cues), content_type="text/vtt; charset=utf-8")


@require_GET
@never_cache
def lesson_image(request: HttpRequest, image_id: str) -> HttpResponseBase:
    """An image in a lesson body: as private as the lesson (a short-lived URL on S3, streamed locally)."""
    image = lesson_image_get(image_id)
    if image is None:
        raise Http404("No such image.")
    refused = _watchable(request, image.lesson)
    if refused is not None:
        return refused
    storage = image.file.storage
    if is_s3(storage):
        return HttpResponseRedirect(
            storage.url(image.file.name, parameters={"ResponseContentType": image.mime_type}, expire=300)
        )
    try:
        handle = storage.open(image.file.name, "rb")
    except FileNotFoundError:
        raise Http404("This image is missing.") from None
    response = FileResponse(handle, content_type=image.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
