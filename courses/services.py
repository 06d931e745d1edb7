"""Writes to course content."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from config.json_body import JSONBodyError, json_object_parse
from config.locks import transaction_lock
from config.provider_events import (
    OPEN_STATUSES,
    EventIgnored,
    ProviderEventStatus,
    provider_event_process,
    provider_event_reopen,
    provider_event_store,
    provider_events_due,
)
from config.services import model_update
from courses import mux
from courses.demo import DEMO_COURSE, DEMO_TRANSCRIPT, DEMO_VIDEOS, asset_text, tiptap_body
from courses.models import (
    Asset,
    Lesson,
    LessonImage,
    Module,
    MuxEvent,
    PlaybackPolicy,
    Transcript,
    TranscriptSource,
    VideoStatus,
)
from courses.transcripts import Cue, vtt_parse
from search.services import lessons_index, module_index

logger = logging.getLogger(__name__)


@transaction.atomic
def demo_course_load() -> tuple[int, int]:
    """Create or refresh the demo course (modules by order, lessons by module and order).
    Lesson 1 of module 1 is free. Idempotent: running it again changes nothing but text.
    Returns (modules, lessons)."""
    lessons_total = 0
    for module_number, spec in enumerate(DEMO_COURSE, start=1):
        module, _ = Module.objects.update_or_create(
            order=module_number,
            defaults={"title": spec["title"], "description": spec["description"], "published": True},
        )
        for lesson_index, (title, duration) in enumerate(spec["lessons"], start=1):
            is_free = module_number == 1 and lesson_index == 1
            demo_video = DEMO_VIDEOS.get((module_number, lesson_index))
            Lesson.objects.update_or_create(
                module=module,
                order=lesson_index,
                defaults={
                    "title": title,
                    "published": True,
                    "is_free": is_free,
                    "video_duration": duration,
                    # Mux's public test streams are public ids; lessons without one wait for an upload.
                    "mux_playback_policy": PlaybackPolicy.PUBLIC if is_free or demo_video else PlaybackPolicy.SIGNED,
                    "mux_playback_id": demo_video,
                    "content": tiptap_body(title, spec["title"]),
                },
            )
            lessons_total += 1
        first_lesson = module.lessons.order_by("order").first()
        asset_title, file_name = spec["asset"]
        if first_lesson and not Asset.objects.filter(lesson__module=module, title=asset_title).exists():
            body = asset_text(asset_title, spec["title"]).encode()
            asset = Asset(
                lesson=first_lesson,
                title=asset_title,
                file_name=file_name,
                file_size=len(body),
                mime_type="text/markdown",
            )
            asset.file.save(file_name, ContentFile(body), save=False)
            asset.save()
    free_lesson = Lesson.objects.filter(module__order=1, order=1).first()
    if free_lesson is not None and not Transcript.objects.filter(lesson=free_lesson).exists():
        Transcript.objects.create(
            lesson=free_lesson,
            language="en",
            label="English (demo)",
            source=TranscriptSource.UPLOAD,
            cues=DEMO_TRANSCRIPT,
        )
    search_index_lessons(list(Lesson.objects.values_list("pk", flat=True)))
    return len(DEMO_COURSE), lessons_total


def search_index_lessons(lesson_ids: list[str]) -> None:
    """Keep the search index current after a content write (call inside the writing transaction)."""
    lessons_index(lesson_ids=lesson_ids)


def search_index_module(module_id: str) -> None:
    module_index(module_id=module_id)


# --- Video: Mux direct uploads and the asset lifecycle -----------------------------------------


def lesson_video_upload_create(*, lesson: Lesson) -> mux.DirectUpload:
    """Open a Mux direct upload for the lesson's video and remember it (status WAITING).

    Free lessons get a public playback policy, every other lesson a signed one; `passthrough` is the
    lesson id, so the asset's webhooks find the lesson even if they outrun the upload's own events.
    Mux is asked first and the lesson is written only once Mux answered: a MuxError leaves it untouched.
    A previous video keeps playing until the new asset is ready (the READY handler replaces it).
    """
    policy = PlaybackPolicy.PUBLIC if lesson.is_free else PlaybackPolicy.SIGNED
    upload = mux.direct_upload_create(
        passthrough=lesson.id, playback_policy=policy.value, cors_origin=settings.SITE_URL
    )
    model_update(
        instance=lesson,
        data={
            "mux_upload_id": upload.id,
            "mux_playback_policy": policy,
            "video_status": VideoStatus.WAITING,
            "video_error": "",
        },
    )
    return upload


def _lesson_for_asset(*, asset_id: str, upload_id: str | None, passthrough: str | None) -> Lesson | None:
    """The lesson a Mux asset belongs to, locked for update.

    By asset id first (known once `video.upload.asset_created` arrived), then by the direct upload it came
    from (`video.asset.*` can arrive before `asset_created`), then, for assets made outside a direct upload,
    by `passthrough`. An asset from a superseded upload matches none of these and is ignored.
    """
    lessons = Lesson.objects.select_for_update()
    lesson = lessons.filter(mux_asset_id=asset_id).first()
    if lesson is not None:
        return lesson
    if upload_id:
        return lessons.filter(mux_upload_id=upload_id).first()
    if passthrough:
        return lessons.filter(pk=passthrough).first()
    return None


@transaction.atomic
def lesson_video_asset_created(*, upload_id: str, asset_id: str) -> Lesson | None:
    """`video.upload.asset_created`: the upload finished and Mux made an asset; it is processing now.

    Never moves a lesson backwards: if the asset's READY or ERRORED event came first, this is a no-op.
    Returns None when no lesson waits for this upload.
    """
    lesson = Lesson.objects.select_for_update().filter(mux_upload_id=upload_id).first()
    if lesson is None:
        lesson = Lesson.objects.select_for_update().filter(mux_asset_id=asset_id).first()
    if lesson is None:
        return None
    if lesson.mux_asset_id == asset_id and lesson.video_status in (VideoStatus.READY, VideoStatus.ERRORED):
        return lesson
    model_update(
        instance=lesson, data={"mux_asset_id": asset_id, "video_status": VideoStatus.PROCESSING, "video_error": ""}
    )
    return lesson


def _playback_id_for(policy: str, playback_ids: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The playback id whose policy matches the lesson's, else the first one Mux made (id, policy)."""
    usable = [(str(p["id"]), str(p.get("policy", ""))) for p in playback_ids if p.get("id")]
    for playback_id, playback_policy in usable:
        if playback_policy == policy:
            return playback_id, playback_policy
    return usable[0] if usable else None


