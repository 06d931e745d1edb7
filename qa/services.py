"""Writes to lesson Q&A: asking, answering, editing, deleting, marking answered, moderating.

Callers (views) have already run `courses.selectors.lesson_access(user, lesson)` and got WATCH;
these functions enforce who may change which post, and what a post may contain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.text import TextInvalid, text_clean
from emails.triggers import qa_reply_email_queue
from qa.markdown import markdown_render
from qa.models import BODY_MAX_LENGTH, Post

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Lesson

EDIT_WINDOW = timedelta(minutes=15)
# A double-click or a replayed form post with the same text within this window is the same post.
REPEAT_WINDOW = timedelta(minutes=2)


class PostInvalid(TextInvalid):
    pass


def _body(body: object, what: str) -> tuple[str, str]:
    try:
        text = text_clean(body, max_length=BODY_MAX_LENGTH, what=what)
    except TextInvalid as exc:
        raise PostInvalid(str(exc)) from None
    html = markdown_render(text)
    if not html:
        raise PostInvalid(f"{what} has nothing left to show once formatting is removed.")
    return text, html


def question_ask(*, user: User, lesson: Lesson, body: object) -> Post:
    """A new question under `lesson` by `user`. The same text again within two minutes (a double
    submit, a replayed post) returns the first one instead of a duplicate."""
    text, html = _body(body, "Your question")
    repeat = _recent_repeat(user=user, lesson_id=lesson.pk, question_id=None, text=text)
    if repeat is not None:
        return repeat
    return Post.objects.create(lesson=lesson, author=user, body=text, body_html=html, by_staff=user.is_staff)


def _recent_repeat(*, user: User, lesson_id: str, question_id: str | None, text: str) -> Post | None:
    return Post.objects.filter(
        author=user,
        lesson_id=lesson_id,
        question_id=question_id,
        body=text,
        created_at__gte=timezone.now() - REPEAT_WINDOW,
    ).first()


def answer_post(*, user: User, question: Post, body: object) -> Post:
    """A new answer to `question`. The asker is emailed (QA_REPLY, at most one per question per hour)
    unless they answered themselves. Raises PostInvalid for a hidden question or one that is an answer."""
    if not question.is_question or question.is_hidden:
        raise PostInvalid("This question can't be answered.")
    text, html = _body(body, "Your answer")
    with transaction.atomic():
        # FOR UPDATE: two answers at once must agree on the one pending email for this question.
        Post.objects.select_for_update().filter(pk=question.pk).values_list("pk", flat=True).first()
        repeat = _recent_repeat(user=user, lesson_id=question.lesson_id, question_id=question.pk, text=text)
        if repeat is not None:
            return repeat  # the same answer posted twice: no second post, no second email
        answer = Post.objects.create(
            lesson_id=question.lesson_id,
            author=user,
            question=question,
            body=text,
            body_html=html,
            by_staff=user.is_staff,
        )
        if question.author_id != user.pk:
            qa_reply_email_queue(question=question, answered_at=answer.created_at)
    return answer


def post_can_edit(*, user: User, post: Post) -> bool:
    return post.author_id == user.pk and timezone.now() - post.created_at <= EDIT_WINDOW


def post_edit(*, user: User, post: Post, body: object) -> Post:
    """The author rewrites their post, within 15 minutes of posting."""
    if post.author_id != user.pk:
        raise PermissionDenied("Only the author can edit a post.")
    if not post_can_edit(user=user, post=post):
        raise PostInvalid("Posts can be edited for 15 minutes after posting; this one can no longer be changed.")
    text, html = _body(body, "Your post")
    post.body, post.body_html, post.edited_at = text, html, timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    return post


def post_delete(*, user: User, post: Post) -> None:
    """The author deletes their post (a question takes its answers with it)."""
    if post.author_id != user.pk:
        raise PermissionDenied("Only the author can delete a post.")
    post.delete()


def question_answered_set(*, user: User, question: Post, answered: bool) -> Post:
    """The asker or staff marks `question` answered (or open again). Idempotent."""
    if not question.is_question:
        raise PostInvalid("Only a question can be marked answered.")
    if question.author_id != user.pk and not user.is_staff:
        raise PermissionDenied("Only the asker or the course team can mark a question answered.")
    if question.is_answered != answered:
        question.is_answered = answered
        question.save(update_fields=["is_answered"])
    return question


def posts_moderate(*, post_ids: Iterable[str], hidden: bool | None = None, pinned: bool | None = None) -> list[Post]:
    """Admin moderation: hide/show, pin/unpin. Returns the posts that changed (for the audit log)."""
    changed = []
    with transaction.atomic():
        for post in Post.objects.select_for_update().filter(pk__in=list(post_ids)):
            fields = []
            if hidden is not None and post.is_hidden != hidden:
                post.is_hidden = hidden
                fields.append("is_hidden")
            if pinned is not None and post.is_pinned != pinned:
                post.is_pinned = pinned
                fields.append("is_pinned")
            if fields:
                post.save(update_fields=fields)
                changed.append(post)
    return changed
