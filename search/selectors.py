"""Search across the course: lesson titles, body text and transcript cues.

PostgreSQL: `websearch_to_tsquery` (any text is a valid query: quotes, `-`, `or`, stray operators never
raise), ranked with `ts_rank` over the stored vectors, snippets from `ts_headline`, in one statement.
Words match a transcript as a whole; a quoted phrase must be said within one cue. SQLite (`make run`
without DATABASE_URL): a case-insensitive substring match of the whole query, titles first.

The no-leak rule: a lesson the user may not watch (`courses.selectors.lesson_access` is not WATCH) is
matched on its title and module title only, and its hit carries no body or transcript text.
One query whatever the corpus size (pinned in tests/search/test_search.py); bench/search.py times it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
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


# One statement for the whole page of results. Placeholders: %(q)s the websearch text, %(config)s the text
# search configuration, %(limit)s the page size; {q}, {unlocked} and {visible} are fixed SQL fragments (the
# query expression, and per user kind which lessons may be read and which seen).
#
# `search_lesson_matches` (migration search.0003) lists the lessons whose title, module title, body or
# transcript match, from the GIN indexes alone, with their content and title ranks: the planner, left to
# itself, prices a scan of the 1,000-odd lesson rows as cheap and does not see that testing each one
# unpacks a TOASTed 10,000-word transcript vector (~25 ms of the ~30 a search then took), so inside that
# function only bitmap (GIN) scans are allowed; everything here is planned as usual.
# `hits`: those the user may see, ranked (titles A, module B, body C: a transcript-only hit ranks after those),
# cut to the page. A lesson the user may not read is matched, and ranked, on its title and
# module title alone; `readable` says whether a lesson also matched in its body or transcript.
# Then, for the page's hits alone: a headline of the body where the content matched, and the first matching
# cue of the lesson (one lookup in the (lesson, vector) GIN index) with a headline of that cue's ten words.
_SEARCH_SQL = """
WITH hits AS (
    SELECT matched.lesson_id, l.title, m.title AS module_title, u.unlocked, matched.content_hit,
           m."order" AS module_order, l."order" AS lesson_order,
           CASE WHEN u.unlocked THEN matched.content_rank ELSE matched.title_rank END AS rank
    FROM search_lesson_matches({q}) matched
    JOIN courses_lesson l ON l.id = matched.lesson_id
    JOIN courses_module m ON m.id = l.module_id
    CROSS JOIN LATERAL (SELECT {unlocked} AS unlocked) u
    WHERE {visible} AND CASE WHEN u.unlocked THEN matched.readable ELSE matched.title_rank IS NOT NULL END
    ORDER BY rank DESC, m."order", l."order"
    LIMIT %(limit)s
)
SELECT h.lesson_id, h.title, h.module_title, h.unlocked,
       CASE WHEN h.unlocked AND h.content_hit THEN
           ts_headline(%(config)s::regconfig, d.body_text, {q}, %(body_options)s)
       END,
       cue.start,
       ts_headline(%(config)s::regconfig, cue.text, {q}, %(cue_options)s)
FROM hits h
JOIN search_lessondocument d ON d.lesson_id = h.lesson_id
LEFT JOIN LATERAL (
    SELECT c.start, c.text FROM search_transcriptcueentry c
    WHERE h.unlocked AND c.lesson_id = h.lesson_id AND c.vector @@ {q}
    ORDER BY c.start
    LIMIT 1
) cue ON true
ORDER BY h.rank DESC, h.module_order, h.lesson_order
"""


def _headline_options(max_words: int) -> str:
    return f"StartSel={_START}, StopSel={_STOP}, MaxWords={max_words}, MinWords=12"


def _unlocked_sql(user: Any) -> str:
    """Which lessons this user may read, as SQL over courses_lesson `l`. Mirrors `_unlocked_q`."""
    unlocked = _unlocked_q(user)
    if unlocked is None:
        return "true"
    return "l.is_free" if getattr(user, "is_authenticated", False) else "false"


def _visible_sql(user: Any) -> str:
    if getattr(user, "is_authenticated", False) and user.is_staff:
        return "true"
    return "l.published AND m.published"


def _search_postgres(user: Any, query: str) -> list[SearchHit]:
    unlocked = _unlocked_sql(user)
    sql = (
        _SEARCH_SQL.replace("{unlocked}", unlocked)
        .replace("{visible}", _visible_sql(user))
        # Spelled out at each use rather than bound once in a CTE: a constant, folded when the statement is
        # planned, so the planner sees the query's words and their frequencies.
        .replace("{q}", "websearch_to_tsquery(%(config)s::regconfig, %(q)s)")
    )
    params: dict[str, str | int] = {
        "q": query,
        "config": CONFIG,
        "limit": RESULTS_LIMIT,
        "body_options": _headline_options(30),
        "cue_options": _headline_options(40),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    hits = []
    for lesson_id, title, module_title, is_open, snippet, cue_start, cue_snippet in rows:
        snippet = snippet or ""
        hits.append(
            SearchHit(
                lesson_id=lesson_id,
                title=title,
                module_title=module_title,
                locked=not is_open,
                # A body that matched only through the title still gets no body snippet: nothing marked in it.
                snippet=_marked(snippet) if is_open and _START in snippet else mark_safe(""),
                cue_start=int(cue_start) if is_open and cue_start is not None else None,
                cue_snippet=_marked(cue_snippet) if is_open and cue_snippet else mark_safe(""),
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
