"""SENTRY_DSN switches error reporting on: an unhandled view error reaches the Sentry endpoint (a local HTTP
server standing in for sentry.io, speaking the envelope protocol), without the learner's identity."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django, sentry_sdk
django.setup()
from django.conf import settings
from django.test import Client
settings.ROOT_URLCONF = "tests.ops.sentry_urls"
settings.ALLOWED_HOSTS = ["testserver"]
response = Client(raise_request_exception=False).get("/sentry-test/broken/?email=learner@example.com")
print("status", response.status_code)
sentry_sdk.flush(timeout=10)
"""


def test_an_unhandled_error_is_reported_to_sentry() -> None:
    envelopes: list[bytes] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            envelopes.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_address[1]}/42",
            "SENTRY_ENVIRONMENT": "ci",
        }
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        server.shutdown()
    assert "status 500" in result.stdout, result.stdout + result.stderr

    items = [json.loads(line) for envelope in envelopes for line in envelope.splitlines() if line.startswith(b"{")]
    [event] = [item for item in items if item.get("exception")]
    [error] = event["exception"]["values"]
    assert error["type"] == "RuntimeError"
    assert error["value"] == "sentry-test: a view failed"
    assert event["environment"] == "ci"
    assert event["transaction"] == "/sentry-test/broken/"  # the Django integration names the view's route
    # send_default_pii=False: no user, cookies, headers or query string of the learner's request.
    assert "user" not in event
    assert "learner@example.com" not in json.dumps(event.get("request", {}))
