"""The search index: derived from course content, rebuilt from it at any time (`manage.py search_reindex`).

On PostgreSQL each row carries stored `tsvector`s with GIN indexes (created by migration 0002 on PostgreSQL
only: SQLite has no GIN). On SQLite the vectors stay empty and search falls back to a substring match.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from courses.models import Lesson

# The text search configuration of every vector and query (index and search must agree).
CONFIG = "english"


class LessonDocument(models.Model):
    """One lesson as search sees it. Three vectors, so a learner without access can be matched on what they
    may see (title and module) and never on the body or transcript."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, primary_key=True, related_name="+")
    body_text = models.TextField(blank=True, default="")
    # title (A) + module title (B): all a learner without access is matched on.
    title_vector = SearchVectorField(null=True)
    # title (A) + module title (B) + body text (C).
    content_vector = SearchVectorField(null=True)
    # Every transcript's cues (D); the cue itself is found in TranscriptCueEntry.
    transcript_vector = SearchVectorField(null=True)

    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"search document of lesson {self.lesson_id}"


class TranscriptCueEntry(models.Model):
    """One transcript cue, so a transcript hit can link to the second it is spoken.

    An internal index row, never named in a URL: a sequence key instead of a cuid2, because an import writes
    thousands at once and generating cuid2s costs more than indexing them."""

    id = models.BigAutoField(primary_key=True)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+", db_index=False)
    language = models.CharField(max_length=35)
    start = models.FloatField()
    text = models.TextField()
    vector = SearchVectorField(null=True)

    class Meta:
        indexes = [models.Index(fields=["lesson", "start"], name="search_cue_lesson_start")]

    def __str__(self) -> str:
        return f"{self.start:.0f}s {self.text[:40]}"