@transaction.atomic
def lesson_video_ready(
    *,
    asset_id: str,
    upload_id: str | None,
    passthrough: str | None,
    playback_ids: list[dict[str, Any]],
    duration: float | None,
) -> Lesson | None:
    """`video.asset.ready`: the asset plays. Fills asset id, playback id and duration (whole seconds).

    Returns None when the asset belongs to no lesson (or to a superseded upload).
    """
    lesson = _lesson_for_asset(asset_id=asset_id, upload_id=upload_id, passthrough=passthrough)
    if lesson is None:
        return None
    chosen = _playback_id_for(lesson.mux_playback_policy, playback_ids)
    if chosen is None:
        raise ValueError(f"Mux asset {asset_id} is ready but has no playback id.")
    playback_id, policy = chosen
    changes: dict[str, Any] = {"mux_asset_id": asset_id, "mux_playback_id": playback_id}
    if policy in PlaybackPolicy.values:
        # Keep the policy true to the playback id, so the lesson page knows whether to sign it.
        changes["mux_playback_policy"] = policy
    if duration is not None:
        changes["video_duration"] = math.floor(float(duration) + 0.5)
    model_update(instance=lesson, data={**changes, "video_status": VideoStatus.READY, "video_error": ""})
    return lesson


@transaction.atomic
def lesson_video_errored(
    *, asset_id: str | None, upload_id: str | None, passthrough: str | None, message: str
) -> Lesson | None:
    """`video.asset.errored` / `video.upload.errored`: Mux could not make a playable video.

    The error is kept on the lesson for the admin; a previous, still-playable video keeps its playback id.
    """
    if asset_id:
        lesson = _lesson_for_asset(asset_id=asset_id, upload_id=upload_id, passthrough=passthrough)
    else:
        lesson = Lesson.objects.select_for_update().filter(mux_upload_id=upload_id).first() if upload_id else None
    if lesson is None:
        return None
    changes: dict[str, Any] = {"mux_asset_id": asset_id} if asset_id else {}
    changes.update(video_status=VideoStatus.ERRORED, video_error=message or "Mux could not process this video.")
    model_update(instance=lesson, data=changes)
    return lesson


