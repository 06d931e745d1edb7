"""The stored index: the set-wise PostgreSQL build stores exactly the vectors Django's own `SearchVector`
expressions give (what the index stored before it was set-wise), and the benchmark's bulk corpus is
indistinguishable from the same corpus imported one transcript at a time."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value

from bench.search import build_bulk, build_through_services
from courses import services as course_services
from courses.content import lesson_body_text
from courses.models import Lesson, Module
from search.models import CONFIG, LessonDocument, TranscriptCueEntry
from search.services import index_rebuild, lessons_index
from tests.courses.factories import LessonFactory, ModuleFactory


def _vector(text: str, weight: str) -> SearchVector:
    return SearchVector(Value(text), weight=weight, config=CONFIG)


def _as_text(vector: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsvector::text", [vector])
        return cursor.fetchone()[0]


def _expected(lesson: Lesson) -> dict[str, str]:
    """The lesson's vectors from Django expressions, built the way the per-lesson indexer built them."""
    cues = [cue["text"] for transcript in lesson.transcripts.order_by("language") for cue in transcript.cues]
    title = _vector(lesson.title, "A") + _vector(lesson.module.title, "B")
    row = (
        LessonDocument.objects.filter(pk=lesson.pk)
        .annotate(
            t=title,
            c=title + _vector(lesson_body_text(lesson.content), "C"),
            s=_vector("\n".join(cues), "D"),
        )
        .values("t", "c", "s")
        .get()
    )
    return {"title": _as_text(row["t"]), "content": _as_text(row["c"]), "transcript": _as_text(row["s"])}


def _stored() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.title, d.body_text, d.title_vector::text, d.content_vector::text, d.transcript_vector::text"
            " FROM search_lessondocument d JOIN courses_lesson l ON l.id = d.lesson_id ORDER BY l.title"
        )
        documents = cursor.fetchall()
        cursor.execute(
            "SELECT l.title, c.language, c.start, c.text, c.vector::text FROM search_transcriptcueentry c"
            " JOIN courses_lesson l ON l.id = c.lesson_id ORDER BY l.title, c.id"
        )
        cues = cursor.fetchall()
    return {"documents": documents, "cues": cues}


@pytest.mark.django_db
def test_stored_vectors_are_what_django_search_vector_gives() -> None:
    module = ModuleFactory(title="Background jobs, retried")
    lesson = LessonFactory(
        module=module,
        title="Celery's workers: retries & back-off",
        content={
            "type": "doc",
            "content": [
                {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Idempotent tasks"}]},
                {"type": "paragraph", "content": [{"type": "text", "text": "Run the migrations twice; it's fine."}]},
            ],
        },
    )
    bare = LessonFactory(module=module, title="No transcript", content={"type": "doc", "content": []})
    for language, cues in (
        ("fr", [{"start": 2, "end": 3, "text": "Les tâches d'arrière-plan"}]),
        (
            "en",
            [
                {"start": 0.5, "end": 2.0, "text": "Welcome back to background jobs."},
                {"start": 2.0, "end": 3.0, "text": ""},  # a silent cue: no row, no words
                {"start": 3.25, "end": 9.0, "text": "The worker retries, with back-off.\nThen it gives up."},
            ],
        ),
    ):
        course_services.lesson_transcript_store(
            lesson=lesson, language=language, label=language, source="UPLOAD", cues=cues
        )
    lessons_index(lesson_ids=[lesson.pk, bare.pk])

    for each in (lesson, bare):
        document = LessonDocument.objects.get(pk=each.pk)
        assert document.body_text == lesson_body_text(each.content)
        expected = _expected(each)
        assert _as_text(document.title_vector) == expected["title"]
        assert _as_text(document.content_vector) == expected["content"]
        assert _as_text(document.transcript_vector) == expected["transcript"]
    # The module title's positions follow the title's (`||` shifts them), weighted B.
    assert "'retri':4A,9B" in _as_text(LessonDocument.objects.get(pk=lesson.pk).title_vector)

    cues = list(TranscriptCueEntry.objects.filter(lesson=lesson).order_by("id"))
    assert [(cue.language, cue.start, cue.text) for cue in cues] == [
        ("en", 0.5, "Welcome back to background jobs."),
        ("en", 3.25, "The worker retries, with back-off.\nThen it gives up."),
        ("fr", 2.0, "Les tâches d'arrière-plan"),
    ]
    for cue in cues:
        expected_cue = (
            TranscriptCueEntry.objects.filter(pk=cue.pk).annotate(v=SearchVector("text", config=CONFIG)).values("v")
        ).get()["v"]
        assert _as_text(cue.vector) == _as_text(expected_cue)
    assert not TranscriptCueEntry.objects.filter(lesson=bare).exists()


@pytest.mark.django_db
def test_reindex_replaces_rows_and_is_idempotent() -> None:
    lesson = LessonFactory(title="Caching")
    course_services.lesson_transcript_store(
        lesson=lesson, language="en", label="English", source="UPLOAD", cues=[{"start": 1, "end": 2, "text": "one"}]
    )
    before = _stored()
    lessons_index(lesson_ids=[lesson.pk])
    lessons_index(lesson_ids=[lesson.pk])
    assert _stored() == before
    course_services.lesson_transcript_store(
        lesson=lesson, language="en", label="English", source="UPLOAD", cues=[{"start": 5, "end": 6, "text": "two"}]
    )
    assert [(cue.start, cue.text) for cue in TranscriptCueEntry.objects.filter(lesson=lesson)] == [(5.0, "two")]
    assert lessons_index(lesson_ids=[]) == 0


@pytest.mark.django_db
def test_bench_bulk_corpus_equals_the_same_corpus_imported_one_by_one() -> None:
    build_through_services(lessons=4, words=300, seed=3)
    one_by_one = _stored()
    assert len(one_by_one["documents"]) == 4 and len(one_by_one["cues"]) == 4 * 30
    Lesson.objects.all().delete()
    Module.objects.all().delete()
    build_bulk(lessons=4, words=300, seed=3)
    assert _stored() == one_by_one
    index_rebuild()  # what `manage.py search_reindex` does: the same rows again
    assert _stored() == one_by_one
