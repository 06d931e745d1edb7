"""Sessions from the cache with the database behind it, surviving a cache outage.

Django's `cached_db` reads a session from the cache and falls back to the database on a miss, but a
cache that is down turns its refill, `exists()` and `delete()` into errors: every signed-in page
would fail while Redis is away. Here each cache step that fails is logged and skipped, so pages
keep working from the database (as they did before sessions were cached), and sign-out still
removes the session row.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db, db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    _cache: Any  # set by cached_db.SessionStore.__init__ (not in django-stubs)

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
            cache_up = True
        except Exception:
            logger.warning("session cache unavailable; reading the session from the database", exc_info=True)
            data, cache_up = None, False
        if data is not None:
            return data
        row = self._get_session_from_db()  # type: ignore[attr-defined]
        if row is None:
            return {}
        data = self.decode(row.session_data)
        if cache_up:
            try:
                self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
            except Exception:
                logger.warning("could not refill the session cache", exc_info=True)
        return data

    def exists(self, session_key: str) -> bool:
        try:
            return super().exists(session_key)
        except Exception:  # noqa: BLE001 - any cache failure: ask the database
            return db.SessionStore.exists(self, session_key)

    def delete(self, session_key: str | None = None) -> None:
        db.SessionStore.delete(self, session_key)
        key = session_key or self.session_key
        if key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except Exception:
            # The row is gone, so the session is over; a stale cache copy would still sign this browser
            # in until it expires, which is why the failure is an error, not a warning.
            logger.error("could not delete session %s… from the cache", key[:6], exc_info=True)
