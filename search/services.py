"""Keeping the search index current. Course content writes call `lessons_index` in their own transaction
(lesson and module saves in the admin, transcript imports, the demo loader), so a search right after a save
finds what was saved; `manage.py search_reindex` rebuilds everything.

On PostgreSQL the index is built set-wise, in three statements for any number of lessons: the cue rows are
unpacked from the transcripts' JSON and vectorised by PostgreSQL itself (a 10,000-word transcript never
round-trips through Python), then the lesson vectors. The same function serves one admin save and a rebuild
of the whole course, so a bulk build stores exactly what an import stores.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from courses.content import lesson_body_text
from courses.models import Lesson
from courses.selectors import all_lesson_ids, lessons_for_index, module_lesson_ids
from search.models import CONFIG, LessonDocument, TranscriptCueEntry

# Every cue with text, in transcript (language) then cue order. `cues` is the list `vtt_parse` produced.
_CUES_INSERT = """
INSERT INTO search_transcriptcueentry (lesson_id, language, start, text, vector)
SELECT t.lesson_id, t.language, (cue.value ->> 'start')::float8, cue.value ->> 'text',
       to_tsvector(%(config)s::regconfig, cue.value ->> 'text')
FROM courses_transcript t
CROSS JOIN LATERAL jsonb_array_elements(t.cues) WITH ORDINALITY AS cue(value, n)
WHERE t.lesson_id = ANY(%(ids)s) AND coalesce(cue.value ->> 'text', '') <> ''
ORDER BY t.lesson_id, t.language, cue.n
"""

# Title (A) and module title (B): all a learner without access is matched on; then the body (C); every
# transcript's cues joined (D). `||` shifts the right side's positions past the left's, so the order matters.
_DOCUMENTS_UPDATE = """
UPDATE search_lessondocument d
SET title_vector = v.title,
    content_vector = v.title || setweight(to_tsvector(%(config)s::regconfig, v.body), 'C'),
    transcript_vector = setweight(to_tsvector(%(config)s::regconfig, v.spoken), 'D')
FROM (
    SELECT l.id,
           setweight(to_tsvector(%(config)s::regconfig, l.title), 'A')
           || setweight(to_tsvector(%(config)s::regconfig, m.title), 'B') AS title,
           b.body,
           coalesce((
               SELECT string_agg(cue.value ->> 'text', E'\\n' ORDER BY t.language, cue.n)
               FROM courses_transcript t
               CROSS JOIN LATERAL jsonb_array_elements(t.cues) WITH ORDINALITY AS cue(value, n)
               WHERE t.lesson_id = l.id
           ), '') AS spoken
    FROM unnest(%(ids)s::varchar[], %(bodies)s::text[]) AS b(lesson_id, body)
    JOIN courses_lesson l ON l.id = b.lesson_id
    JOIN courses_module m ON m.id = l.module_id
) v
WHERE d.lesson_id = v.id
"""


def _documents_store(bodies: dict[str, str]) -> None:
    LessonDocument.objects.bulk_create(
        [LessonDocument(lesson_id=lesson_id, body_text=body) for lesson_id, body in bodies.items()],
        update_conflicts=True,
        unique_fields=["lesson"],
        update_fields=["body_text", "updated_at"],
    )


def _index_postgres(lesson_ids: list[str]) -> int:
    bodies = {
        pk: lesson_body_text(content)
        for pk, content in Lesson.objects.filter(pk__in=lesson_ids).values_list("pk", "content")
    }
    ids = list(bodies)
    _documents_store(bodies)
    TranscriptCueEntry.objects.filter(lesson_id__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(_CUES_INSERT, {"ids": ids, "config": CONFIG})
        cursor.execute(_DOCUMENTS_UPDATE, {"ids": ids, "bodies": [bodies[pk] for pk in ids], "config": CONFIG})
    return len(ids)


def _index_substring(lesson_ids: list[str]) -> int:
    """SQLite: no vectors; search falls back to a substring match on body_text and the cue rows."""
    lessons = lessons_for_index(lesson_ids)
    _documents_store({lesson.pk: lesson_body_text(lesson.content) for lesson in lessons})
    TranscriptCueEntry.objects.filter(lesson_id__in=[lesson.pk for lesson in lessons]).delete()
    TranscriptCueEntry.objects.bulk_create(
        [
            TranscriptCueEntry(lesson=lesson, language=transcript.language, start=float(cue["start"]), text=cue["text"])
            for lesson in lessons
            for transcript in lesson.transcripts.all()
            for cue in transcript.cues
            if cue.get("text")
        ],
        batch_size=2000,
    )
    return len(lessons)


@transaction.atomic
def lessons_index(*, lesson_ids: Iterable[str]) -> int:
    """Rebuild the index rows of these lessons from their current content. Idempotent. Returns the count."""
    ids = list(lesson_ids)
    if not ids:
        return 0
    return _index_postgres(ids) if connection.vendor == "postgresql" else _index_substring(ids)


def module_index(*, module_id: str) -> int:
    """After a module's title changed: its lessons are matched on it."""
    return lessons_index(lesson_ids=module_lesson_ids(module_id))


def index_rebuild() -> int:
    """Every lesson, from scratch (rows of deleted lessons go with them: the foreign keys cascade)."""
    ids = all_lesson_ids()
    for start in range(0, len(ids), 100):
        lessons_index(lesson_ids=ids[start : start + 100])
    return len(ids)
