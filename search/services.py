"""Keeping the search index current. Course content writes call `lessons_index` in their own transaction
(lesson and module saves in the admin, transcript imports, the demo loader), so a search right after a save
finds what was saved; `manage.py search_reindex` rebuilds everything."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Value

from courses.content import lesson_body_text
from courses.models import Lesson
from courses.selectors import all_lesson_ids, lessons_for_index, module_lesson_ids
from search.models import CONFIG, LessonDocument, TranscriptCueEntry

# One text-search configuration for documents and queries alike (the course is in English).


def _vector(text: str, weight: str) -> SearchVector:
    return SearchVector(Value(text), weight=weight, config=CONFIG)


def _lesson_index(lesson: Lesson) -> None:
    body = lesson_body_text(lesson.content)
    transcripts = list(lesson.transcripts.all())
    LessonDocument.objects.update_or_create(lesson=lesson, defaults={"body_text": body})
    TranscriptCueEntry.objects.filter(lesson=lesson).delete()
    TranscriptCueEntry.objects.bulk_create(
        [
            TranscriptCueEntry(lesson=lesson, language=transcript.language, start=float(cue["start"]), text=cue["text"])
            for transcript in transcripts
            for cue in transcript.cues
            if cue.get("text")
        ],
        batch_size=2000,
    )
    if connection.vendor != "postgresql":
        return  # SQLite: search falls back to a substring match on body_text and the cue rows
    title = _vector(lesson.title, "A") + _vector(lesson.module.title, "B")
    transcript_text = "\n".join(cue["text"] for transcript in transcripts for cue in transcript.cues)
    LessonDocument.objects.filter(pk=lesson.pk).update(
        title_vector=title,
        content_vector=title + _vector(body, "C"),
        transcript_vector=_vector(transcript_text, "D"),
    )
    TranscriptCueEntry.objects.filter(lesson=lesson).update(vector=SearchVector("text", config=CONFIG))


@transaction.atomic
def lessons_index(*, lesson_ids: Iterable[str]) -> int:
    """Rebuild the index rows of these lessons from their current content. Idempotent. Returns the count."""
    lessons = lessons_for_index(list(lesson_ids))
    for lesson in lessons:
        _lesson_index(lesson)
    return len(lessons)


def module_index(*, module_id: str) -> int:
    """After a module's title changed: its lessons are matched on it."""
    return lessons_index(lesson_ids=module_lesson_ids(module_id))


def index_rebuild() -> int:
    """Every lesson, from scratch (rows of deleted lessons go with them: the foreign keys cascade)."""
    ids = all_lesson_ids()
    for start in range(0, len(ids), 100):
        lessons_index(lesson_ids=ids[start : start + 100])
    return len(ids)
