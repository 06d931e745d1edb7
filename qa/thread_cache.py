"""The lesson pages' Q&A threads, cached in the shared cache (Redis) under one *generation*.

A thread is the same for every learner (who may edit or delete a post is decided per request, from the
post's author and age), so each lesson's is read from the database once per generation. Any write to a
post — asked, answered, edited, deleted, marked answered, hidden or pinned in the admin, through
`save()`, `delete()` or a queryset write (`qa.models.PostQuerySet`) — and any saved user (a changed
name shows beside their posts) replaces the generation, now and again when the transaction commits, so
the next lesson page reads the thread again: changes show at once. Fails open: without the cache every
page reads the database, as before.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from config.ids import new_id

logger = logging.getLogger(__name__)

GENERATION_KEY = "qa:threads-generation"
THREAD_CACHE_SECONDS = 600


def _bump() -> None:
    try:
        cache.set(GENERATION_KEY, new_id(), timeout=None)
    except Exception:
        logger.exception(
            "could not replace the Q&A threads' generation; cached threads expire within %ss", THREAD_CACHE_SECONDS
        )


def threads_changed() -> None:
    """A post (or a name shown beside one) changed: every lesson page reads its thread again."""
    _bump()
    transaction.on_commit(_bump)


def thread_key(lesson_id: str, limit: int) -> str:
    return f"qa:thread:{lesson_id}:{limit}"
