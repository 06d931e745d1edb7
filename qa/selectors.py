"""Reads of lesson Q&A. Nothing here decides access: callers pass a lesson the user may WATCH."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from config.ids import new_id
from qa.models import Post
from qa.thread_cache import GENERATION_KEY, THREAD_CACHE_SECONDS, thread_key

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Lesson

logger = logging.getLogger(__name__)

THREAD_QUESTIONS = 50  # a lesson page shows the pinned questions and the 50 most recent


@dataclass
class ThreadQuestion:
    question: Post
    answers: list[Post] = field(default_factory=list)


# What the thread shows of an author: their name (and id, for "your post"), nothing else is cached.
_POST_FIELDS = [f.name for f in Post._meta.concrete_fields] + ["author__id", "author__name"]


def lesson_thread(*, lesson: Lesson, limit: int = THREAD_QUESTIONS) -> list[ThreadQuestion]:
    """The visible questions of `lesson` (pinned first, then newest) with their visible answers (oldest
    first). One cache round trip while the thread is cached (qa/thread_cache.py), else one query, however
    long the thread: the chosen questions are a subquery. Fresh objects on every call: callers may mark
    them per viewer."""
    key = thread_key(lesson.pk, limit)
    try:
        found = cache.get_many([GENERATION_KEY, key])
        generation, held = found.get(GENERATION_KEY), found.get(key)
        if generation is not None and isinstance(held, tuple) and len(held) == 2 and held[0] == generation:
            return held[1]
        if generation is None:
            fresh = new_id()
            generation = fresh if cache.add(GENERATION_KEY, fresh, timeout=None) else cache.get(GENERATION_KEY)
    except Exception:  # noqa: BLE001 - the cache is a speed-up only: the database answers
        return _thread_read(lesson=lesson, limit=limit)
    thread = _thread_read(lesson=lesson, limit=limit)
    if generation is not None:
        try:
            cache.set(key, (generation, thread), timeout=THREAD_CACHE_SECONDS)
        except Exception:
            logger.warning("could not cache the Q&A thread of lesson %s", lesson.pk, exc_info=True)
    return thread


def _thread_read(*, lesson: Lesson, limit: int) -> list[ThreadQuestion]:
    chosen = (
        Post.objects.filter(lesson=lesson, question__isnull=True, is_hidden=False)
        .order_by("-is_pinned", "-created_at")
        .values("pk")[:limit]
    )
    rows = (
        Post.objects.filter(Q(pk__in=chosen) | Q(question_id__in=chosen, is_hidden=False))
        .select_related("author")
        .only(*_POST_FIELDS)
        .order_by("created_at")
    )
    questions: dict[str, ThreadQuestion] = {}
    answers: list[Post] = []
    for post in rows:
        if post.question_id is None:
            questions[post.pk] = ThreadQuestion(question=post)
        else:
            answers.append(post)
    for answer in answers:
        questions[answer.question_id].answers.append(answer)  # type: ignore[index]
    return sorted(questions.values(), key=lambda t: (not t.question.is_pinned, -t.question.created_at.timestamp()))


def post_get(post_id: str) -> Post | None:
    """A post with its lesson and module (for `lesson_access`); None for an unknown id."""
    return Post.objects.select_related("lesson__module").filter(pk=post_id).first()


def open_questions_for(*, user: User, limit: int = 5) -> list[Post]:
    """`user`'s own questions not yet answered (newest first) with their lessons. One query."""
    return list(
        Post.objects.filter(author=user, question__isnull=True, is_answered=False, is_hidden=False)
        .select_related("lesson")
        .order_by("-created_at")[:limit]
    )


def open_questions_count() -> int:
    """Visible questions nobody has marked answered (the admin index)."""
    return Post.objects.filter(question__isnull=True, is_answered=False, is_hidden=False).count()


def user_posts(*, user: User) -> QuerySet[Post]:
    """Everything `user` posted, for "Download my data"."""
    return Post.objects.filter(author=user).select_related("lesson").order_by("created_at")


def qa_reply_email_context(*, question_id: str, since: datetime | None) -> dict[str, Any] | None:
    """What a QA_REPLY email shows: the question and the visible answers by others posted after `since`.
    None when the question is gone or hidden. Two queries."""
    question = (
        Post.objects.select_related("lesson__module", "author")
        .filter(pk=question_id, question__isnull=True, is_hidden=False)
        .first()
    )
    if question is None:
        return None
    answers = Post.objects.filter(question=question, is_hidden=False).exclude(author_id=question.author_id)
    if since is not None:
        answers = answers.filter(created_at__gt=since)
    return {"question": question, "answers": list(answers.select_related("author").order_by("created_at"))}