@transaction.atomic
def lesson_video_upload_cancelled(*, upload_id: str) -> Lesson | None:
    """`video.upload.cancelled`: the upload URL expired or was cancelled before a file arrived."""
    lesson = Lesson.objects.select_for_update().filter(mux_upload_id=upload_id).first()
    if lesson is None:
        return None
    changes: dict[str, Any] = {"mux_upload_id": None}
    if lesson.video_status == VideoStatus.WAITING:
        changes["video_status"] = VideoStatus.READY if lesson.mux_playback_id else VideoStatus.NONE
    model_update(instance=lesson, data=changes)
    return lesson


@transaction.atomic
def lesson_video_deleted(*, asset_id: str) -> Lesson | None:
    """`video.asset.deleted`: the lesson's current asset is gone; clear every video field.

    Matched by asset id only: deleting an old, replaced asset must not clear the lesson's new video.
    """
    lesson = Lesson.objects.select_for_update().filter(mux_asset_id=asset_id).first()
    if lesson is None:
        return None
    model_update(
        instance=lesson,
        data={
            "mux_asset_id": None,
            "mux_playback_id": None,
            "mux_upload_id": None,
            "video_duration": None,
            "video_status": VideoStatus.NONE,
            "video_error": "",
        },
    )
    return lesson


# --- Publishing and ordering (admin) -----------------------------------------------------------


def lesson_publish(*, lesson: Lesson, published: bool) -> bool:
    """Publish or unpublish a lesson. Returns whether anything changed (the admin logs only changes)."""
    return model_update(instance=lesson, data={"published": published})[1]


def module_publish(*, module: Module, published: bool) -> bool:
    """Publish or unpublish a module (its lessons keep their own flag). Returns whether it changed."""
    return model_update(instance=module, data={"published": published})[1]


@dataclass(frozen=True)
class OrderChange:
    obj: Module | Lesson
    old_order: int
    new_order: int


class ReorderRefused(ValueError):
    """A reorder that names unknown rows or would leave two at one position; nothing was changed."""


MAX_POSITION = 1_000_000


def _positions_apply(rows: dict[str, Any], orders: dict[str, int], *, noun: str) -> list[OrderChange]:
    """Give locked sibling rows (`rows`, by id) the positions in `orders`; the rest keep theirs.

    Refuses (ReorderRefused, nothing saved) a position out of range or a state with two rows at one position.
    Each changed row is saved on its own, so its `updated_at` and the save-driven caches (the course structure's
    content version) follow; the DEFERRED unique constraint lets positions pass through each other meanwhile.
    """
    if any(not (0 <= order <= MAX_POSITION) for order in orders.values()):
        raise ReorderRefused(f"Positions must be between 0 and {MAX_POSITION:,}.")
    final = {pk: orders.get(pk, row.order) for pk, row in rows.items()}
    if len(set(final.values())) != len(final):
        raise ReorderRefused(f"Two {noun} would share a position; reload the page and drag again.")
    changes = []
    for pk, order in orders.items():
        row = rows[pk]
        if row.order != order:
            changes.append(OrderChange(obj=row, old_order=row.order, new_order=order))
            row.order = order
            row.save(update_fields=["order", "updated_at"])
    return changes


def _positions_lock(scope: str) -> None:
    """Serialize everything that hands out or moves positions in `scope` (the modules, or one module's
    lessons) until the current transaction ends; also covers the first row of a scope, with no row to lock."""
    transaction_lock(f"courses.positions:{scope}")


def module_position_last() -> int:
    """The last module's position (0 with none), for a module being added after it. Call it in the
    transaction that saves the new module: other additions and reorders wait until that transaction ends,
    so two admins adding a module at once get a position each instead of one failing on the unique
    position at commit."""
    _positions_lock("modules")
    return Module.objects.aggregate(last=Max("order"))["last"] or 0


def lesson_position_last(module_id: str) -> int:
    """The last position among `module_id`'s lessons (0 with none); see `module_position_last`."""
    _positions_lock(f"lessons:{module_id}")
    return Lesson.objects.filter(module_id=module_id).aggregate(last=Max("order"))["last"] or 0


