"""Writes to notes. Callers have run `lesson_access(user, lesson)` and got WATCH; only the owner
changes a note."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from config.text import TextInvalid, text_clean
from notes.models import BODY_MAX_LENGTH, Note

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Lesson


class NoteInvalid(TextInvalid):
    pass


def note_position_clean(*, lesson: Lesson, position: object) -> int | None:
    """Whole seconds within [0, video_duration], or None for no timestamp. Raises NoteInvalid with a
    sentence for anything else (negative, past the end, not a number) — nothing is clamped silently."""
    if position in (None, ""):
        return None
    try:
        seconds = float(position)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NoteInvalid("The timestamp must be a number of seconds.") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise NoteInvalid("The timestamp must be a number of seconds.")
    if seconds < 0:
        raise NoteInvalid("The timestamp can't be negative.")
    if lesson.video_duration is not None and seconds > lesson.video_duration:
        raise NoteInvalid(f"The timestamp is past the end of the video ({lesson.video_duration} seconds).")
    if seconds > 2**31 - 1:
        raise NoteInvalid("The timestamp is too large.")
    return int(seconds)


def _body(body: object) -> str:
    try:
        return text_clean(body, max_length=BODY_MAX_LENGTH, what="Your note")
    except TextInvalid as exc:
        raise NoteInvalid(str(exc)) from None


# A double-click or a replayed post of the same note within this window is the same note.
REPEAT_WINDOW = timedelta(minutes=2)


def note_create(*, user: User, lesson: Lesson, body: object, position: object = None) -> Note:
    """A new note; the same text at the same moment again within two minutes returns the first one."""
    text = _body(body)
    seconds = note_position_clean(lesson=lesson, position=position)
    repeat = Note.objects.filter(
        user=user,
        lesson=lesson,
        body=text,
        position_seconds=seconds,
        created_at__gte=timezone.now() - REPEAT_WINDOW,
    ).first()
    if repeat is not None:
        return repeat
    return Note.objects.create(user=user, lesson=lesson, body=text, position_seconds=seconds)


def note_update(*, user: User, note: Note, body: object) -> Note:
    if note.user_id != user.pk:
        raise PermissionDenied("This is not your note.")
    note.body = _body(body)
    note.save(update_fields=["body", "updated_at"])
    return note


def note_delete(*, user: User, note: Note) -> None:
    if note.user_id != user.pk:
        raise PermissionDenied("This is not your note.")
    note.delete()
