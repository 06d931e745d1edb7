"""The lesson admin page in Chromium: the video goes from the browser straight to the upload URL with a
progress bar, a non-video file is refused before anything is sent, and the body preview follows the JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest

from courses import mux, services
from courses.models import Lesson, VideoStatus
from tests.conftest import browser_sign_in
from tests.courses.factories import LessonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (512 * 1024)


class FakeUploadTarget:
    """Stands in for Mux's upload URL (a Google Cloud Storage URL that accepts a cross-origin PUT)."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    def url(self, server: ThreadingHTTPServer) -> str:
        return f"http://127.0.0.1:{server.server_port}/upload/abc"


@pytest.fixture
def upload_target() -> Iterator[tuple[FakeUploadTarget, str]]:
    target = FakeUploadTarget()

    class Handler(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
            self.send_header("Access-Control-Allow-Methods", "PUT, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self._cors()
            self.end_headers()

        def do_PUT(self) -> None:
            target.received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self._cors()
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield target, target.url(server)
    finally:
        server.shutdown()
        server.server_close()


def test_video_upload_puts_the_file_to_mux_with_progress_then_shows_ready(
    browser_page: Any, live_server: Any, admin_user: Any, upload_target: Any, settings: Any
) -> None:
    target, target_url = upload_target
    # The stand-in for Mux's upload host is on loopback: the Content-Security-Policy must let the PUT go there.
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    origin = target_url.split("/upload/")[0]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**directives, "connect-src": [*directives["connect-src"], origin]}
    }
    lesson = LessonFactory(mux_playback_id=None, video_duration=None)
    browser_sign_in(browser_page, live_server, admin_user)

    def create(**kwargs: Any) -> mux.DirectUpload:
        return mux.DirectUpload(
            id="upload-browser-1",
            url=target_url,
            playback_policy=kwargs["playback_policy"],
            passthrough=kwargs["passthrough"],
        )

    with mock.patch("courses.mux.direct_upload_create", side_effect=create) as mux_create:
        browser_page.goto(f"/admin/courses/lesson/{lesson.pk}/change/")
        browser_page.set_input_files(
            "#lesson-video-file", files=[{"name": "lesson.mp4", "mimeType": "video/mp4", "buffer": VIDEO_BYTES}]
        )
        browser_page.click("[data-role=start]")
        browser_page.wait_for_selector("text=Uploaded. Mux is processing the video.")

    assert mux_create.call_args.kwargs["passthrough"] == lesson.pk
    assert target.received == [VIDEO_BYTES]
    assert browser_page.eval_on_selector("[data-role=progress]", "el => el.value") == 100
    lesson.refresh_from_db()
    assert (lesson.mux_upload_id, lesson.video_status) == ("upload-browser-1", VideoStatus.WAITING)

    # Mux's webhooks arrive; the page's polling picks the new state up.
    services.lesson_video_ready(
        asset_id="asset-1",
        upload_id="upload-browser-1",
        passthrough=lesson.pk,
        playback_ids=[{"id": "playback-1", "policy": "signed"}],
        duration=42.4,
    )
    browser_page.wait_for_selector(".video-status--ready", timeout=15_000)
    assert "playback id playback-1" in browser_page.inner_text("[data-role=details]")


def test_a_non_video_file_is_refused_in_the_browser(browser_page: Any, live_server: Any, admin_user: Any) -> None:
    lesson = LessonFactory()
    browser_sign_in(browser_page, live_server, admin_user)
    with mock.patch("courses.mux.direct_upload_create") as mux_create:
        browser_page.goto(f"/admin/courses/lesson/{lesson.pk}/change/")
        assert browser_page.get_attribute("#lesson-video-file", "accept") == "video/*"
        browser_page.set_input_files(
            "#lesson-video-file", files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}]
        )
        browser_page.click("[data-role=start]")
        error = browser_page.wait_for_selector("[data-role=error]:not([hidden])")
        assert "“notes.pdf” is not a video file" in error.inner_text()
    mux_create.assert_not_called()
    assert Lesson.objects.get(pk=lesson.pk).video_status == VideoStatus.NONE


def test_a_mux_error_is_shown_on_the_page(browser_page: Any, live_server: Any, admin_user: Any) -> None:
    lesson = LessonFactory()
    browser_sign_in(browser_page, live_server, admin_user)
    with mock.patch("courses.mux.direct_upload_create", side_effect=mux.MuxError("Mux API error (500): boom")):
        browser_page.goto(f"/admin/courses/lesson/{lesson.pk}/change/")
        browser_page.set_input_files(
            "#lesson-video-file", files=[{"name": "a.mp4", "mimeType": "video/mp4", "buffer": VIDEO_BYTES}]
        )
        browser_page.click("[data-role=start]")
        error = browser_page.wait_for_selector("[data-role=error]:not([hidden])")
        assert error.inner_text() == "The upload could not be started: Mux API error (500): boom"


def test_body_preview_follows_the_json(browser_page: Any, live_server: Any, admin_user: Any) -> None:
    lesson = LessonFactory()
    browser_sign_in(browser_page, live_server, admin_user)
    browser_page.goto(f"/admin/courses/lesson/{lesson.pk}/change/")
    doc = {
        "type": "doc",
        "content": [{"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Live!"}]}],
    }
    browser_page.fill("textarea.tiptap-json", json.dumps(doc))
    browser_page.wait_for_selector(".lesson-preview__body h3:has-text('Live!')")
    browser_page.fill("textarea.tiptap-json", '{"type": "doc", "content": [{"type": "marquee"}]}')
    errors = browser_page.wait_for_selector("[data-role=errors]:not([hidden])")
    assert "unknown node type 'marquee'" in errors.inner_text()


def test_after_a_refused_save_the_preview_shows_the_submitted_bodys_errors(
    browser_page: Any, live_server: Any, admin_user: Any
) -> None:
    lesson = LessonFactory()
    browser_sign_in(browser_page, live_server, admin_user)
    browser_page.goto(f"/admin/courses/lesson/{lesson.pk}/change/")
    browser_page.fill("textarea.tiptap-json", '{"type": "doc", "content": [{"type": "marquee"}]}')
    browser_page.click("input[name=_continue]")
    browser_page.wait_for_selector(".errornote:has-text('Please correct')")
    # No typing after the reload: the page itself asks for the preview of the refused body.
    errors = browser_page.wait_for_selector("[data-role=errors]:not([hidden])")
    assert "unknown node type 'marquee'" in errors.inner_text()
