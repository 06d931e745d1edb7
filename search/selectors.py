"""Search across the course: lesson titles, body text and transcript cues.

PostgreSQL: `websearch_to_tsquery` (any text is a valid query: quotes, `-`, `or`, stray operators never
raise), ranked with `ts_rank` over the stored vectors, snippets from `ts_headline`. SQLite (`make run`
without DATABASE_URL): a case-insensitive substring match of the whole query, titles first.

The no-leak rule: a lesson the user may not watch (`courses.selectors.lesson_access` is not WATCH) is
matched on its title and module title only, and its hit carries no body or transcript text.
A constant number of queries whatever the corpus size (pinned in tests/search/test_selectors.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from billing.selectors import has_access
from search.models import CONFIG, LessonDocument, TranscriptCueEntry

MAX_QUERY_LENGTH = 200
RESULTS_LIMIT = 20
# Sentinels for ts_headline's highlight markers: control characters never left in a cleaned query or text
# shown, so the snippet can be HTML-escaped first and the markers turned into <mark> after.
_START, _STOP = "\x02", "\x03"
_EMPTY = mark_safe("")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SearchHit:
    lesson_id: str
    title: str
    module_title: str
    locked: bool
    snippet: SafeString = _EMPTY
    cue_start: int | None = None
    cue_snippet: SafeString = _EMPTY


@dataclass
class SearchResults:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    # Why there are no results to show, in words for the page ("" when the search ran).
    problem: str = ""


def printable(raw: Any) -> str:
    return _CONTROL.sub("", raw) if isinstance(raw, str) else ""


def query_clean(raw: Any) -> tuple[str, str]:
    """(cleaned query, problem). NUL and control characters go (PostgreSQL refuses NUL in text)."""
    text = _CONTROL.sub(" ", raw if isinstance(raw, str) else "")
    text = " ".join(text.split())
    if not text:
        return "", "Type a word or two to search the lessons, their notes and what is said in the videos."
    if len(text) > MAX_QUERY_LENGTH:
        return "", f"That search is longer than {MAX_QUERY_LENGTH} characters. Try a few words instead."
    return text, ""


def _unlocked_q(user: Any) -> Q | None:
    """Which lessons this user may read (None: all of them). Mirrors `lesson_access` for published lessons."""
    if getattr(user, "is_authenticated", False) and user.is_staff:
        return None
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])  # signed out: every lesson page asks to sign in first
    if has_access(user):
        return None
    return Q(lesson__is_free=True)


def _visible(user: Any) -> QuerySet[LessonDocument]:
    documents = LessonDocument.objects.all()
    if not (getattr(user, "is_authenticated", False) and user.is_staff):
        documents = documents.filter(lesson__published=True, lesson__module__published=True)
    return documents


def _marked(headline: str) -> SafeString:
    # Safe: escaped first; the only markup added is <mark> in place of our own sentinels.
    return mark_safe(escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>"))


def search_lessons(*, user: Any, raw_query: Any) -> SearchResults:
    query, problem = query_clean(raw_query)
    if problem:
        return SearchResults(query="", problem=problem)
    # SQLite (`make run` without DATABASE_URL) has no full-text search: a substring match stands in.
    hits = _search_postgres(user, query) if connection.vendor == "postgresql" else _search_substring(user, query)
    if not hits:
        return SearchResults(
            query=query, problem="No lessons match that search. Try fewer or different words, or check the spelling."
        )
    return SearchResults(query=query, hits=hits)


@transaction.atomic
def _search_postgres(user: Any, query: str) -> list[SearchHit]:
    tsquery = SearchQuery(query, config=CONFIG, search_type="websearch")
    unlocked = _unlocked_q(user)
    readable = Q(content_vector=tsquery) | Q(transcript_vector=tsquery)
    unlocked_expr: Expression
    if unlocked is None:
        match, unlocked_expr = readable, Value(True)
    else:
        match = (unlocked & readable) | (~unlocked & Q(title_vector=tsquery))
        unlocked_expr = Case(When(unlocked, then=Value(True)), default=Value(False), output_field=BooleanField())
    with connection.cursor() as cursor:
        # The planner prices scanning the 1,000-odd lesson documents by their small main rows and does not see
        # that each row it tests unpacks a TOASTed transcript vector (10,000 words): it picks a sequential or
        # full-index scan costing ~100 ms where the GIN indexes answer in a few. For the match query only
        # (SET LOCAL, reset right after), only bitmap scans are left to it, and those are the GIN indexes.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
    rows = list(
        _visible(user)
        .filter(match)
        .annotate(unlocked=unlocked_expr)
        .annotate(
            # Titles weigh most (A), then module (B), then body (C); a transcript-only hit ranks after those.
            rank=Case(
                When(Q(unlocked=True), then=SearchRank(F("content_vector"), tsquery)),
                default=SearchRank(F("title_vector"), tsquery),
                output_field=FloatField(),
            ),
        )
        .order_by("-rank", "lesson__module__order", "lesson__order")
        .values("lesson_id", "lesson__title", "lesson__module__title", "unlocked")[:RESULTS_LIMIT]
    )
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan; RESET enable_indexscan")
    open_ids = [row["lesson_id"] for row in rows if row["unlocked"]]
    snippets: dict[str, str] = {}
    cues: dict[str, tuple[float, str]] = {}
    if open_ids:

        def headline(column: str, max_words: int) -> SearchHeadline:
            return SearchHeadline(
                column, tsquery, config=CONFIG, start_sel=_START, stop_sel=_STOP, max_words=max_words, min_words=12
            )

        # The body snippet where the body matched; then the first cue that matches in each lesson (where the
        # video starts when the hit is followed): the cue GIN index and the (lesson, start) index intersect,
        # and the headline runs on those few cues only.
        for lesson_id, body_headline in (
            LessonDocument.objects.filter(pk__in=open_ids, content_vector=tsquery)
            .annotate(headline=headline("body_text", 30))
            .values_list("lesson_id", "headline")
        ):
            snippets[lesson_id] = body_headline
        first_cues = (
            TranscriptCueEntry.objects.filter(lesson_id__in=open_ids, vector=tsquery)
            .order_by("lesson_id", "start")
            .distinct("lesson_id")
            .values("pk")
        )
        for lesson_id, start, cue_headline in (
            TranscriptCueEntry.objects.filter(pk__in=first_cues)
            .annotate(headline=headline("text", 40))
            .values_list("lesson_id", "start", "headline")
        ):
            cues[lesson_id] = (start, cue_headline)
    hits = []
    for row in rows:
        lesson_id, is_open = row["lesson_id"], row["unlocked"]
        snippet = snippets.get(lesson_id, "") if is_open else ""
        cue = cues.get(lesson_id) if is_open else None
        hits.append(
            SearchHit(
                lesson_id=lesson_id,
                title=row["lesson__title"],
                module_title=row["lesson__module__title"],
                locked=not is_open,
                # A body that matched only through the title still gets no body snippet: nothing marked in it.
                snippet=_marked(snippet) if _START in snippet else mark_safe(""),
                cue_start=int(cue[0]) if cue else None,
                cue_snippet=_marked(cue[1]) if cue else mark_safe(""),
            )
        )
    return hits


def _excerpt(text: str, query: str, width: int = 160) -> SafeString:
    index = text.lower().find(query.lower())
    if index < 0:
        return mark_safe("")
    start = max(0, index - width // 2)
    before, found, after = text[start:index], text[index : index + len(query)], text[index + len(query) :]
    after = after[: max(0, width - len(before) - len(found))]
    prefix = "…" if start > 0 else ""
    return _marked(f"{prefix}{before}{_START}{found}{_STOP}{after}…")


def _search_substring(user: Any, query: str) -> list[SearchHit]:
    """SQLite fallback: the whole query as one case-insensitive substring; title hits first."""
    unlocked = _unlocked_q(user)
    title_match = Q(lesson__title__icontains=query) | Q(lesson__module__title__icontains=query)
    cue_lessons = TranscriptCueEntry.objects.filter(text__icontains=query).values("lesson_id")
    readable = title_match | Q(body_text__icontains=query) | Q(lesson_id__in=cue_lessons)
    unlocked_expr: Expression
    if unlocked is None:
        match, unlocked_expr = readable, Value(True)
    else:
        match = (unlocked & readable) | (~unlocked & title_match)
        unlocked_expr = Case(When(unlocked, then=Value(True)), default=Value(False), output_field=BooleanField())
    rows = list(
        _visible(user)
        .filter(match)
        .annotate(
            unlocked=unlocked_expr,
            title_hit=Case(When(title_match, then=Value(1)), default=Value(0)),
        )
        .order_by("-title_hit", "lesson__module__order", "lesson__order")
        .values("lesson_id", "lesson__title", "lesson__module__title", "unlocked", "body_text")[:RESULTS_LIMIT]
    )
    open_ids = [row["lesson_id"] for row in rows if row["unlocked"]]
    cues: dict[str, tuple[float, str]] = {}
    for lesson_id, start, text in (
        TranscriptCueEntry.objects.filter(lesson_id__in=open_ids, text__icontains=query)
        .order_by("-start")
        .values_list("lesson_id", "start", "text")
    ):
        cues[lesson_id] = (start, text)  # ordered latest first, so the earliest cue wins
    hits = []
    for row in rows:
        is_open = bool(row["unlocked"])
        cue = cues.get(row["lesson_id"]) if is_open else None
        hits.append(
            SearchHit(
                lesson_id=row["lesson_id"],
                title=row["lesson__title"],
                module_title=row["lesson__module__title"],
                locked=not is_open,
                snippet=_excerpt(row["body_text"], query) if is_open else mark_safe(""),
                cue_start=int(cue[0]) if cue else None,
                cue_snippet=_excerpt(cue[1], query) if cue else mark_safe(""),
            )
        )
    return hits
