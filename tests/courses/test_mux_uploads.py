"""courses.mux.direct_upload_create against a local stand-in for api.mux.com (MUX_API_BASE).

This checks what the admin tests take for granted: the HTTP request mux_python really sends (path, basic
auth, JSON body with new_asset_settings) and how Mux's error answers become admin-readable MuxErrors.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from courses import mux

UPLOAD_RESPONSE = {
    "data": {
        "url": "https://storage.googleapis.com/video-storage-us-east1-uploads/zd01Pe2bNpYhxbrwYABgFE01twZdtv4M00kts2i02GhbGjc?Expires=1718125200&Signature=abc",
        "timeout": 3600,
        "status": "waiting",
        "new_asset_settings": {"playback_policies": ["signed"], "passthrough": "lesson-1", "video_quality": "basic"},
        "id": "zd01Pe2bNpYhxbrwYABgFE01twZdtv4M00kts2i02GhbGjc",
        "cors_origin": "http://testserver",
    }
}


class FakeMux:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 201
        self.body: dict[str, Any] = UPLOAD_RESPONSE


@pytest.fixture
def fake_mux(settings: Any) -> Iterator[FakeMux]:
    fake = FakeMux()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            fake.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(self.rfile.read(length))}
            )
            payload = json.dumps(fake.body).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MUX_API_BASE = f"http://127.0.0.1:{server.server_port}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def test_direct_upload_sends_the_settings_and_returns_the_upload_url(fake_mux: FakeMux) -> None:
    upload = mux.direct_upload_create(passthrough="lesson-1", playback_policy="signed", cors_origin="http://testserver")
    assert upload == mux.DirectUpload(
        id="zd01Pe2bNpYhxbrwYABgFE01twZdtv4M00kts2i02GhbGjc",
        url=UPLOAD_RESPONSE["data"]["url"],
        playback_policy="signed",
        passthrough="lesson-1",
    )
    [request] = fake_mux.requests
    assert request["path"] == "/video/v1/uploads"
    expected_auth = "Basic " + base64.b64encode(b"mux-token-id:mux-token-secret").decode()
    assert request["headers"]["Authorization"] == expected_auth
    assert request["json"]["cors_origin"] == "http://testserver"
    assert request["json"]["timeout"] == 3600
    settings = request["json"]["new_asset_settings"]
    assert settings["playback_policy"] == ["signed"]
    assert settings["passthrough"] == "lesson-1"


def test_public_policy_is_sent_for_free_lessons(fake_mux: FakeMux) -> None:
    mux.direct_upload_create(passthrough="lesson-free", playback_policy="public", cors_origin="http://testserver")
    assert fake_mux.requests[0]["json"]["new_asset_settings"]["playback_policy"] == ["public"]


def test_a_mux_validation_error_becomes_a_readable_message(fake_mux: FakeMux) -> None:
    fake_mux.status = 400
    fake_mux.body = {"error": {"type": "invalid_parameters", "messages": ["cors_origin is not a valid origin"]}}
    with pytest.raises(mux.MuxError) as raised:
        mux.direct_upload_create(passthrough="l", playback_policy="signed", cors_origin="nope")
    assert str(raised.value) == "Mux API error (400): cors_origin is not a valid origin"


def test_refused_credentials_say_so(fake_mux: FakeMux) -> None:
    fake_mux.status = 401
    fake_mux.body = {"error": {"type": "unauthorized", "messages": ["Unauthorized request"]}}
    with pytest.raises(mux.MuxError, match=r"Mux refused the API credentials \(401\): Unauthorized request"):
        mux.direct_upload_create(passthrough="l", playback_policy="signed", cors_origin="http://testserver")


def test_a_mux_outage_is_a_mux_error(fake_mux: FakeMux) -> None:
    fake_mux.status = 503
    fake_mux.body = {"error": {"type": "service_unavailable", "messages": []}}
    with pytest.raises(mux.MuxError, match=r"Mux API error \(503\): service_unavailable"):
        mux.direct_upload_create(passthrough="l", playback_policy="signed", cors_origin="http://testserver")


def test_unreachable_mux_is_a_mux_error(settings: Any) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MUX_API_BASE = f"http://127.0.0.1:{port}"
    with pytest.raises(mux.MuxError, match="Could not reach Mux"):
        mux.direct_upload_create(passthrough="l", playback_policy="signed", cors_origin="http://testserver")


def test_missing_credentials_are_a_mux_error(settings: Any) -> None:
    settings.MUX_TOKEN_SECRET = ""
    with pytest.raises(mux.MuxError, match="MUX_TOKEN_ID and MUX_TOKEN_SECRET"):
        mux.direct_upload_create(passthrough="l", playback_policy="signed", cors_origin="http://testserver")
