from __future__ import annotations

from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"unreachable: {exc.__class__.__name__}"
    return "ok"


@lru_cache(maxsize=4)
def _redis_client(url: str) -> Any:
    """One client (and so one connection pool) per process and URL: a probe every few seconds must
    not open a new TCP connection each time. A connection that broke is dropped by the pool and the
    next ping reconnects, so an outage and a recovery both show on the next probe."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured (embedded broker, local cache)"
    try:
        _redis_client(settings.REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001
        return f"unreachable: {exc.__class__.__name__}"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when PostgreSQL (or SQLite) and Redis answer; 503 naming what does not."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(not value.startswith("unreachable") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