@transaction.atomic
def modules_reorder(*, orders: dict[str, int]) -> list[OrderChange]:
    """Give modules new positions (the admin's drag and drop). All or nothing, rows locked meanwhile.

    Returns every module whose position changed. Raises ReorderRefused.
    """
    _positions_lock("modules")
    modules = {m.pk: m for m in Module.objects.select_for_update().order_by("order")}
    unknown = set(orders) - set(modules)
    if unknown:
        raise ReorderRefused(f"Unknown modules: {', '.join(sorted(unknown))}.")
    return _positions_apply(modules, orders, noun="modules")


@transaction.atomic
def lessons_reorder(*, module_id: str, orders: dict[str, int]) -> list[OrderChange]:
    """Give lessons of one module new positions (the lesson list's drag and drop, filtered by that module).

    Positions are per module (the (module, order) constraint), so every lesson named must be in `module_id`:
    a lesson moves to another module through its own page, never by a drop. All or nothing, the module's
    lessons locked meanwhile. Returns every lesson whose position changed. Raises ReorderRefused.
    """
    if not Module.objects.filter(pk=module_id).exists():
        raise ReorderRefused(f"Unknown module: {module_id}.")
    _positions_lock(f"lessons:{module_id}")
    lessons = {lesson.pk: lesson for lesson in Lesson.objects.select_for_update().filter(module_id=module_id)}
    strangers = set(orders) - set(lessons)
    elsewhere = Lesson.objects.filter(pk__in=strangers).select_related("module").order_by("title")
    if elsewhere:
        names = ", ".join(f"“{lesson}” (in “{lesson.module}”)" for lesson in elsewhere)
        raise ReorderRefused(
            f"Lessons of another module cannot be dropped here: {names}. Positions are per module; "
            "to move a lesson to another module, change its module on its own page."
        )
    if strangers:
        raise ReorderRefused(f"Unknown lessons: {', '.join(sorted(strangers))}.")
    return _positions_apply(lessons, orders, noun="lessons")


# --- Captions and transcripts ------------------------------------------------------------------


@transaction.atomic
def lesson_transcript_store(
    *, lesson: Lesson, language: str, label: str, source: str, cues: list[Cue], mux_track_id: str = ""
) -> Transcript:
    """Store (or replace) the lesson's transcript in `language` and re-index the lesson for search.

    The cues were parsed already (`courses.transcripts.vtt_parse`), so a bad file never gets here.
    """
    transcript, _ = Transcript.objects.update_or_create(
        lesson=lesson,
        language=language,
        defaults={"label": label[:100], "source": source, "cues": list(cues), "mux_track_id": mux_track_id},
    )
    search_index_lessons([lesson.pk])
    return transcript


@transaction.atomic
def lesson_transcript_delete(*, transcript: Transcript) -> None:
    lesson_id = transcript.lesson_id
    transcript.delete()
    search_index_lessons([lesson_id])


def lesson_for_mux_asset(*, asset_id: str) -> Lesson | None:
    return Lesson.objects.filter(mux_asset_id=asset_id).first() if asset_id else None


def lesson_text_track_ready(
    *, asset_id: str, track_id: str, language: str, name: str, text_source: str, passthrough: str | None
) -> Lesson | None:
    """`video.asset.track.ready` for a text track: fetch its WebVTT from Mux and store the cues.

    Only the lesson's current asset counts (an old asset's late track is ignored). A transcript uploaded by
    an admin (a correction) is never overwritten by a Mux track; deleting it lets the next track in.
    Raises (so the event is retried) when Mux cannot be reached or the lesson has no playback id yet.
    """
    lesson = Lesson.objects.filter(mux_asset_id=asset_id).first()
    if lesson is None and passthrough:
        lesson = Lesson.objects.filter(pk=passthrough, mux_asset_id=asset_id).first()
    if lesson is None:
        return None
    language = language or "en"
    existing = Transcript.objects.filter(lesson=lesson, language=language).first()
    if existing is not None and existing.source == TranscriptSource.UPLOAD:
        return lesson
    if not lesson.mux_playback_id:
        raise ValueError(f"Lesson {lesson.pk} has no playback id yet; the captions are fetched on retry.")
    signed = lesson.mux_playback_policy == PlaybackPolicy.SIGNED
    raw = mux.text_track_vtt(playback_id=lesson.mux_playback_id, track_id=track_id, signed=signed)
    cues = vtt_parse(raw)
    source = TranscriptSource.GENERATED if text_source.startswith("generated") else TranscriptSource.MUX
    lesson_transcript_store(
        lesson=lesson, language=language, label=name or language, source=source, cues=cues, mux_track_id=track_id
    )
    return lesson


