"""Captions: WebVTT parsing, the Mux text-track webhook (signed, fetched from a local Mux stream host),
the admin's .vtt upload, the captions track and the interactive transcript on the lesson page."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Lesson, MuxEvent, MuxEventStatus, PlaybackPolicy, Transcript, TranscriptSource, VideoStatus
from courses.transcripts import VTTError, vtt_parse, vtt_render
from search.models import TranscriptCueEntry
from tests.courses.factories import LessonFactory
from tests.courses.test_webhooks import ASSET_ID, PLAYBACK_ID, deliver, load_event

TRACK_ID = "Zx02fQp9Yk3vRsT00aBcDeFgHiJkLmNoPqRsTuVwXy01Z"
GOOD_VTT = (
    "WEBVTT\n\n"
    "1\n00:00:01.000 --> 00:00:04.500\nWelcome to <b>the</b> lesson.\n\n"
    "00:00:04.500 --> 00:00:09.000 align:start\nToday we wire up Celery workers\nand beat.\n\n"
    "NOTE a comment\n\n"
    "00:01:05.250 --> 00:01:08.000\nMigrations run in CI.\n"
)


# --- parsing ---------------------------------------------------------------------------------


def test_vtt_parse_reads_cues_in_seconds_with_markup_stripped() -> None:
    cues = vtt_parse(GOOD_VTT.encode())
    assert cues == [
        {"start": 1.0, "end": 4.5, "text": "Welcome to the lesson."},
        {"start": 4.5, "end": 9.0, "text": "Today we wire up Celery workers and beat."},
        {"start": 65.25, "end": 68.0, "text": "Migrations run in CI."},
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not a caption file\n", "Line 1: a WebVTT file starts with"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:0x --> 00:00:03.000\nbad\n", "Line 6:"),
        (b"WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nbackwards\n", "Line 3: the cue ends"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\njust some text\n", "Line 6:"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nnul\x00here\n", "Line 4: contains a NUL byte"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\xff\xfe\n", "not UTF-8"),
        (b"WEBVTT\n\n", "no cues"),
    ],
)
def test_vtt_parse_names_the_line_of_the_first_problem(raw: bytes, message: str) -> None:
    with pytest.raises(VTTError, match=message.replace("(", r"\(")):
        vtt_parse(raw)


def test_vtt_render_round_trips_and_escapes_markup() -> None:
    cues = [{"start": 1.0, "end": 2.0, "text": "a < b --> c & d"}]
    rendered = vtt_render(cues)
    assert "a &lt; b --&gt; c &amp; d" in rendered
    assert vtt_parse(rendered)[0]["start"] == 1.0


# --- the Mux text-track webhook --------------------------------------------------------------


class _StreamHost:
    """A local stand-in for stream.mux.com: serves /<playback id>/text/<track id>.vtt."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.requests.append(self.path)
                body = host.files.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/vtt")
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stream_host(settings: Any) -> Iterator[_StreamHost]:
    host = _StreamHost()
    settings.MUX_STREAM_BASE = host.base
    yield host
    host.server.shutdown()
    host.server.server_close()


@pytest.fixture
def ready_lesson(db: None) -> Lesson:
    return LessonFactory(
        mux_asset_id=ASSET_ID,
        mux_playback_id=PLAYBACK_ID,
        mux_playback_policy=PlaybackPolicy.PUBLIC,
        video_status=VideoStatus.READY,
        video_duration=600,
        published=True,
        module__published=True,
    )


