"""The signed-in user of a request, read from the cache with the database behind it.

Every signed-in request needs its user row (and most pages the learner's own subscription, which
`has_access` and the dunning banner read): one query each, about a millisecond of CPU apiece between
the web process and PostgreSQL. Here the user — loaded with its subscription, as one row — is kept in
the shared cache (Redis) per user, so a signed-in request costs one cache round trip beyond its session.

Correctness is the point, not speed: a password change, a deactivation, a role or access change, or a
subscription change must take effect on the very next request, in every process. Each user has a
*generation* key beside the cached copy; one `MGET` reads both, and the copy is used only while it was
stored under the current generation. Any write to the user's row or to their subscription replaces the
generation (`users_changed`: model signals for saves and deletes, the querysets of `accounts.models.User`
and `billing.models.Subscription` for `update()`, `bulk_update()`, `bulk_create()` and `delete()`), now
and again once the transaction commits — so a request that read the old row meanwhile stored it under a
generation already replaced. Django's session check then runs on the fresh row as it always did: a new
password hash no longer matches the session's, and the session ends.

The generation is also the learner's *data* generation: their progress, notes, certificate, e-mail
addresses, connected accounts, sessions and team seat replace it too (`accounts.receivers`), so the pages
kept rendered for them (`config.page_cache`) can carry it in their stamp (`user_generation`). A
progress write every ~10 s while a video plays costs the next request one user query.

Fails open: when the cache cannot be read every request reads the database (as before). A generation
bump lost while the cache is down leaves the copy stored before the outage usable for at most
`USER_CACHE_SECONDS` once it is back.

Read through `config.middleware.CachedAuthenticationMiddleware` (in place of Django's). This module
imports no models: the models' querysets call `users_changed`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction

from config.ids import new_id

logger = logging.getLogger(__name__)

# How long a cached copy may serve at most (it is replaced on any change long before that); short, so a
# change whose generation bump was lost during a cache outage is picked up soon after the cache is back.
USER_CACHE_SECONDS = 120
# A generation outlives the copies stored under it.
GENERATION_SECONDS = 24 * 3600
# Loaded with the user: the learner's own subscription (a reverse one-to-one; None is cached too).
RELATED = ("subscription",)
# Where a cached copy of a user keeps its session hash instead of the password hash (the user model's
# `get_session_auth_hash` reads it).
CACHED_SESSION_HASH = "_cached_session_auth_hash"
# ...and whether its password is usable (the account page asks, to offer "change" or "set" a password).
CACHED_PASSWORD_USABLE = "_cached_password_usable"
# On the user a request reads: the generation it was read under (`user_generation`), absent when it came
# from the database because the cache could not be read.
READ_GENERATION = "_cached_generation"


def _keys(user_id: Any) -> tuple[str, str]:
    return f"auth:user-generation:{user_id}", f"auth:user:{user_id}"


def _generation_bump(user_ids: list[str]) -> None:
    try:
        cache.set_many({_keys(pk)[0]: new_id() for pk in user_ids}, timeout=GENERATION_SECONDS)
    except Exception:
        logger.exception("could not replace the cached users' generation; copies expire within %ss", USER_CACHE_SECONDS)


def users_changed(user_ids: Iterable[Any]) -> None:
    """These users' rows (or their subscriptions) changed: their next request reads the database.

    Bumped now (this transaction's own later reads) and again when the transaction commits.
    """
    ids = sorted({str(pk) for pk in user_ids if pk is not None})
    if not ids:
        return
    _generation_bump(ids)
    transaction.on_commit(lambda: _generation_bump(ids))


def _load(user_id: Any) -> Any:
    model = get_user_model()
    try:
        return model._default_manager.select_related(*RELATED).get(pk=user_id)
    except model.DoesNotExist:
        return None


def _without_password(user: Any) -> Any:
    """The copy that goes into the cache: the user without its password hash (a password hash has no
    business in Redis), carrying the session hash Django's session check needs instead. On the copy read
    back, `password` is a deferred field: loaded from the database only if something reads it."""
    stored = copy.copy(user)
    stored.__dict__[CACHED_SESSION_HASH] = user.get_session_auth_hash()
    stored.__dict__[CACHED_PASSWORD_USABLE] = user.has_usable_password()
    stored.__dict__.pop("password", None)
    return stored


def user_cached_get(user_id: Any) -> Any:
    """The user row with `id` = `user_id` (and its subscription), or None if there is none."""
    generation_key, user_key = _keys(user_id)
    try:
        found = cache.get_many([generation_key, user_key])  # one round trip
        generation, held = found.get(generation_key), found.get(user_key)
        if generation is not None and isinstance(held, tuple) and len(held) == 2 and held[0] == generation:
            held[1].__dict__[READ_GENERATION] = generation
            return held[1]
        if generation is None:
            # First use (or expired): create it before reading the row, so a concurrent change replaces it.
            fresh = new_id()
            added = cache.add(generation_key, fresh, timeout=GENERATION_SECONDS)
            generation = fresh if added else cache.get(generation_key)
    except Exception:  # any cache backend failing: the database answers, as before
        logger.warning("user cache unavailable; reading the user from the database", exc_info=True)
        return _load(user_id)
    user = _load(user_id)
    if user is not None and generation is not None:
        try:
            cache.set(user_key, (generation, _without_password(user)), timeout=USER_CACHE_SECONDS)
        except Exception:  # a copy not stored is only a slower next request
            logger.warning("could not cache user %s", user_id, exc_info=True)
        user.__dict__[READ_GENERATION] = generation
    return user


def user_generation(user: Any) -> str | None:
    """The generation `user` was read under: it changes with any change to the learner's own data (see
    `users_changed`), so it can stamp copies of what their pages show (`config.page_cache`). None when the
    user was not read through this cache."""
    return getattr(user, READ_GENERATION, None)