# --- Body images (the editor) --------------------------------------------------------------------

# Magic numbers, so a file's type is what it is, not what its name or the browser says.
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"GIF87a": ("image/gif", ".gif"),
    b"GIF89a": ("image/gif", ".gif"),
}


class ImageRefused(ValueError):
    """The upload is not an accepted image; the message is fit to show an admin."""


def image_kind(head: bytes) -> tuple[str, str] | None:
    for signature, kind in IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def lesson_image_create(*, lesson: Lesson, upload: Any) -> LessonImage:
    """Store an image for the lesson body (same storage as lesson files). Raises ImageRefused."""
    limit = settings.LESSON_IMAGE_MAX_BYTES
    size = upload.size or 0
    if size <= 0:
        raise ImageRefused("The image is empty.")
    if size > limit:
        raise ImageRefused(f"“{upload.name}” is {size // 1024} KB; images may be at most {limit // 1024} KB.")
    head = upload.read(16)
    upload.seek(0)
    kind = image_kind(head)
    if kind is None:
        raise ImageRefused(f"“{upload.name}” is not a PNG, JPEG, GIF or WebP image.")
    mime_type, extension = kind
    stem = os.path.splitext(os.path.basename(upload.name or "image"))[0][:100] or "image"
    image = LessonImage(lesson=lesson, file_name=f"{stem}{extension}", mime_type=mime_type, file_size=size)
    image.file.save(image.file_name, upload, save=False)
    image.save()
    return image


# --- Mux webhook events (config/provider_events.py: store once, answer 200, process as a job) ---

MuxHandler = Callable[[dict[str, Any]], Lesson | None]


def _asset_refs(data: dict[str, Any]) -> dict[str, Any]:
    return {"asset_id": data["id"], "upload_id": data.get("upload_id"), "passthrough": data.get("passthrough")}


def _on_upload_asset_created(data: dict[str, Any]) -> Lesson | None:
    return lesson_video_asset_created(upload_id=data["id"], asset_id=data["asset_id"])


def _on_asset_ready(data: dict[str, Any]) -> Lesson | None:
    return lesson_video_ready(
        **_asset_refs(data), playback_ids=data.get("playback_ids") or [], duration=data.get("duration")
    )


def _mux_error_text(errors: dict[str, Any] | None) -> str:
    """Mux's asset errors look like {"type": "invalid_input", "messages": ["..."]}."""
    if not errors:
        return ""
    messages = [str(message) for message in errors.get("messages") or []]
    kind = str(errors.get("type") or "")
    return f"{kind}: {' '.join(messages)}" if kind and messages else kind or " ".join(messages)


def _on_asset_errored(data: dict[str, Any]) -> Lesson | None:
    return lesson_video_errored(**_asset_refs(data), message=_mux_error_text(data.get("errors")))


def _on_asset_deleted(data: dict[str, Any]) -> Lesson | None:
    return lesson_video_deleted(asset_id=data["id"])


def _on_upload_errored(data: dict[str, Any]) -> Lesson | None:
    error = data.get("error") or {}
    message = str(error.get("message") or error.get("type") or "The upload failed.")
    return lesson_video_errored(asset_id=None, upload_id=data["id"], passthrough=None, message=message)


def _on_upload_cancelled(data: dict[str, Any]) -> Lesson | None:
    return lesson_video_upload_cancelled(upload_id=data["id"])


def _on_asset_track_ready(data: dict[str, Any]) -> Lesson | None:
    """A text track (generated or Mux-hosted captions) is ready: store its cues. Other tracks: nothing to do."""
    if data.get("type") != "text":
        return lesson_for_mux_asset(asset_id=str(data.get("asset_id") or ""))
    return lesson_text_track_ready(
        asset_id=str(data["asset_id"]),
        track_id=str(data["id"]),
        language=str(data.get("language_code") or ""),
        name=str(data.get("name") or ""),
        text_source=str(data.get("text_source") or ""),
        passthrough=data.get("passthrough"),
    )


