"""POST /webhooks/mux/: signature, idempotency, each event type, out-of-order delivery."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import TestCase

from courses import mux, services
from courses.models import Lesson, MuxEvent, MuxEventStatus, VideoStatus
from tests.courses.factories import LessonFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mux"
URL = "/webhooks/mux/"
SECRET = "mux-webhook-secret"  # config.settings.test
UPLOAD_ID = "OA02dANZ5N7BXgVH3jnTzSP7R00kJBbYR4bEYXo4GTtn8"
ASSET_ID = "jZ01Vjd3lQ02y6gF00ddtF1Q7Ec1EBQrWmHPo3lyw01pnCo"
PLAYBACK_ID = "s4VHxT1Ao7RzYRNx01Bl02r2ZPJxXkz7GDCJYv5vvPqVc"

# Mux's published test vector (muxinc/mux-node-sdk, test/unit/webhooks: "generated from Mux's backend code").
VECTOR_SECRET = "SuperSecret123"
VECTOR_BODY = b'{"test":"body"}'
VECTOR_TIME = 1565125718
VECTOR_HEADER = "t=1565125718,v1=854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7"


def load_event(name: str, *, lesson: Lesson | None = None, event_id: str | None = None) -> dict[str, Any]:
    """A fixture event; `lesson` becomes its passthrough, as our direct uploads set it."""
    payload = json.loads((FIXTURES / f"{name}.json").read_text())
    if lesson is not None:
        data = payload["data"]
        if "passthrough" in data:
            data["passthrough"] = lesson.id
        if "new_asset_settings" in data:
            data["new_asset_settings"]["passthrough"] = lesson.id
    if event_id:
        payload["id"] = event_id
    return payload


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def deliver(client: Any, payload: dict[str, Any] | bytes, **sign_kwargs: Any) -> Any:
    """POST as Mux does; the processing task queued on commit runs then (eager Celery)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with TestCase.captureOnCommitCallbacks() as queued:
        response = client.post(
            URL, data=body, content_type="application/json", HTTP_MUX_SIGNATURE=sign(body, **sign_kwargs)
        )
    for callback in queued:
        callback()
    return response


@pytest.fixture
def waiting_lesson(db: None) -> Lesson:
    """A lesson whose admin just opened a direct upload (signed policy), with no video yet."""
    return LessonFactory(
        mux_upload_id=UPLOAD_ID, video_status=VideoStatus.WAITING, mux_playback_id=None, video_duration=None
    )


# --- signature -------------------------------------------------------------------------------


def test_mux_published_test_vector_verifies_at_its_time() -> None:
    with time_machine.travel(VECTOR_TIME, tick=False):
        mux.webhook_signature_verify(
            body=VECTOR_BODY, header=VECTOR_HEADER, secret=VECTOR_SECRET, tolerance_seconds=300
        )


def test_mux_published_test_vector_is_refused_with_another_secret_or_body() -> None:
    with time_machine.travel(VECTOR_TIME, tick=False):
        with pytest.raises(mux.WebhookSignatureError, match="does not match"):
            mux.webhook_signature_verify(body=VECTOR_BODY, header=VECTOR_HEADER, secret="other", tolerance_seconds=300)
        with pytest.raises(mux.WebhookSignatureError, match="does not match"):
            mux.webhook_signature_verify(
                body=b'{"test":"body "}', header=VECTOR_HEADER, secret=VECTOR_SECRET, tolerance_seconds=300
            )


def test_mux_published_test_vector_is_stale_today() -> None:
    with pytest.raises(mux.WebhookSignatureError, match="tolerance"):
        mux.webhook_signature_verify(
            body=VECTOR_BODY, header=VECTOR_HEADER, secret=VECTOR_SECRET, tolerance_seconds=300
        )