def test_track_ready_webhook_fetches_and_stores_the_cues_once(
    client: Any, stream_host: _StreamHost, ready_lesson: Lesson, django_capture_on_commit_callbacks: Any
) -> None:
    stream_host.files[f"/{PLAYBACK_ID}/text/{TRACK_ID}.vtt"] = GOOD_VTT.encode()
    payload = load_event("video.asset.track.ready")

    response = deliver(client, payload)

    assert response.status_code == 200, response.content
    transcript = Transcript.objects.get(lesson=ready_lesson)
    assert (transcript.language, transcript.source, transcript.mux_track_id) == ("en", "GENERATED", TRACK_ID)
    assert [cue["text"] for cue in transcript.cues][-1] == "Migrations run in CI."
    assert TranscriptCueEntry.objects.filter(lesson=ready_lesson).count() == 3  # indexed for search
    assert MuxEvent.objects.get(mux_event_id=payload["id"]).status == MuxEventStatus.PROCESSED

    # A replay of the same delivery is a no-op: nothing fetched again.
    assert deliver(client, payload).json() == {"status": "duplicate"}
    assert len(stream_host.requests) == 1


def test_track_ready_for_a_signed_video_fetches_with_a_playback_token(
    client: Any, stream_host: _StreamHost, ready_lesson: Lesson, mux_signing: Any
) -> None:
    Lesson.objects.filter(pk=ready_lesson.pk).update(mux_playback_policy=PlaybackPolicy.SIGNED)
    stream_host.files[f"/{PLAYBACK_ID}/text/{TRACK_ID}.vtt"] = GOOD_VTT.encode()

    assert deliver(client, load_event("video.asset.track.ready")).status_code == 200

    assert "?token=" in stream_host.requests[0]
    assert Transcript.objects.filter(lesson=ready_lesson).exists()


def test_track_ready_when_mux_is_unreachable_fails_and_is_retried(
    client: Any, settings: Any, ready_lesson: Lesson, stream_host: _StreamHost
) -> None:
    settings.MUX_STREAM_BASE = "http://127.0.0.1:9"  # a closed port
    payload = load_event("video.asset.track.ready")

    # Stored and answered 200 at once; the task's failure leaves the event RETRYING (the sweeper runs it again).
    assert deliver(client, payload).status_code == 200
    event = MuxEvent.objects.get(mux_event_id=payload["id"])
    assert (event.status, event.attempts) == (MuxEventStatus.RETRYING, 1)
    assert event.error.startswith("MuxError: Could not reach Mux for the captions")
    assert not Transcript.objects.exists()

    settings.MUX_STREAM_BASE = stream_host.base  # the retry (a redelivery here), once the host answers again
    stream_host.files[f"/{PLAYBACK_ID}/text/{TRACK_ID}.vtt"] = GOOD_VTT.encode()
    assert deliver(client, payload).status_code == 200
    event.refresh_from_db()
    assert (event.status, event.error) == (MuxEventStatus.PROCESSED, "")
    assert Transcript.objects.get(lesson=ready_lesson).cues[0]["start"] == 1.0


def test_track_ready_never_overwrites_an_uploaded_correction(
    client: Any, stream_host: _StreamHost, ready_lesson: Lesson
) -> None:
    Transcript.objects.create(
        lesson=ready_lesson, language="en", label="English", source=TranscriptSource.UPLOAD, cues=[]
    )
    assert deliver(client, load_event("video.asset.track.ready")).status_code == 200
    assert Transcript.objects.get(lesson=ready_lesson).source == TranscriptSource.UPLOAD
    assert stream_host.requests == []


def test_track_ready_for_an_unknown_asset_is_ignored(client: Any, db: None, stream_host: _StreamHost) -> None:
    payload = load_event("video.asset.track.ready")
    assert deliver(client, payload).status_code == 200
    assert MuxEvent.objects.get(mux_event_id=payload["id"]).status == MuxEventStatus.IGNORED


