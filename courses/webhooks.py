"""Mux webhooks (POST /webhooks/mux/): verify the signature on the raw body, store the event once, dispatch.

Mux retries any non-2xx answer for 24 hours and may deliver an event twice or out of order, so:
a repeat of a handled event is a 200 no-op; a failed event answers 500 and is handled again on Mux's retry;
every handler is written so that `video.asset.ready` arriving before `video.upload.asset_created` converges.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from courses import mux, services
from courses.models import Lesson, MuxEvent, MuxEventStatus

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Lesson | None]


def _asset_refs(data: dict[str, Any]) -> dict[str, Any]:
    return {"asset_id": data["id"], "upload_id": data.get("upload_id"), "passthrough": data.get("passthrough")}


def _upload_asset_created(data: dict[str, Any]) -> Lesson | None:
    return services.lesson_video_asset_created(upload_id=data["id"], asset_id=data["asset_id"])


def _asset_ready(data: dict[str, Any]) -> Lesson | None:
    return services.lesson_video_ready(
        **_asset_refs(data), playback_ids=data.get("playback_ids") or [], duration=data.get("duration")
    )


def _error_text(errors: dict[str, Any] | None) -> str:
    """Mux's asset errors look like {"type": "invalid_input", "messages": ["..."]}."""
    if not errors:
        return ""
    messages = [str(message) for message in errors.get("messages") or []]
    kind = str(errors.get("type") or "")
    return f"{kind}: {' '.join(messages)}" if kind and messages else kind or " ".join(messages)


def _asset_errored(data: dict[str, Any]) -> Lesson | None:
    return services.lesson_video_errored(**_asset_refs(data), message=_error_text(data.get("errors")))


def _asset_deleted(data: dict[str, Any]) -> Lesson | None:
    return services.lesson_video_deleted(asset_id=data["id"])


def _upload_errored(data: dict[str, Any]) -> Lesson | None:
    error = data.get("error") or {}
    message = str(error.get("message") or error.get("type") or "The upload failed.")
    return services.lesson_video_errored(asset_id=None, upload_id=data["id"], passthrough=None, message=message)


def _upload_cancelled(data: dict[str, Any]) -> Lesson | None:
    return services.lesson_video_upload_cancelled(upload_id=data["id"])


def _asset_track_ready(data: dict[str, Any]) -> Lesson | None:
    """A text track (generated or Mux-hosted captions) is ready: store its cues. Other tracks: nothing to do."""
    if data.get("type") != "text":
        return services.lesson_for_mux_asset(asset_id=str(data.get("asset_id") or ""))
    return services.lesson_text_track_ready(
        asset_id=str(data["asset_id"]),
        track_id=str(data["id"]),
        language=str(data.get("language_code") or ""),
        name=str(data.get("name") or ""),
        text_source=str(data.get("text_source") or ""),
        passthrough=data.get("passthrough"),
    )


HANDLERS: dict[str, Handler] = {
    "video.upload.asset_created": _upload_asset_created,
    "video.asset.ready": _asset_ready,
    "video.asset.errored": _asset_errored,
    "video.asset.deleted": _asset_deleted,
    "video.upload.errored": _upload_errored,
    "video.upload.cancelled": _upload_cancelled,
    "video.asset.track.ready": _asset_track_ready,
}


@csrf_exempt
@require_POST
def mux_webhook(request: HttpRequest) -> HttpResponse:
    try:
        mux.webhook_signature_verify(
            body=request.body,
            header=request.headers.get("Mux-Signature"),
            secret=settings.MUX_WEBHOOK_SECRET,
            tolerance_seconds=settings.MUX_WEBHOOK_TOLERANCE_SECONDS,
        )
    except mux.WebhookSignatureError as exc:
        logger.warning("Mux webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    try:
        payload = json.loads(request.body)
        event_id, event_type = str(payload["id"]), str(payload["type"])
        data = payload.get("data") or {}
        object_id = str((payload.get("object") or {}).get("id") or data.get("id") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"error": "The body is not a Mux event."}, status=400)

    with transaction.atomic():
        # FOR UPDATE: two deliveries of one event arriving together are handled one after the other.
        event, created = MuxEvent.objects.select_for_update().get_or_create(
            mux_event_id=event_id, defaults={"type": event_type, "object_id": object_id[:255], "payload": payload}
        )
        if not created and event.status in (MuxEventStatus.PROCESSED, MuxEventStatus.IGNORED):
            return JsonResponse({"status": "duplicate"})
        event.status, event.error = _dispatch(event_type, data, event_id)
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "error", "processed_at"])
    if event.status == MuxEventStatus.FAILED:
        # 500 makes Mux deliver it again; the stored FAILED row is picked up and handled on that retry.
        return JsonResponse({"error": "The event could not be handled; it was stored."}, status=500)
    return JsonResponse({"status": event.status.lower()})


def _dispatch(event_type: str, data: dict[str, Any], event_id: str) -> tuple[MuxEventStatus, str]:
    handler = HANDLERS.get(event_type)
    if handler is None:
        return MuxEventStatus.IGNORED, ""
    try:
        # A savepoint: a failing handler rolls back its own writes, never the stored event.
        with transaction.atomic():
            lesson = handler(data)
    except Exception as exc:
        logger.exception("Mux event %s (%s) failed", event_id, event_type)
        return MuxEventStatus.FAILED, f"{exc.__class__.__name__}: {exc}"
    if lesson is None:
        logger.warning(
            "Mux event %s (%s) matches no lesson (asset %s, upload %s, passthrough %s); ignored",
            event_id,
            event_type,
            data.get("id") if event_type.startswith("video.asset.") else data.get("asset_id"),
            data.get("upload_id") or (data.get("id") if event_type.startswith("video.upload.") else None),
            data.get("passthrough"),
        )
        return MuxEventStatus.IGNORED, "No lesson matches this upload or asset."
    logger.info("Mux event %s (%s) applied to lesson %s", event_id, event_type, lesson.pk)
    return MuxEventStatus.PROCESSED, ""
