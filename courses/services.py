"""Writes to course content."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from config.json_body import JSONBodyError, json_object_parse
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
from courses.demo import DEMO_COURSE, asset_text, tiptap_body
from courses.models import Asset, Lesson, Module, MuxEvent, PlaybackPolicy, VideoStatus

logger = logging.getLogger(__name__)


@transaction.atomic
def demo_course_load() -> tuple[int, int]:
    """Create or refresh the demo course (modules by order, lessons by module and order).
    Lesson 1 of module 1 is free. Idempotent: running it again changes nothing but text.
    Returns (modules, lessons)."""
    lessons_total = 0
    for module_index, spec in enumerate(DEMO_COURSE, start=1):
        module, _ = Module.objects.update_or_create(
            order=module_index,
            defaults={"title": spec["title"], "description": spec["description"], "published": True},
        )
        for lesson_index, (title, duration) in enumerate(spec["lessons"], start=1):
            is_free = module_index == 1 and lesson_index == 1
            Lesson.objects.update_or_create(
                module=module,
                order=lesson_index,
                defaults={
                    "title": title,
                    "published": True,
                    "is_free": is_free,
                    "video_duration": duration,
                    "mux_playback_policy": PlaybackPolicy.PUBLIC if is_free else PlaybackPolicy.SIGNED,
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
    return len(DEMO_COURSE), lessons_total


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


def _siblings_move(siblings: list[Any], selected_ids: set[str], *, up: bool) -> list[OrderChange]:
    """Move each selected item one place up (or down) among its siblings, swapping with its neighbour.

    A run of selected items moves as a block; an item already at the edge stays, and so does a selected
    item stuck behind it. The positions (order values) themselves are reused, so gaps are kept.
    """
    positions = list(siblings)
    orders = [item.order for item in siblings]
    blocked: set[str] = set()
    indexes = range(len(positions)) if up else range(len(positions) - 1, -1, -1)
    for index in indexes:
        item = positions[index]
        if item.pk not in selected_ids:
            continue
        neighbour = index - 1 if up else index + 1
        if neighbour < 0 or neighbour >= len(positions) or positions[neighbour].pk in blocked:
            blocked.add(item.pk)
            continue
        positions[index], positions[neighbour] = positions[neighbour], positions[index]
    changes = []
    for item, order in zip(positions, orders, strict=True):
        if item.order != order:
            changes.append(OrderChange(obj=item, old_order=item.order, new_order=order))
            item.order = order
            # Two rows briefly share a position here; the unique constraint is DEFERRED to the commit.
            item.save(update_fields=["order", "updated_at"])
    return changes


@transaction.atomic
def modules_move(*, module_ids: list[str], up: bool) -> list[OrderChange]:
    """Move the given modules one place up or down. Returns every row whose order changed."""
    siblings = list(Module.objects.select_for_update().order_by("order"))
    return _siblings_move(siblings, set(module_ids), up=up)


@transaction.atomic
def lessons_move(*, lesson_ids: list[str], up: bool) -> list[OrderChange]:
    """Move the given lessons one place up or down within their modules. Returns every row whose order changed."""
    module_ids = set(Lesson.objects.filter(pk__in=lesson_ids).values_list("module_id", flat=True))
    changes: list[OrderChange] = []
    for module_id in sorted(module_ids):
        siblings = list(Lesson.objects.select_for_update().filter(module_id=module_id).order_by("order"))
        changes += _siblings_move(siblings, set(lesson_ids), up=up)
    return changes


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


# The dispatch table: one handler per event type; unknown types are stored and IGNORED.
MUX_HANDLERS: dict[str, MuxHandler] = {
    "video.upload.asset_created": _on_upload_asset_created,
    "video.asset.ready": _on_asset_ready,
    "video.asset.errored": _on_asset_errored,
    "video.asset.deleted": _on_asset_deleted,
    "video.upload.errored": _on_upload_errored,
    "video.upload.cancelled": _on_upload_cancelled,
}


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
