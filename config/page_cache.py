"""Learner pages kept rendered in the cache, for as long as nothing they show has changed.

The dashboard, the account page, the outline and a lesson page are the learner's own: their numbers,
notes, questions, addresses and seat. Rendering one costs several times a trivial signed-in request
(the template engine and the learner's queries), though between two visits almost nothing changes.
Here a page's HTML is kept in the shared cache (Redis), per learner and address, with the *stamp* it
was rendered under, and served again only while the stamp is still the same:

- the learner's generation (`config.user_cache`): replaced by any write to the learner's row, their
  subscription, progress, notes, certificate, e-mail addresses, connected accounts, sessions and team
  seat (model signals and those models' querysets, now and again on commit);
- what the view adds: the course content version, whether the learner has access, the Q&A threads'
  generation (other people's posts show on the lesson page and the dashboard);
- the minute: nothing older than the current clock minute is served (relative times such as "3 minutes
  ago", and the lesson page's signed playback tokens, reused for at most a minute, stay fresh);
- the release: the project's code and templates and the settings (prices, site address, ...), so a
  deploy or a settings change never serves a page the previous one rendered.

Never kept: staff (who see drafts), a request with flash messages waiting (they show once), a learner
whose user was read from the database because the cache is down (fails open: every page renders), an
address with a long query string. These pages carry no CSP nonce (a kept copy would carry a stale one).
Form tokens are per browser, not per learner: the page is rendered with a slot for the CSRF token, and
each response gets its own request's token in the slot.

Anonymous visitors share one copy per address (the landing page), under the same kind of stamp.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from config.user_cache import user_generation

logger = logging.getLogger(__name__)

# Where the request's CSRF token goes; NUL never occurs in content (PostgreSQL refuses it in text), so no
# title, note or question can forge the slot.
CSRF_SLOT = SafeString("\x00csrf\x00")
# A kept page outlives its minute only by the time it takes to notice the minute moved on.
PAGE_SECONDS = 60
# Addresses with a longer query string are rendered, not kept: every distinct address is a copy of its own.
QUERY_MAX = 200


def _stamp_minute() -> int:
    return int(time.time() // 60)


# What the release is made of: the project's own sources (not the virtualenv, front-end packages, media).
RELEASE_SUFFIXES = frozenset({".py", ".html", ".txt", ".json"})
RELEASE_SKIPPED = frozenset({".venv", "node_modules", ".git", "media", "staticfiles", ".run", "tests", "bench"})
# Settings left out of the digest: secrets (a digest of a secret has no business in the cache either).
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "PRIVATE", "KEY")
MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_release: str | None = None


def release_digest() -> str:
    """One value per deployed release and configuration, the same in every process and on every host running
    it: each source file's path and contents, and the (non-secret) settings. Computed once per process (about
    500 files, 1.3 MB: tens of milliseconds) — by config/wsgi.py while the app loads, so in gunicorn's master — and
    again when a setting changes (tests)."""
    global _release
    if _release is None:
        digest = hashlib.blake2b(digest_size=12)
        root = Path(settings.BASE_DIR)
        for top in sorted(root.iterdir()):
            if not top.is_dir() or top.name in RELEASE_SKIPPED or top.name.startswith("."):
                continue
            for path in sorted(top.rglob("*")):
                if path.suffix in RELEASE_SUFFIXES and not RELEASE_SKIPPED.intersection(path.parts):
                    digest.update(f"{path.relative_to(root)}\n".encode())
                    digest.update(path.read_bytes())
        for name in sorted(dir(settings)):
            if name.isupper() and not any(word in name for word in SECRET_WORDS):
                value = repr(getattr(settings, name, None))
                if not MEMORY_ADDRESS.search(value):  # objects shown by address differ from process to process
                    digest.update(f"{name}={value}\n".encode())
        _release = digest.hexdigest()
    return _release


@receiver(setting_changed, dispatch_uid="config.page_cache.setting_changed")
def _release_forget(**kwargs: Any) -> None:
    global _release
    _release = None


def page_key(audience: str, name: str, full_path: str) -> str:
    digest = hashlib.blake2b(full_path.encode(), digest_size=12).hexdigest()
    return f"page:{audience}:{name}:{digest}"


def _audience(request: HttpRequest) -> tuple[str, str] | None:
    """Whose copy this request may use and the generation it must carry: (the learner's id, their
    generation), ("anon", "") for every visitor, or None (render, keep nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anon", ""
    if user.is_staff:
        return None
    generation = user_generation(user)
    return (str(user.pk), generation) if generation else None


def _messages_waiting(request: HttpRequest) -> bool:
    # `len` loads the stored messages without marking them seen; the page that shows them renders them.
    return bool(len(get_messages(request)))


def _fill(html: str, request: HttpRequest) -> HttpResponse:
    return HttpResponse(html.replace(CSRF_SLOT, get_token(request)) if CSRF_SLOT in html else html)


def page_render_cached(
    request: HttpRequest,
    name: str,
    template: str,
    context: Callable[[], dict[str, Any]],
    *,
    stamp: Iterable[Any] | None = (),
    stamp_keys: Iterable[str] = (),
) -> HttpResponse:
    """`render(request, template, context())`, from the cache while the page's stamp holds.

    `context` is called only when the page is rendered. `stamp`: values the page depends on beyond the
    learner and the minute (e.g. the content version, access), or None to render without keeping (e.g.
    content read while its version could not be); `stamp_keys`: cache keys whose values are part of the
    stamp (read in the same round trip as the page)."""
    audience = _audience(request)
    long_query = len(request.META.get("QUERY_STRING", "")) > QUERY_MAX
    if stamp is None or audience is None or long_query or _messages_waiting(request):
        return _fill(render_to_string(template, {**context(), "csrf_token": CSRF_SLOT}, request), request)
    owner, generation = audience
    key = page_key(owner, name, request.get_full_path())
    keys = list(stamp_keys)
    full_stamp: tuple[Any, ...] | None
    try:
        found = cache.get_many([key, *keys])
    except Exception:  # the cache is down: render, keep nothing
        logger.warning("page cache unavailable; rendering %s", name, exc_info=True)
        found, full_stamp = {}, None
    else:
        full_stamp = (generation, _stamp_minute(), release_digest(), *stamp, *(found.get(k) for k in keys))
        held = found.get(key)
        if isinstance(held, tuple) and len(held) == 2 and held[0] == full_stamp:
            return _fill(held[1], request)
    html = render_to_string(template, {**context(), "csrf_token": CSRF_SLOT}, request)
    if full_stamp is not None:
        try:
            cache.set(key, (full_stamp, html), timeout=PAGE_SECONDS)
        except Exception:  # a page not kept is only a slower next visit
            logger.warning("could not keep page %s", name, exc_info=True)
    return _fill(html, request)
