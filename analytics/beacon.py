"""What the browser may send to `POST /analytics/events/`, and how often.

The body is JSON `{"event": <name>, "properties": {...}}`. Only the names in `BROWSER_EVENTS` are
accepted (video starts from the lesson player); properties are a flat object with a few short keys
and scalar values. Anything else is refused with a message saying why, and nothing is stored.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from analytics.models import BROWSER_EVENTS
from config.json_body import JSONBodyError, json_body_parse

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2048
MAX_PROPERTIES = 10
MAX_KEY_LENGTH = 40
MAX_STRING_LENGTH = 200
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# Requests per minute; settings may override (ANALYTICS_BEACON_PER_SESSION / _PER_IP).
DEFAULT_PER_SESSION = 60
DEFAULT_PER_IP = 300
RATE_WINDOW_SECONDS = 60


class BeaconError(ValueError):
    """The request is not a valid beacon event; the message is shown to the caller."""


@dataclass(frozen=True)
class BeaconEvent:
    name: str
    properties: dict[str, str | int | float | bool | None]


def _check_value(key: str, value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BeaconError(f"Property {key!r} must be a finite number.")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise BeaconError(f"Property {key!r} is longer than {MAX_STRING_LENGTH} characters.")
        return value
    raise BeaconError(f"Property {key!r} must be a string, number, boolean or null.")


def beacon_parse(body: bytes) -> BeaconEvent:
    """Validate a beacon body. Raises BeaconError with a clear message."""
    if len(body) > MAX_BODY_BYTES:
        raise BeaconError(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json_body_parse(body, max_bytes=MAX_BODY_BYTES, max_depth=4, allow_nan=True)  # checked per property
    except JSONBodyError as exc:
        if str(exc).startswith(("The body is not valid JSON", "The body is not UTF-8")):
            raise BeaconError("The request body is not valid JSON.") from exc
        raise BeaconError(f"The request body is not acceptable: {exc}") from exc
    if not isinstance(data, dict):
        raise BeaconError('Send a JSON object: {"event": "...", "properties": {...}}.')
    unexpected = sorted(set(data) - {"event", "properties"})
    if unexpected:
        raise BeaconError(f"Unexpected field(s): {', '.join(unexpected)}.")
    name = data.get("event")
    if not isinstance(name, str) or name not in BROWSER_EVENTS:
        allowed = ", ".join(sorted(BROWSER_EVENTS))
        raise BeaconError(f"Unknown event {name!r}; the browser may send: {allowed}.")
    raw = data.get("properties")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BeaconError("`properties` must be a JSON object.")
    if len(raw) > MAX_PROPERTIES:
        raise BeaconError(f"At most {MAX_PROPERTIES} properties are allowed.")
    properties: dict[str, str | int | float | bool | None] = {}
    for key, value in raw.items():
        if len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.match(key):
            raise BeaconError(
                f"Property name {key[:MAX_KEY_LENGTH]!r} must be lowercase letters, digits and underscores "
                f"(at most {MAX_KEY_LENGTH})."
            )
        properties[key] = _check_value(key, value)
    return BeaconEvent(name=name, properties=properties)


def beacon_rate_allow(*, scope: str, key: str) -> bool:
    """Count one beacon request against `scope` ("ip" or "session") in a fixed one-minute window
    (Redis, shared by every web process). Fails open: a cache outage must not lose events."""
    limit = {
        "ip": getattr(settings, "ANALYTICS_BEACON_PER_IP", DEFAULT_PER_IP),
        "session": getattr(settings, "ANALYTICS_BEACON_PER_SESSION", DEFAULT_PER_SESSION),
    }[scope]
    cache_key = f"analytics:beacon:{scope}:{key}"
    try:
        if cache.add(cache_key, 1, timeout=RATE_WINDOW_SECONDS):
            return limit >= 1
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.set(cache_key, 1, timeout=RATE_WINDOW_SECONDS)
            count = 1
    except Exception:  # the cache being down is no reason to refuse analytics
        logger.exception("beacon rate limit unavailable")
        return True
    return count <= limit