def test_direct_uploads_ask_mux_for_generated_english_captions() -> None:
    import mux_python

    from courses import mux

    captured: dict[str, Any] = {}

    class FakeApi:
        def __init__(self, client: Any) -> None:
            pass

        def create_direct_upload(self, request: Any, **kwargs: Any) -> Any:
            captured["body"] = mux_python.ApiClient().sanitize_for_serialization(request)
            raise mux_python.exceptions.ApiException(status=401, reason="stop here")

    original = mux_python.DirectUploadsApi
    mux_python.DirectUploadsApi = FakeApi  # type: ignore[misc]
    try:
        from django.test import override_settings

        with override_settings(MUX_TOKEN_ID="id", MUX_TOKEN_SECRET="secret"), pytest.raises(mux.MuxError):
            mux.direct_upload_create(passthrough="lesson", playback_policy="signed", cors_origin="http://x")
    finally:
        mux_python.DirectUploadsApi = original  # type: ignore[misc]
    assert captured["body"]["new_asset_settings"]["input"] == [
        {"generated_subtitles": [{"language_code": "en", "name": "EN (generated)"}]}
    ]


# --- the admin's .vtt upload -----------------------------------------------------------------


def _change_form_data(lesson: Lesson, **extra: Any) -> dict[str, Any]:
    data = {
        "module": lesson.module_id,
        "title": lesson.title,
        "order": lesson.order,
        "published": "on",
        "content": json.dumps(lesson.content) if lesson.content else "",
        "captions_language": "es",
        "captions_label": "Español",
        "assets-TOTAL_FORMS": "0",
        "assets-INITIAL_FORMS": "0",
        "assets-MIN_NUM_FORMS": "0",
        "assets-MAX_NUM_FORMS": "1000",
        "transcripts-TOTAL_FORMS": "0",
        "transcripts-INITIAL_FORMS": "0",
        "transcripts-MIN_NUM_FORMS": "0",
        "transcripts-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_admin_uploads_a_vtt_for_another_language(admin_client: Any, ready_lesson: Lesson) -> None:
    upload = SimpleUploadedFile("es.vtt", GOOD_VTT.encode(), content_type="text/vtt")
    url = reverse("admin:courses_lesson_change", args=[ready_lesson.pk])

    response = admin_client.post(url, _change_form_data(ready_lesson, captions_file=upload))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    transcript = Transcript.objects.get(lesson=ready_lesson, language="es")
    assert (transcript.label, transcript.source, len(transcript.cues)) == ("Español", "UPLOAD", 3)
    assert TranscriptCueEntry.objects.filter(lesson=ready_lesson, language="es").count() == 3
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_id=ready_lesson.pk, change_message__contains="Uploaded captions").exists()


def test_admin_malformed_vtt_names_the_line_and_replaces_nothing(admin_client: Any, ready_lesson: Lesson) -> None:
    Transcript.objects.create(
        lesson=ready_lesson, language="es", label="Old", source="UPLOAD", cues=[{"start": 0, "end": 1, "text": "x"}]
    )
    bad = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:xx --> 00:00:03.000\nbroken\n"
    upload = SimpleUploadedFile("es.vtt", bad, content_type="text/vtt")
    url = reverse("admin:courses_lesson_change", args=[ready_lesson.pk])

    response = admin_client.post(url, _change_form_data(ready_lesson, captions_file=upload, title="Renamed"))

    assert response.status_code == 200
    assert "Line 6:" in response.content.decode()
    assert "Nothing was replaced." in response.content.decode()
    assert Transcript.objects.get(lesson=ready_lesson, language="es").label == "Old"
    ready_lesson.refresh_from_db()
    assert ready_lesson.title != "Renamed"


