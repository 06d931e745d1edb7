"""The default cache: Django's Redis cache with one redis-py client per connection pool, failing open
when Redis is unreachable.

One client per pool: Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache
call; building one (its response-callback tables) costs about as much CPU as the GET itself, and every
signed-in request makes at least two (its session, the course content version). The client is
thread-safe and holds no connection of its own (the pool does), so one per pool is enough.

Failing open (`FailOpenRedisCache`, the configured backend): the cache holds nothing that must
survive (allauth's rate-limit counters, the beacon's counters, cached sessions whose record is the
database, throw-away lookups), so a Redis outage must not turn sign-in, sign-up or password reset into
a 500. While Redis is down every read misses, every write is dropped and `add` reports success (so
allauth's short cache lock is "taken" and its check goes on): **rate limits are not enforced during
the outage** — a documented, logged degradation (README "Operations"), never an error page. Redis is
also given short socket timeouts and no client-side retries, so a down or black-holed Redis costs a
request milliseconds, not the seconds redis-py's default retry backoff would.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient


# One warning per process per interval: an outage must be visible in the logs without flooding them.
WARNING_INTERVAL_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 0.5


class FailOpenRedisCache(RedisCache):
    """`RedisCache` (below: one client per pool) failing open, as the module docstring says."""

    _last_warning = 0.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, {**params, "OPTIONS": options})

    def _degraded(self, operation: str, exc: RedisError) -> None:
        now = time.monotonic()
        if now - FailOpenRedisCache._last_warning >= WARNING_INTERVAL_SECONDS:
            FailOpenRedisCache._last_warning = now
            logger.warning(
                "Redis cache unreachable (%s on %s): failing open, rate limits are not enforced until it is back",
                exc.__class__.__name__,
                operation,
            )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            self._degraded("get", exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            self._degraded("get_many", exc)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except RedisError as exc:
            self._degraded("has_key", exc)
            return False

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            self._degraded("add", exc)
            # True: callers using add() as a lock (allauth's rate limiter) carry on instead of waiting
            # for a lock nobody can hold.
            return True

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            self._degraded("set", exc)

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            self._degraded("set_many", exc)
            return list(data)  # the keys that were not stored

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except RedisError as exc:
            self._degraded("touch", exc)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError as exc:
            self._degraded("delete", exc)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except RedisError as exc:
            self._degraded("delete_many", exc)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._degraded("incr", exc)
            return delta  # as if the counter had just been created: counting starts again once Redis is back

    def clear(self) -> None:
        try:
            super().clear()
        except RedisError as exc:
            self._degraded("clear", exc)
