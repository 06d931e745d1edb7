"""The lesson page's Q&A thread and the admin index's open-questions count, loaded from templates so
the lesson view (owned by courses) needs only a one-line include."""

from __future__ import annotations

from typing import Any

from django import template

from courses.selectors import LessonAccess, lesson_access
from qa.selectors import ThreadQuestion, lesson_thread, open_questions_count
from qa.services import post_can_edit

register = template.Library()


@register.simple_tag(takes_context=True)
def lesson_qa_thread(context: dict[str, Any], lesson: Any) -> list[ThreadQuestion] | None:
    """The thread, or None (no section at all) unless the viewer may WATCH the lesson. One query."""
    user = context["request"].user
    if lesson_access(user, lesson) is not LessonAccess.WATCH:
        return None
    thread = lesson_thread(lesson=lesson)
    for item in thread:
        for post in [item.question, *item.answers]:
            post.can_edit = post_can_edit(user=user, post=post)  # type: ignore[attr-defined]
            post.is_own = post.author_id == user.pk  # type: ignore[attr-defined]
    return thread


@register.simple_tag
def qa_open_questions_count() -> int:
    return open_questions_count()