def test_view_accepts_the_published_vector_signature(client: Any, settings: Any, db: None) -> None:
    """The vector's body is no Mux event, so it is refused — but for its shape, after the signature passed."""
    settings.MUX_WEBHOOK_SECRET = VECTOR_SECRET
    with time_machine.travel(VECTOR_TIME + 299, tick=False):
        response = client.post(URL, data=VECTOR_BODY, content_type="application/json", HTTP_MUX_SIGNATURE=VECTOR_HEADER)
    assert response.status_code == 400
    assert response.json()["error"].startswith("The body is not a Mux event")
    assert not MuxEvent.objects.exists()


def test_a_rotating_secret_header_with_several_v1_signatures_verifies() -> None:
    body = b'{"id":"x"}'
    good = sign(body).split("v1=")[1]
    header = f"t={int(time.time())},v1={'0' * 64},v1={good}"
    mux.webhook_signature_verify(body=body, header=header, secret=SECRET, tolerance_seconds=300)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "Missing"),
        ("", "Missing"),
        ("v1=abc", "Malformed"),
        ("t=123", "Malformed"),
        ("t=abc,v1=def", "Malformed"),
        ("t=1565125718,v2=weiorwer", "Malformed"),
    ],
)
def test_missing_or_malformed_signature_is_400(client: Any, waiting_lesson: Lesson, header: Any, reason: str) -> None:
    body = json.dumps(load_event("video.asset.ready", lesson=waiting_lesson)).encode()
    extra = {} if header is None else {"HTTP_MUX_SIGNATURE": header}
    response = client.post(URL, data=body, content_type="application/json", **extra)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not MuxEvent.objects.exists()
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.WAITING


def test_wrong_secret_is_400_and_nothing_changes(client: Any, waiting_lesson: Lesson) -> None:
    response = deliver(client, load_event("video.asset.ready", lesson=waiting_lesson), secret="not-the-secret")
    assert response.status_code == 400
    assert response.json()["error"] == "Signature does not match."
    assert not MuxEvent.objects.exists()
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.WAITING


def test_tampered_body_is_400(client: Any, waiting_lesson: Lesson) -> None:
    body = json.dumps(load_event("video.asset.ready", lesson=waiting_lesson)).encode()
    header = sign(body)
    response = client.post(
        URL, data=body.replace(b"754.592", b"1.0"), content_type="application/json", HTTP_MUX_SIGNATURE=header
    )
    assert response.status_code == 400


def test_stale_signature_is_400_fresh_one_within_tolerance_is_accepted(client: Any, waiting_lesson: Lesson) -> None:
    payload = load_event("video.asset.ready", lesson=waiting_lesson)
    signed_at = int(time.time())
    body = json.dumps(payload).encode()
    header = sign(body, timestamp=signed_at)
    with time_machine.travel(signed_at + 301, tick=False):
        stale = client.post(URL, data=body, content_type="application/json", HTTP_MUX_SIGNATURE=header)
    assert stale.status_code == 400
    assert "tolerance" in stale.json()["error"]
    assert not MuxEvent.objects.exists()
    with time_machine.travel(signed_at + 299, tick=False):
        fresh = client.post(URL, data=body, content_type="application/json", HTTP_MUX_SIGNATURE=header)
    assert fresh.status_code == 200


def test_signature_from_the_future_beyond_tolerance_is_400(client: Any, waiting_lesson: Lesson) -> None:
    payload = load_event("video.asset.ready", lesson=waiting_lesson)
    response = deliver(client, payload, timestamp=int(time.time()) + 600)
    assert response.status_code == 400


def test_unconfigured_secret_refuses_everything(client: Any, settings: Any, waiting_lesson: Lesson) -> None:
    settings.MUX_WEBHOOK_SECRET = ""
    response = deliver(client, load_event("video.asset.ready", lesson=waiting_lesson), secret="")
    assert response.status_code == 400


def test_get_is_405(client: Any) -> None:
    assert client.get(URL).status_code == 405


