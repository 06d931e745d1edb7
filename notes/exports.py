"""A learner's notes as one Markdown document ("Export as Markdown" on /notes/)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from notes.models import Note
from notes.selectors import notes_by_module


def timestamp(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _quote(text: str) -> str:
    # Keep the learner's own Markdown, indented under its list item so it stays with its timestamp.
    return "\n  ".join(text.splitlines())


def notes_markdown(*, notes: Iterable[Note], title: str) -> str:
    lines = [f"# {title}", "", f"Exported {timezone.now():%Y-%m-%d %H:%M} UTC.", ""]
    for module in notes_by_module(list(notes)):
        lines += [f"## {module.title}", ""]
        for group in module.lessons:
            url = f"{settings.SITE_URL}/lessons/{group.lesson.pk}/"
            lines += [f"### [{group.lesson.title}]({url})", ""]
            for note in group.notes:
                at = timestamp(note.position_seconds)
                lines.append(f"- **{at}** {_quote(note.body)}" if at else f"- {_quote(note.body)}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
