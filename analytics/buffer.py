"""Signed-in lesson views recorded off the request path.

Every lesson view records `lesson_viewed`. Written from the request, that is an INSERT with its commit on
every view (five indexes and a foreign key), about a third of what a kept lesson page costs
(bench/README.md, `bench.pages`). Instead the request builds the row — its id and time are the view's —
and appends it to a list in Redis (one `RPUSH`); `events_buffered_flush`, a beat task every
`EVENT_FLUSH_SECONDS`, writes the waiting rows in one transaction. Ids are set before the row is buffered
and the flush skips ids already stored, so a flush that dies after its commit and is run again writes
nothing twice.

What it changes: a lesson view reaches the `Event` table (the analytics dashboard's live figures, the account
export) within seconds instead of at once. Not buffered, recorded at once as before: anonymous views
(signing up links the visitor's anonymous rows, so those must already be in the table), and any view while
Redis is not configured or does not answer. What Redis holds in between is lost if Redis itself loses its
data (a restart without persistence): at most the last few seconds of lesson views, never anything else.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from redis.backoff import NoBackoff
from redis.retry import Retry

from analytics.models import Event
from config.locks import single_flight

logger = logging.getLogger(__name__)

# A request waits at most this long for Redis before recording the view itself.
SOCKET_TIMEOUT_SECONDS = 0.5
WARNING_INTERVAL_SECONDS = 30.0
INSERT_BATCH = 1000
_last_warning = 0.0


def _keys() -> tuple[str, str]:
    """The buffer, and the list a flush works from (named after the cache's key prefix: one per site)."""
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:analytics:event-buffer"
    return key, f"{key}:flushing"


@lru_cache(maxsize=4)
def _client(url: str) -> Any:
    """One client (one connection pool) per process and URL; short timeouts and no retries, so a Redis
    that is down costs a lesson view half a second at most, once, before it records the view itself."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


def _warn(message: str, *args: Any) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARNING_INTERVAL_SECONDS:
        _last_warning = now
        logger.warning(message, *args, exc_info=True)


def event_buffer(event: Event) -> bool:
    """Append `event` (built, not saved) to the buffer. False when there is no Redis or it did not take the
    row: the caller records it itself."""
    if not settings.REDIS_URL:
        return False
    row = {
        "id": event.pk,
        "event": event.event,
        "user_id": event.user_id,
        "session_id": event.session_id,
        "properties": event.properties,
        "created_at": event.created_at.isoformat(),
    }
    try:
        _client(settings.REDIS_URL).rpush(_keys()[0], json.dumps(row, separators=(",", ":")))
    except redis.RedisError:
        _warn("analytics event buffer unavailable; recording %s directly", event.event)
        return False
    return True


def _event(row: dict[str, Any], users: set[Any]) -> Event:
    user_id = row.get("user_id")
    return Event(
        id=row["id"],
        event=row["event"],
        # A learner deleted since their view: the row stays, anonymous, as deleting them leaves their others.
        user_id=user_id if user_id in users else None,
        session_id=row.get("session_id"),
        properties=row.get("properties"),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def events_buffered_flush() -> int:
    """Write the buffered rows to `Event`; returns how many were new. One flush at a time (several beat
    schedulers may tick together); rows buffered meanwhile wait for the next one."""
    if not settings.REDIS_URL:
        return 0
    buffer, flushing = _keys()
    client = _client(settings.REDIS_URL)
    with single_flight("analytics.buffer.events_buffered_flush") as mine:
        if not mine:
            return 0
        # A flush that died after taking the buffer left its list behind: finish that one first.
        if not client.exists(flushing):
            try:
                client.rename(buffer, flushing)  # atomic: views from now on go to a new, empty buffer
            except redis.ResponseError:  # no buffer: no view since the last flush
                return 0
        rows = []
        for raw in client.lrange(flushing, 0, -1):
            try:
                rows.append(json.loads(raw))
            except ValueError:
                logger.error("dropping an unreadable buffered event: %r", raw[:200])
        users = set(
            get_user_model().objects.filter(pk__in={r.get("user_id") for r in rows}).values_list("pk", flat=True)
        )
        ids = [row["id"] for row in rows]
        with transaction.atomic():
            known: set[str] = set()  # written by a flush that died before it could drop its list
            for start in range(0, len(ids), INSERT_BATCH):
                stored = Event.objects.filter(pk__in=ids[start : start + INSERT_BATCH]).values_list("pk", flat=True)
                known.update(stored)
            new = [_event(row, users) for row in rows if row["id"] not in known]
            Event.objects.bulk_create(new, batch_size=INSERT_BATCH)
        client.delete(flushing)  # after the commit: a flush that dies before this writes nothing twice
        return len(new)