def test_admin_deletes_a_transcript_and_the_index_follows(admin_client: Any, ready_lesson: Lesson) -> None:
    from courses import services

    transcript = services.lesson_transcript_store(
        lesson=ready_lesson, language="es", label="Español", source="UPLOAD", cues=vtt_parse(GOOD_VTT)
    )
    assert TranscriptCueEntry.objects.filter(lesson=ready_lesson).count() == 3
    url = reverse("admin:courses_lesson_change", args=[ready_lesson.pk])
    assert "Español" in admin_client.get(url).content.decode()
    data = _change_form_data(
        ready_lesson,
        **{
            "transcripts-TOTAL_FORMS": "1",
            "transcripts-INITIAL_FORMS": "1",
            "transcripts-0-id": transcript.pk,
            "transcripts-0-lesson": ready_lesson.pk,
            "transcripts-0-DELETE": "on",
        },
    )
    assert admin_client.post(url, data).status_code == 302
    assert not Transcript.objects.filter(lesson=ready_lesson).exists()
    assert not TranscriptCueEntry.objects.filter(lesson=ready_lesson).exists()


# --- the lesson page -------------------------------------------------------------------------


def test_lesson_page_shows_the_transcript_and_captions_track_to_a_member(
    client: Any, subscriber: Any, ready_lesson: Lesson, mux_signing: Any
) -> None:
    Transcript.objects.create(
        lesson=ready_lesson,
        language="en",
        label="English",
        source="UPLOAD",
        cues=vtt_parse(GOOD_VTT),
    )
    client.force_login(subscriber)
    page = client.get(f"/lessons/{ready_lesson.pk}/?t=65").content.decode()

    assert 'data-start="65.250"' in page
    assert "Migrations run in CI." in page
    assert 'start-time="65"' in page
    assert "Starting at 1:05." in page
    track_url = f"/lessons/{ready_lesson.pk}/captions/en.vtt"
    assert f'src="{track_url}"' in page
    captions = client.get(track_url)
    assert captions.status_code == 200
    assert captions["Content-Type"].startswith("text/vtt")
    assert vtt_parse(captions.content)[2]["text"] == "Migrations run in CI."


@pytest.mark.parametrize("t", ["abc", "-5", "1e9", "nan", "inf", "9" * 40, "\x00"])
def test_bad_start_times_are_ignored(
    client: Any, subscriber: Any, ready_lesson: Lesson, mux_signing: Any, t: str
) -> None:
    client.force_login(subscriber)
    response = client.get(f"/lessons/{ready_lesson.pk}/", {"t": t})
    assert response.status_code == 200
    assert "<mux-player" in response.content.decode()
    assert "start-time=" not in response.content.decode()


def test_locked_lesson_shows_no_transcript_text_and_refuses_its_captions(
    client: Any, user: Any, ready_lesson: Lesson
) -> None:
    Transcript.objects.create(
        lesson=ready_lesson, language="en", label="English", source="UPLOAD", cues=vtt_parse(GOOD_VTT)
    )
    client.force_login(user)  # signed in, no subscription; the lesson is not free
    page = client.get(f"/lessons/{ready_lesson.pk}/").content.decode()
    assert "Migrations run in CI." not in page
    assert "data-transcript" not in page
    assert client.get(f"/lessons/{ready_lesson.pk}/captions/en.vtt").status_code == 403
    client.logout()
    assert client.get(f"/lessons/{ready_lesson.pk}/captions/en.vtt").status_code == 302
    assert client.get(f"/lessons/{ready_lesson.pk}/captions/..%2Fx.vtt").status_code == 404


def test_a_new_transcript_shows_at_once_though_transcripts_are_cached(
    client: Any, subscriber: Any, ready_lesson: Lesson, mux_signing: Any
) -> None:
    from courses import services

    client.force_login(subscriber)
    assert "data-transcript" not in client.get(f"/lessons/{ready_lesson.pk}/").content.decode()  # cached: none
    services.lesson_transcript_store(
        lesson=ready_lesson, language="en", label="English", source="UPLOAD", cues=vtt_parse(GOOD_VTT)
    )
    assert "Migrations run in CI." in client.get(f"/lessons/{ready_lesson.pk}/").content.decode()
    Transcript.objects.filter(lesson=ready_lesson).delete()
    assert "Migrations run in CI." not in client.get(f"/lessons/{ready_lesson.pk}/").content.decode()
