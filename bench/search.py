"""Benchmark: course search (`/search/`) at 1,000 lessons with 10,000-word transcripts.

    python -m bench.search                        # 1,000 lessons, 10,000 transcript words each
    python -m bench.search --lessons 200 --words 2000 --repeat 20 --rounds 3

Works in a scratch PostgreSQL database of its own (`bench_syllabus_search` next to DATABASE_URL's; never a
test database): migrates it and, unless it already holds that corpus, builds it in bulk — modules, lessons
and transcripts by `bulk_create`, then the search index by the write path's own indexing function
(`search.services.index_rebuild`, which `manage.py search_reindex` and every transcript import run), so it
stores exactly what imports store (tests/search/test_index.py compares the two on a small corpus). Bodies
are ~300 words, transcripts `--words` words in cues of ~10 words, drawn Zipf-like from a 5,000-word
vocabulary with a few course terms, so common and rare words both occur.

Each query runs, per user kind (a member: bodies, transcripts and headline snippets; a learner without
access: titles only) and per round, `--repeat` times as the selector alone and `--repeat` times as the page
(`search.views.search_page` on a RequestFactory request: the user loaded fresh as a request does, the
selector, the template and its context processors). Reported: the page's median and p95 wall time, the
selector's median, and CPU per page of this process plus its PostgreSQL backend (from /proc), per round: on
a shared machine the wall time includes waiting for a core, the CPU time does not. The load average is
recorded at each round. Results print as a table and go to bench/results/search.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._scratch import scratch_database_ensure

DEFAULT_DATABASE = "bench_syllabus_search"
RESULTS = Path(__file__).parent / "results" / "search.json"
QUERIES = [
    "migrations",  # a course term: in many titles, bodies and transcripts
    "celery worker retries",  # several words, AND-ed
    '"background jobs"',  # a phrase
    "webhook -stripe",  # an exclusion
    "zyxwvut",  # matches nothing
    "the",  # a stop word only: nothing to search
    "word42",  # a common vocabulary word: thousands of cues
    "word4987",  # a rare one
]
PER_MODULE = 50
TERMS = ["migrations", "celery", "worker", "retries", "background", "jobs", "webhook", "stripe", "cache", "deploy"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--words", type=int, default=10_000, help="transcript words per lesson")
    parser.add_argument("--repeat", type=int, default=10, help="searches per query, user kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    return parser.parse_args(argv)


def _django(database: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("CACHE_KEY_PREFIX", "search-bench")
    import django

    django.setup()
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = database


def _ensure_database(database: str) -> None:
    from django.db import connection

    scratch_database_ensure(connection.settings_dict, database)


VOCABULARY = [f"word{i}" for i in range(5000)]
# Zipf-like: the word of rank r is drawn with weight 1 / r (cumulative, so each draw is a bisection).
CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))


def _words(rng: random.Random, count: int) -> list[str]:
    chosen = rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=count)
    for index in rng.sample(range(count), k=max(1, count // 200)):
        chosen[index] = rng.choice(TERMS)
    return chosen


def corpus_lessons(lessons: int, words: int, seed: int = 15) -> Iterator[dict[str, Any]]:
    """The corpus, lesson by lesson: module index, order, title, free flag, TipTap body and transcript cues."""
    rng = random.Random(seed)
    for index in range(lessons):
        body = " ".join(_words(rng, 300))
        spoken = _words(rng, words)
        yield {
            "module": index // PER_MODULE,
            "order": index % PER_MODULE + 1,
            "title": f"Lesson {index} on {rng.choice(TERMS)} and {rng.choice(TERMS)}",
            "is_free": index == 0,
            "content": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": body}]}]},
            "cues": [
                {"start": i / 2.0, "end": i / 2.0 + 4.5, "text": " ".join(spoken[i : i + 10])}
                for i in range(0, len(spoken), 10)
            ],
        }


def module_titles(lessons: int, seed: int = 15) -> list[str]:
    rng = random.Random(seed * 7)
    return [f"Module {m + 1} {rng.choice(TERMS)}" for m in range(lessons // PER_MODULE + 1)]


def build_bulk(lessons: int, words: int, seed: int = 15) -> None:
    """The corpus in bulk: modules, lessons and transcripts by `bulk_create`, then the search index by the
    write path's own indexing function (`search.services.index_rebuild`, what `manage.py search_reindex`
    runs), so the stored vectors and cue rows are exactly what a transcript import stores
    (tests/search/test_bench_corpus.py compares the two on a small corpus)."""
    from courses.models import Lesson, Module, Transcript, TranscriptSource
    from search.services import index_rebuild

    modules = Module.objects.bulk_create(
        [Module(title=title, order=m + 1, published=True) for m, title in enumerate(module_titles(lessons, seed))]
    )
    batch: list[tuple[Lesson, list[dict[str, Any]]]] = []

    def flush() -> None:
        Lesson.objects.bulk_create([lesson for lesson, _ in batch])
        Transcript.objects.bulk_create(
            [
                Transcript(lesson=lesson, language="en", label="English", source=TranscriptSource.GENERATED, cues=cues)
                for lesson, cues in batch
            ]
        )
        batch.clear()

    for spec in corpus_lessons(lessons, words, seed):
        lesson = Lesson(
            module=modules[spec["module"]],
            order=spec["order"],
            title=spec["title"],
            published=True,
            is_free=spec["is_free"],
            video_duration=words // 2,
            content=spec["content"],
        )
        batch.append((lesson, spec["cues"]))
        if len(batch) == 50:
            flush()
    if batch:
        flush()
    index_rebuild()


def build_through_services(lessons: int, words: int, seed: int = 15) -> None:
    """The same corpus through the real write path, one transcript import at a time (slow: for comparison)."""
    from courses import services
    from courses.models import Lesson, Module

    modules = [
        Module.objects.create(title=title, order=m + 1, published=True)
        for m, title in enumerate(module_titles(lessons, seed))
    ]
    for spec in corpus_lessons(lessons, words, seed):
        lesson = Lesson.objects.create(
            module=modules[spec["module"]],
            order=spec["order"],
            title=spec["title"],
            published=True,
            is_free=spec["is_free"],
            video_duration=words // 2,
            content=spec["content"],
        )
        services.lesson_transcript_store(
            lesson=lesson, language="en", label="English", source="GENERATED", cues=spec["cues"]
        )


def _build(lessons: int, words: int) -> float:
    from django.db import connection

    from search.models import LessonDocument

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # A scratch database of its own: emptied in one statement (the ORM's cascade would walk 1,000,000 cues).
        cursor.execute("TRUNCATE courses_module, courses_lesson, courses_transcript CASCADE")
    build_bulk(lessons, words)
    assert LessonDocument.objects.count() == lessons
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    options = _parse(argv)
    _django(options.database)
    _ensure_database(options.database)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from billing.selectors import has_access
    from courses.models import Lesson
    from search.models import TranscriptCueEntry
    from search.selectors import search_lessons

    expected_cues = options.lessons * ((options.words + 9) // 10)
    build_seconds = None
    if Lesson.objects.count() != options.lessons or TranscriptCueEntry.objects.count() != expected_cues:
        print(f"Building {options.lessons} lessons x {options.words} transcript words …", flush=True)
        build_seconds = _build(options.lessons, options.words)
    with connection.cursor() as cursor:
        # What autovacuum does to a live site soon after a bulk import: fresh statistics, and the GIN indexes'
        # pending lists merged (every scan reads a pending list in full until then).
        cursor.execute("VACUUM (ANALYZE) search_lessondocument, search_transcriptcueentry")
        cursor.execute("ANALYZE")
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    member, _ = User.objects.get_or_create(email="member@bench.local", defaults={"access_override": True})
    learner, _ = User.objects.get_or_create(email="learner@bench.local")
    assert has_access(member) and not has_access(learner)

    from django.test import RequestFactory

    from bench.email_drain import _cpu_seconds
    from search.views import search_page

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    factory = RequestFactory()
    users = {"member": member.pk, "no access": learner.pk}

    def page(user_pk: int, query: str) -> int:
        """What /search/ does for one request: the signed-in user (loaded fresh, as each request does, so
        their subscription is read again), the selector, the template with its context processors."""
        request = factory.get("/search/", {"q": query})
        request.user = User.objects.get(pk=user_pk)
        response = search_page(request)
        assert response.status_code == 200
        return response.content.count(b'class="search-hit"') + response.content.count(b'class="search-hit ')

    samples: dict[tuple[str, str], dict[str, list[float]]] = {}
    hits: dict[tuple[str, str], int] = {}
    loads = []
    for round_number in range(options.rounds):
        loads.append(os.getloadavg())
        for query in QUERIES:
            for kind, user_pk in users.items():
                key = (query, kind)
                sample = samples.setdefault(key, {"page": [], "selector": [], "cpu": [], "py": [], "pg": []})
                page(user_pk, query)  # warm: plans and caches
                user = User.objects.get(pk=user_pk)
                for _ in range(options.repeat):
                    started = time.perf_counter()
                    search_lessons(user=user, raw_query=query)
                    sample["selector"].append((time.perf_counter() - started) * 1000)
                cpu_started, db_cpu_started = time.process_time(), _cpu_seconds(backend_pid)
                for _ in range(options.repeat):
                    started = time.perf_counter()
                    hits[key] = page(user_pk, query)
                    sample["page"].append((time.perf_counter() - started) * 1000)
                py_ms = (time.process_time() - cpu_started) * 1000 / options.repeat
                pg_ms = (_cpu_seconds(backend_pid) - db_cpu_started) * 1000 / options.repeat
                sample["py"].append(py_ms)
                sample["pg"].append(pg_ms)
                sample["cpu"].append(py_ms + pg_ms)
        print(
            f"  round {round_number + 1} of {options.rounds} done (load average {os.getloadavg()[0]:.2f})", flush=True
        )
    loads.append(os.getloadavg())

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.95) - 1)]

    rows = []
    for (query, kind), sample in samples.items():
        rows.append(
            {
                "query": query,
                "user": kind,
                "hits": hits[(query, kind)],
                "page_median_ms": round(statistics.median(sample["page"]), 2),
                "page_p95_ms": round(p95(sample["page"]), 2),
                "selector_median_ms": round(statistics.median(sample["selector"]), 2),
                # CPU per page (this process + its PostgreSQL backend), the median of the rounds' means.
                "cpu_ms": round(statistics.median(sample["cpu"]), 2),
                "python_cpu_ms": round(statistics.median(sample["py"]), 2),
                "postgres_cpu_ms": round(statistics.median(sample["pg"]), 2),
                "cpu_ms_rounds": [round(value, 1) for value in sample["cpu"]],
            }
        )
    print(
        f"{'query':24} {'user':10} {'hits':>4} {'page median':>11} {'p95':>7} {'selector':>8}"
        f" {'CPU/page (py + pg)':>20}  CPU per round"
    )
    for row in rows:
        cpu = f"{row['cpu_ms']} ({row['python_cpu_ms']} + {row['postgres_cpu_ms']})"
        print(
            f"{row['query']:24} {row['user']:10} {row['hits']:>4} {row['page_median_ms']:>11} {row['page_p95_ms']:>7}"
            f" {row['selector_median_ms']:>8} {cpu:>20}  {row['cpu_ms_rounds']}"
        )
    report: dict[str, Any] = {
        "lessons": options.lessons,
        "transcript_words_per_lesson": options.words,
        "cues": TranscriptCueEntry.objects.count(),
        "rounds": options.rounds,
        "repeat": options.repeat,
        "build_seconds": build_seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_per_round": loads,
            "python": platform.python_version(),
            "postgres": pg_version,
        },
        "results": rows,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    worst = max(row["page_median_ms"] for row in rows)
    worst_cpu = max(row["cpu_ms"] for row in rows)
    print(
        f"Worst median page: {worst} ms wall, {worst_cpu} ms CPU (target < 50 ms)."
        f" Load average by round: {[round(load[0], 2) for load in loads]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
