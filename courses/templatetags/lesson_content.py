from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from courses.content import lesson_body_html
from courses.selectors import lesson_for_next_url

register = template.Library()


@register.filter
def tiptap_html(content: Any) -> SafeString:
    """`{{ lesson.content|tiptap_html }}`: the lesson's TipTap JSON as sanitised HTML."""
    return lesson_body_html(content)


@register.filter
def duration(seconds: Any) -> str:
    """600 -> "10:00", 3725 -> "1:02:05"; empty for no duration."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    if total < 0:
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def duration_words(seconds: Any) -> str:
    """3725 -> "1 h 2 min", 540 -> "9 min"; for totals ("2 h 14 min of video")."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    minutes = round(total / 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(minutes, 1)} min" if total > 0 else ""


@register.filter
def file_ext(file_name: Any) -> str:
    """ "worksheet.md" -> "md" (for the file badge); "file" for names without one."""
    name = str(file_name or "")
    stem, dot, ext = name.rpartition(".")
    return ext[:4].lower() if dot and stem and ext else "file"


@register.filter
def duration_short(seconds: Any) -> str:
    """10140 -> "2h 49m", 540 -> "9m"; for tight spaces."""
    words = duration_words(seconds)
    return words.replace(" h", "h").replace(" min", "m")


@register.simple_tag
def lesson_from_next(next_url: Any) -> Any:
    """`{% lesson_from_next redirect_field_value as next_lesson %}`: the lesson a sign-in will lead to, if any."""
    return lesson_for_next_url(str(next_url or ""))