def test_signed_garbage_is_400(client: Any, db: None) -> None:
    assert deliver(client, b"not json").status_code == 400
    assert deliver(client, b"[1, 2]").status_code == 400
    assert not MuxEvent.objects.exists()


# --- event types -----------------------------------------------------------------------------


def test_upload_asset_created_links_the_asset_and_marks_processing(client: Any, waiting_lesson: Lesson) -> None:
    response = deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson))
    assert response.status_code == 200
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.mux_asset_id == ASSET_ID
    assert waiting_lesson.video_status == VideoStatus.PROCESSING
    event = MuxEvent.objects.get()
    assert (event.type, event.object_id, event.status) == (
        "video.upload.asset_created",
        UPLOAD_ID,
        MuxEventStatus.PROCESSED,
    )
    assert event.processed_at is not None


def test_asset_ready_fills_asset_playback_and_rounded_duration(client: Any, waiting_lesson: Lesson) -> None:
    deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson))
    response = deliver(client, load_event("video.asset.ready", lesson=waiting_lesson))
    assert response.status_code == 200
    assert response.json() == {"status": "received"}  # answered at once; processed when the insert committed
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.mux_asset_id == ASSET_ID
    assert waiting_lesson.mux_playback_id == PLAYBACK_ID
    assert waiting_lesson.video_duration == 755  # 754.592 s
    assert waiting_lesson.video_status == VideoStatus.READY
    assert waiting_lesson.mux_playback_policy == "signed"


def test_asset_ready_picks_the_playback_id_matching_the_lessons_policy(client: Any, db: None) -> None:
    lesson = LessonFactory(
        is_free=True, mux_playback_policy="public", mux_upload_id=UPLOAD_ID, video_status=VideoStatus.WAITING
    )
    payload = load_event("video.asset.ready", lesson=lesson)
    payload["data"]["playback_ids"] = [
        {"policy": "signed", "id": "signedPlaybackId0001"},
        {"policy": "public", "id": "publicPlaybackId0001"},
    ]
    assert deliver(client, payload).status_code == 200
    lesson.refresh_from_db()
    assert (lesson.mux_playback_id, lesson.mux_playback_policy) == ("publicPlaybackId0001", "public")


def test_asset_ready_found_by_passthrough_when_no_upload_is_known(client: Any, db: None) -> None:
    """An asset created outside a direct upload (API, dashboard) with the lesson id as passthrough."""
    lesson = LessonFactory(mux_playback_id=None, video_status=VideoStatus.NONE)
    payload = load_event("video.asset.ready", lesson=lesson)
    del payload["data"]["upload_id"]
    assert deliver(client, payload).status_code == 200
    lesson.refresh_from_db()
    assert (lesson.video_status, lesson.mux_playback_id) == (VideoStatus.READY, PLAYBACK_ID)


def test_asset_errored_shows_the_error_on_the_lesson(client: Any, waiting_lesson: Lesson) -> None:
    deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson))
    response = deliver(client, load_event("video.asset.errored", lesson=waiting_lesson))
    assert response.status_code == 200
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.ERRORED
    assert waiting_lesson.video_error == (
        "invalid_input: The video file could not be processed: no video or audio stream was found in the input."
    )


def test_asset_deleted_clears_the_video(client: Any, waiting_lesson: Lesson) -> None:
    deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson))
    deliver(client, load_event("video.asset.ready", lesson=waiting_lesson))
    response = deliver(client, load_event("video.asset.deleted", lesson=waiting_lesson))
    assert response.status_code == 200
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.mux_asset_id is None
    assert waiting_lesson.mux_playback_id is None
    assert waiting_lesson.mux_upload_id is None
    assert waiting_lesson.video_duration is None
    assert waiting_lesson.video_status == VideoStatus.NONE