# The dispatch table: one handler per event type; unknown types are stored and IGNORED.
MUX_HANDLERS: dict[str, MuxHandler] = {
    "video.upload.asset_created": _on_upload_asset_created,
    "video.asset.ready": _on_asset_ready,
    "video.asset.errored": _on_asset_errored,
    "video.asset.deleted": _on_asset_deleted,
    "video.upload.errored": _on_upload_errored,
    "video.upload.cancelled": _on_upload_cancelled,
    "video.asset.track.ready": _on_asset_track_ready,
}

# Handlers that call Mux run outside the dispatch transaction and open their own around the write, so no
# transaction stays open across a provider call.
_MUX_HANDLERS_CALLING_MUX = frozenset({"video.asset.track.ready"})


class NotAMuxEvent(ValueError):
    """A verified body that is not a Mux event; the message is safe to show."""


@dataclass(frozen=True)
class MuxWebhookEvent:
    id: str
    type: str
    object_id: str
    payload: dict[str, Any]


def mux_event_parse(body: bytes) -> MuxWebhookEvent:
    """A verified Mux webhook body as an event. Raises NotAMuxEvent (bounded JSON, sane id and type)."""
    try:
        payload = json_object_parse(body, max_bytes=1024 * 1024, max_depth=64)
    except JSONBodyError as exc:
        raise NotAMuxEvent(f"The body is not a Mux event: {exc}") from exc
    event_id, event_type = payload.get("id"), payload.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255:
        raise NotAMuxEvent("The body is not a Mux event: its id is missing or longer than 255 characters.")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 100:
        raise NotAMuxEvent("The body is not a Mux event: its type is missing or too long.")
    data = payload.get("data")
    if data is not None and not isinstance(data, dict):
        raise NotAMuxEvent("The body is not a Mux event: `data` is not an object.")
    obj: dict[str, Any] = payload["object"] if isinstance(payload.get("object"), dict) else {}
    object_id = str(obj.get("id") or (data or {}).get("id") or "")[:255]
    return MuxWebhookEvent(id=event_id, type=event_type, object_id=object_id, payload=payload)


def mux_event_receive(*, event: MuxWebhookEvent) -> MuxEvent:
    """Store a verified event once and return it; the caller queues its processing when it is open."""
    stored, _created = provider_event_store(
        model=MuxEvent,
        lookup={"mux_event_id": event.id},
        defaults={"type": event.type, "object_id": event.object_id, "payload": event.payload},
    )
    return stored


def mux_event_is_open(mux_event: MuxEvent) -> bool:
    return mux_event.status in OPEN_STATUSES


def _mux_dispatch(stored: MuxEvent) -> None:
    handler = MUX_HANDLERS.get(stored.type)
    if handler is None:
        raise EventIgnored(f"Syllabus does not handle {stored.type} events.")
    data = stored.payload.get("data") or {}
    if stored.type in _MUX_HANDLERS_CALLING_MUX:
        lesson = handler(data)  # reads, calls Mux, then writes in its own transaction
    else:
        # One transaction: a failing handler leaves nothing half-written (no provider call happens here).
        with transaction.atomic():
            lesson = handler(data)
    if lesson is None:
        logger.warning(
            "Mux event %s (%s) matches no lesson (asset %s, upload %s, passthrough %s); ignored",
            stored.mux_event_id,
            stored.type,
            data.get("id") if stored.type.startswith("video.asset.") else data.get("asset_id"),
            data.get("upload_id") or (data.get("id") if stored.type.startswith("video.upload.") else None),
            data.get("passthrough"),
        )
        raise EventIgnored("No lesson matches this upload or asset.")
    logger.info("Mux event %s (%s) applied to lesson %s", stored.mux_event_id, stored.type, lesson.pk)


def mux_event_process(*, mux_event_pk: str) -> MuxEvent | None:
    """Dispatch a stored Mux event to its handler, once (config.provider_events.provider_event_process)."""
    return provider_event_process(model=MuxEvent, event_pk=mux_event_pk, handle=_mux_dispatch)


def mux_event_reprocess(*, mux_event: MuxEvent) -> MuxEvent:
    """The admin's "reprocess": run a FAILED, IGNORED or unfinished event again now (PROCESSED ones stay)."""
    if mux_event.status == ProviderEventStatus.PROCESSED:
        return mux_event
    provider_event_reopen(model=MuxEvent, event_pk=mux_event.pk)
    return mux_event_process(mux_event_pk=mux_event.pk) or mux_event


def mux_events_due() -> list[str]:
    return provider_events_due(model=MuxEvent)
