"""The lesson page's notes panel, loaded from its include template (one query)."""

from __future__ import annotations

from typing import Any

from django import template

from courses.selectors import LessonAccess, lesson_access
from notes.exports import timestamp
from notes.models import Note
from notes.selectors import lesson_notes

register = template.Library()


@register.simple_tag(takes_context=True)
def lesson_notes_for(context: dict[str, Any], lesson: Any) -> list[Note] | None:
    """The viewer's notes on `lesson`, or None when they may not WATCH it (no panel at all)."""
    user = context["request"].user
    if lesson_access(user, lesson) is not LessonAccess.WATCH:
        return None
    return lesson_notes(user=user, lesson=lesson)


register.filter("timestamp", timestamp)