def test_deleting_an_old_replaced_asset_keeps_the_new_video(client: Any, waiting_lesson: Lesson) -> None:
    deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson))
    deliver(client, load_event("video.asset.ready", lesson=waiting_lesson))
    old = load_event("video.asset.deleted", lesson=waiting_lesson)
    old["data"]["id"] = old["object"]["id"] = "oldAssetReplacedLongAgo0000000000000000000"
    assert deliver(client, old).status_code == 200
    waiting_lesson.refresh_from_db()
    assert (waiting_lesson.video_status, waiting_lesson.mux_playback_id) == (VideoStatus.READY, PLAYBACK_ID)
    assert MuxEvent.objects.get(mux_event_id=old["id"]).status == MuxEventStatus.IGNORED


def test_upload_cancelled_returns_a_waiting_lesson_to_no_video(client: Any, waiting_lesson: Lesson) -> None:
    assert deliver(client, load_event("video.upload.cancelled", lesson=waiting_lesson)).status_code == 200
    waiting_lesson.refresh_from_db()
    assert (waiting_lesson.video_status, waiting_lesson.mux_upload_id) == (VideoStatus.NONE, None)


def test_unhandled_event_type_is_stored_and_ignored(client: Any, waiting_lesson: Lesson) -> None:
    response = deliver(client, load_event("video.asset.created", lesson=waiting_lesson))
    assert response.status_code == 200
    assert MuxEvent.objects.get().status == MuxEventStatus.IGNORED
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.WAITING


def test_unknown_upload_or_asset_is_200_logged_and_ignored(client: Any, db: None, caplog: Any) -> None:
    caplog.set_level("WARNING", logger="courses.webhooks")
    lesson = LessonFactory(mux_upload_id="someOtherUpload")
    for name in ("video.upload.asset_created", "video.asset.ready", "video.asset.errored", "video.asset.deleted"):
        payload = load_event(name)  # passthrough names no lesson here
        response = deliver(client, payload)
        assert response.status_code == 200, name
        event = MuxEvent.objects.get(mux_event_id=payload["id"])
        assert event.status == MuxEventStatus.IGNORED
        assert event.error == "No lesson matches this upload or asset."
    assert caplog.text.count("matches no lesson") == 4
    lesson.refresh_from_db()
    assert lesson.video_status == VideoStatus.NONE


def test_a_superseded_uploads_asset_does_not_replace_the_current_upload(client: Any, db: None) -> None:
    lesson = LessonFactory(mux_upload_id="newerUpload0000", video_status=VideoStatus.WAITING, mux_playback_id=None)
    response = deliver(client, load_event("video.asset.ready", lesson=lesson))  # upload_id = the older upload
    assert response.status_code == 200
    lesson.refresh_from_db()
    assert (lesson.video_status, lesson.mux_playback_id) == (VideoStatus.WAITING, None)


# --- idempotency and failure -----------------------------------------------------------------


def test_a_repeated_event_is_a_200_no_op(client: Any, waiting_lesson: Lesson) -> None:
    payload = load_event("video.asset.ready", lesson=waiting_lesson)
    assert deliver(client, payload).status_code == 200
    Lesson.objects.filter(pk=waiting_lesson.pk).update(video_duration=1)  # would be overwritten by a re-run
    repeat = deliver(client, payload)
    assert repeat.status_code == 200
    assert repeat.json() == {"status": "duplicate"}
    assert MuxEvent.objects.count() == 1
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_duration == 1


def test_a_repeat_runs_in_constant_queries(client: Any, waiting_lesson: Lesson, django_assert_num_queries: Any) -> None:
    payload = load_event("video.asset.ready", lesson=waiting_lesson)
    deliver(client, payload)
    # the store-once lookup finds it: nothing is written or queued
    with django_assert_num_queries(1):
        assert deliver(client, payload).status_code == 200


