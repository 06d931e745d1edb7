"""The Mux module: the only place that talks to Mux (API via mux_python, signed playback tokens).

Playback tokens: RS256 JWTs signed with the Mux signing key (`MUX_SIGNING_KEY_ID`,
`MUX_SIGNING_PRIVATE_KEY`), `sub` = playback id, `aud` = v (video) / t (thumbnail) / s (storyboard).
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

AUDIENCES = {"playback": "v", "thumbnail": "t", "storyboard": "s"}


@dataclass(frozen=True)
class PlaybackTokens:
    playback: str
    thumbnail: str
    storyboard: str
    expires_at: int


@lru_cache(maxsize=4)
def _private_key_pem(raw: str) -> str:
    """Mux hands out the private key base64-encoded; accept that or a PEM as-is."""
    raw = raw.strip()
    if raw.startswith("-----BEGIN"):
        return raw.replace("\\n", "\n")
    try:
        decoded = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured("MUX_SIGNING_PRIVATE_KEY is neither a PEM nor a base64-encoded PEM.") from exc
    if not decoded.startswith("-----BEGIN"):
        raise ImproperlyConfigured("MUX_SIGNING_PRIVATE_KEY does not decode to a PEM private key.")
    return decoded


def signing_configured() -> bool:
    return bool(settings.MUX_SIGNING_KEY_ID and settings.MUX_SIGNING_PRIVATE_KEY)


def playback_tokens(playback_id: str, *, ttl_seconds: int | None = None) -> PlaybackTokens:
    """Short-lived playback, thumbnail and storyboard tokens for a signed playback id.

    Call only after the access check (`courses.selectors.lesson_access`) allowed the lesson.
    """
    if not signing_configured():
        raise ImproperlyConfigured("MUX_SIGNING_KEY_ID and MUX_SIGNING_PRIVATE_KEY are needed for signed playback.")
    key = _private_key_pem(settings.MUX_SIGNING_PRIVATE_KEY)
    expires_at = int(time.time()) + (ttl_seconds or settings.MUX_PLAYBACK_TOKEN_TTL_SECONDS)
    headers = {"kid": settings.MUX_SIGNING_KEY_ID}

    def sign(aud: str) -> str:
        claims = {"sub": playback_id, "aud": aud, "exp": expires_at, "kid": settings.MUX_SIGNING_KEY_ID}
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)

    return PlaybackTokens(
        playback=sign(AUDIENCES["playback"]),
        thumbnail=sign(AUDIENCES["thumbnail"]),
        storyboard=sign(AUDIENCES["storyboard"]),
        expires_at=expires_at,
    )
