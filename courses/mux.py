"""The Mux module: the only place that talks to Mux (API via mux_python, signed playback tokens,
webhook signatures).

Playback tokens: RS256 JWTs signed with the Mux signing key (`MUX_SIGNING_KEY_ID`,
`MUX_SIGNING_PRIVATE_KEY`), `sub` = playback id, `aud` = v (video) / t (thumbnail) / s (storyboard).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
import mux_python
import urllib3
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from mux_python.exceptions import ApiException

logger = logging.getLogger(__name__)

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


@lru_cache(maxsize=4)
def _signing_key(raw: str) -> Any:
    """The signing key, parsed once per process: parsing a PEM costs far more than signing with it
    (it was most of a lesson page's CPU when done for each of the three tokens)."""

    try:
        return load_pem_private_key(_private_key_pem(raw).encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("MUX_SIGNING_PRIVATE_KEY is not a readable unencrypted private key.") from exc


def signing_configured() -> bool:
    return bool(settings.MUX_SIGNING_KEY_ID and settings.MUX_SIGNING_PRIVATE_KEY)


# A token set minted this recently is handed out again instead of signing three new JWTs (RSA signing
# was most of a lesson page's CPU). The tokens name only the playback id, not the learner, and are
# handed out only after the access check, so sharing them between learners reveals nothing; they still
# expire — at most this many seconds sooner than freshly minted ones would.
TOKEN_REUSE_SECONDS = 60
_minted: dict[tuple[str, str, str, int], PlaybackTokens] = {}
_MINTED_MAX = 2048


def playback_tokens(playback_id: str, *, ttl_seconds: int | None = None) -> PlaybackTokens:
    """Short-lived playback, thumbnail and storyboard tokens for a signed playback id.

    Call only after the access check (`courses.selectors.lesson_access`) allowed the lesson.
    Tokens minted for the same playback id in the last `TOKEN_REUSE_SECONDS` are reused.
    """
    if not signing_configured():
        raise ImproperlyConfigured("MUX_SIGNING_KEY_ID and MUX_SIGNING_PRIVATE_KEY are needed for signed playback.")
    ttl = ttl_seconds or settings.MUX_PLAYBACK_TOKEN_TTL_SECONDS
    now = int(time.time())
    cache_key = (playback_id, settings.MUX_SIGNING_KEY_ID, settings.MUX_SIGNING_PRIVATE_KEY, ttl)
    held = _minted.get(cache_key)
    if held is not None and 0 <= now - (held.expires_at - ttl) < TOKEN_REUSE_SECONDS:
        return held
    key = _signing_key(settings.MUX_SIGNING_PRIVATE_KEY)
    expires_at = now + ttl
    headers = {"kid": settings.MUX_SIGNING_KEY_ID}

    def sign(aud: str) -> str:
        claims = {"sub": playback_id, "aud": aud, "exp": expires_at, "kid": settings.MUX_SIGNING_KEY_ID}
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)

    tokens = PlaybackTokens(
        playback=sign(AUDIENCES["playback"]),
        thumbnail=sign(AUDIENCES["thumbnail"]),
        storyboard=sign(AUDIENCES["storyboard"]),
        expires_at=expires_at,
    )
    if len(_minted) >= _MINTED_MAX:
        _minted.clear()
    _minted[cache_key] = tokens
    return tokens


# --- Mux API: direct uploads ------------------------------------------------------------------

# Seconds Mux keeps an unused direct-upload URL open (Mux's default and its maximum is 7 days).
DIRECT_UPLOAD_TIMEOUT_SECONDS = 3600
# (connect, read) seconds for every Mux API call: an admin page must never hang on Mux.
API_TIMEOUT = (5.0, 30.0)


class MuxError(Exception):
    """A Mux API call failed; the message is fit to show an admin."""


@dataclass(frozen=True)
class DirectUpload:
    id: str
    url: str
    playback_policy: str
    passthrough: str


def api_configured() -> bool:
    return bool(settings.MUX_TOKEN_ID and settings.MUX_TOKEN_SECRET)


def _api_client() -> Any:
    if not api_configured():
        raise MuxError("Mux is not configured: set MUX_TOKEN_ID and MUX_TOKEN_SECRET.")
    configuration = mux_python.Configuration()
    configuration.username = settings.MUX_TOKEN_ID
    configuration.password = settings.MUX_TOKEN_SECRET
    # Retries only help with connection errors; urllib3 never re-sends a POST whose request went out.
    configuration.retries = 2
    # A local fake (tests, offline development) can stand in for api.mux.com, like STRIPE_API_BASE.
    api_base = getattr(settings, "MUX_API_BASE", "")
    if api_base:
        configuration.host = api_base.rstrip("/")
    return mux_python.ApiClient(configuration)


def _error_message(exc: Exception) -> str:
    """Mux answers errors as {"error": {"type": ..., "messages": [...]}}; show those messages."""
    if isinstance(exc, ApiException):
        body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
        messages: list[str] = []
        if body:
            try:
                error = json.loads(body).get("error", {})
                messages = [str(message) for message in error.get("messages", [])] or [str(error.get("type", ""))]
            except (ValueError, AttributeError):
                messages = []
        detail = "; ".join(m for m in messages if m) or (exc.reason or "no details")
        if exc.status in (401, 403):
            return f"Mux refused the API credentials ({exc.status}): {detail}"
        return f"Mux API error ({exc.status}): {detail}"
    return f"Could not reach Mux: {exc.__class__.__name__}"


def direct_upload_create(*, passthrough: str, playback_policy: str, cors_origin: str) -> DirectUpload:
    """Create a Mux direct upload: an authenticated URL the admin's browser PUTs the video file to.

    `new_asset_settings` carry the playback policy ("signed", or "public" for free lessons) and the
    `passthrough` (the lesson id) that Mux copies onto the asset and echoes back in every webhook.
    Raises MuxError with an admin-readable message when Mux refuses or cannot be reached.
    """
    request = mux_python.CreateUploadRequest(
        timeout=DIRECT_UPLOAD_TIMEOUT_SECONDS,
        cors_origin=cors_origin,
        new_asset_settings=mux_python.CreateAssetRequest(
            playback_policy=[playback_policy],
            passthrough=passthrough,
            video_quality="basic",
        ),
    )
    try:
        with _api_client() as client:
            response = mux_python.DirectUploadsApi(client).create_direct_upload(request, _request_timeout=API_TIMEOUT)
    except (ApiException, urllib3.exceptions.HTTPError) as exc:
        logger.warning(
            "Mux direct upload failed for passthrough=%s: %s", passthrough, exc.__class__.__name__, exc_info=True
        )
        raise MuxError(_error_message(exc)) from exc
    upload = response.data
    logger.info("Mux direct upload %s created for passthrough=%s", upload.id, passthrough)
    return DirectUpload(id=upload.id, url=upload.url, playback_policy=playback_policy, passthrough=passthrough)


# --- Webhook signatures -----------------------------------------------------------------------


class WebhookSignatureError(Exception):
    """The mux-signature header is missing, malformed, stale or does not match the body."""


def webhook_signature_verify(*, body: bytes, header: str | None, secret: str, tolerance_seconds: int) -> None:
    """Verify Mux's `mux-signature` header: `t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`.

    mux-python cannot do this (only Mux's Node and Ruby SDKs can), so it is done here, as Mux documents it:
    any v1 signature may match (Mux sends several while a secret rotates), compared in constant time, and
    the timestamp must lie within `tolerance_seconds` of now (replayed old deliveries are refused).
    Raises WebhookSignatureError; returns nothing when the delivery is genuine.
    """
    if not secret:
        raise WebhookSignatureError("MUX_WEBHOOK_SECRET is not configured.")
    if not header:
        raise WebhookSignatureError("Missing mux-signature header.")
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit() or not signatures:
        raise WebhookSignatureError("Malformed mux-signature header.")
    signed_payload = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed_payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise WebhookSignatureError("Signature does not match.")
    if abs(time.time() - int(timestamp)) > tolerance_seconds:
        raise WebhookSignatureError("Signature timestamp is outside the tolerance.")