def test_handler_failure_is_200_stored_for_a_retry_and_handled_on_redelivery(
    client: Any, waiting_lesson: Lesson, monkeypatch: Any
) -> None:
    payload = load_event("video.asset.ready", lesson=waiting_lesson)
    real = services.lesson_video_ready

    def broken(**kwargs: Any) -> None:
        Lesson.objects.filter(pk=waiting_lesson.pk).update(title="half-written")
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("courses.services.lesson_video_ready", broken)
    response = deliver(client, payload)
    assert response.status_code == 200  # stored: the sweeper (or Mux's redelivery) runs it again
    event = MuxEvent.objects.get()
    assert (event.status, event.attempts) == (MuxEventStatus.RETRYING, 1)
    assert event.error.startswith("RuntimeError: database hiccup")
    assert event.next_attempt_at is not None
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.title != "half-written"  # the handler's writes were rolled back
    assert waiting_lesson.video_status == VideoStatus.WAITING

    monkeypatch.setattr("courses.services.lesson_video_ready", real)
    retry = deliver(client, payload)
    assert retry.status_code == 200
    event.refresh_from_db()
    assert (event.status, event.error) == (MuxEventStatus.PROCESSED, "")
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.READY


def test_ready_without_playback_ids_fails_visibly(client: Any, waiting_lesson: Lesson) -> None:
    payload = load_event("video.asset.ready", lesson=waiting_lesson)
    payload["data"]["playback_ids"] = []
    assert deliver(client, payload).status_code == 200
    event = MuxEvent.objects.get()
    assert event.status == MuxEventStatus.RETRYING
    assert "no playback id" in event.error


# --- out of order ------------------------------------------------------------------------------


def test_ready_before_asset_created_ends_ready(client: Any, waiting_lesson: Lesson) -> None:
    assert deliver(client, load_event("video.asset.ready", lesson=waiting_lesson)).status_code == 200
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.READY
    assert deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson)).status_code == 200
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.READY
    assert waiting_lesson.mux_asset_id == ASSET_ID
    assert waiting_lesson.mux_playback_id == PLAYBACK_ID
    assert waiting_lesson.video_duration == 755


def test_errored_before_asset_created_ends_errored(client: Any, waiting_lesson: Lesson) -> None:
    deliver(client, load_event("video.asset.errored", lesson=waiting_lesson))
    deliver(client, load_event("video.upload.asset_created", lesson=waiting_lesson))
    waiting_lesson.refresh_from_db()
    assert waiting_lesson.video_status == VideoStatus.ERRORED
    assert "no video or audio stream" in waiting_lesson.video_error


def test_ready_after_deleted_does_not_resurrect_the_video(client: Any, waiting_lesson: Lesson) -> None:
    deliver(client, load_event("video.asset.ready", lesson=waiting_lesson))
    deliver(client, load_event("video.asset.deleted", lesson=waiting_lesson))
    late = load_event("video.asset.ready", lesson=waiting_lesson, event_id="late-duplicate-delivery-0001")
    assert deliver(client, late).status_code == 200
    waiting_lesson.refresh_from_db()
    assert (waiting_lesson.video_status, waiting_lesson.mux_playback_id) == (VideoStatus.NONE, None)


@pytest.mark.parametrize(
    "order",
    [
        ("video.upload.asset_created", "video.asset.ready"),
        ("video.asset.ready", "video.upload.asset_created"),
        ("video.asset.ready", "video.upload.asset_created", "video.asset.ready"),
    ],
)
def test_any_order_converges_on_ready(client: Any, waiting_lesson: Lesson, order: tuple[str, ...]) -> None:
    events = {name: load_event(name, lesson=waiting_lesson) for name in set(order)}
    for name in order:
        assert deliver(client, copy.deepcopy(events[name])).status_code == 200
    waiting_lesson.refresh_from_db()
    assert (waiting_lesson.video_status, waiting_lesson.mux_asset_id, waiting_lesson.mux_playback_id) == (
        VideoStatus.READY,
        ASSET_ID,
        PLAYBACK_ID,
    )
