"""Reads of a learner's notes. Every read is scoped to the owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Window

from notes.models import Note

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Lesson

SEARCH_MAX_LENGTH = 200


def lesson_notes(*, user: User, lesson: Lesson) -> list[Note]:
    """`user`'s notes on `lesson`, in video order (untimed ones last). One query."""
    return sorted(
        Note.objects.filter(user=user, lesson=lesson),
        key=lambda n: (n.position_seconds is None, n.position_seconds or 0, n.created_at),
    )


def note_get(*, user: User, note_id: str) -> Note | None:
    """`user`'s note with its lesson and module; None for an unknown id or someone else's note."""
    return Note.objects.select_related("lesson__module").filter(pk=note_id, user=user).first()


def user_notes(*, user: User, search: str = "") -> QuerySet[Note]:
    """All of `user`'s notes in course order (module, lesson, timestamp), optionally matching `search`
    in the note or its lesson's title. One query."""
    notes = Note.objects.filter(user=user).select_related("lesson__module")
    if search:
        notes = notes.filter(Q(body__icontains=search) | Q(lesson__title__icontains=search))
    return notes.order_by("lesson__module__order", "lesson__order", "lesson_id", "position_seconds", "created_at")


@dataclass
class LessonNotes:
    lesson: Lesson
    notes: list[Note] = field(default_factory=list)


@dataclass
class ModuleNotes:
    title: str
    lessons: list[LessonNotes] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(group.notes) for group in self.lessons)


def notes_by_module(notes: QuerySet[Note] | list[Note]) -> list[ModuleNotes]:
    """Group notes (already in course order) by module, then lesson."""
    modules: list[ModuleNotes] = []
    module_ids: list[str] = []
    for note in notes:
        module = note.lesson.module
        if not module_ids or module_ids[-1] != module.pk:
            modules.append(ModuleNotes(title=module.title))
            module_ids.append(module.pk)
        current = modules[-1]
        if not current.lessons or current.lessons[-1].lesson.pk != note.lesson_id:
            current.lessons.append(LessonNotes(lesson=note.lesson))
        current.lessons[-1].notes.append(note)
    return modules


def recent_notes(*, user: User, limit: int = 3) -> tuple[list[Note], int]:
    """The dashboard's "Your notes": the latest few with their lessons, and how many there are in all.
    One query (the total is a window count, computed before the LIMIT)."""
    rows: list[Any] = list(
        Note.objects.filter(user=user)
        .select_related("lesson")
        .annotate(total=Window(Count("pk")))
        .order_by("-created_at")[:limit]
    )
    return rows, (int(rows[0].total) if rows else 0)
