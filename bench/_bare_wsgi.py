"""A WSGI app of a few lines, served by bench.pages under the same gunicorn as the site: the machine's floor
for latency (what gunicorn, the kernel and the load client cost without Django)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"bare"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
