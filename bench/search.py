"""Benchmark: course search (`search.selectors.search_lessons`) at 1,000 lessons with 10,000-word transcripts.

    python -m bench.search                        # 1,000 lessons, 10,000 transcript words each
    python -m bench.search --lessons 200 --words 2000 --repeat 50

Works in a scratch PostgreSQL database of its own (`bench_syllabus_search` next to DATABASE_URL's; never a
test database): migrates it and, unless it already holds that corpus, builds it through the real write path
(`courses.services.lesson_transcript_store`, which indexes each lesson as an import does). Bodies are ~300
words, transcripts `--words` words in cues of ~10 words, drawn Zipf-like from a 5,000-word vocabulary with a
few course terms, so common and rare words both occur. Each query runs `--repeat` times per user kind (a
member: bodies, transcripts and headline snippets; a learner without access: titles only); the server time
reported is the selector's wall time (the page itself adds template rendering only), and beside it the CPU
time per search of this process plus its PostgreSQL backend (from /proc): on a shared machine the wall time
includes waiting for a core, the CPU time does not. Results print as a table and go to
bench/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

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
TERMS = ["migrations", "celery", "worker", "retries", "background", "jobs", "webhook", "stripe", "cache", "deploy"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--words", type=int, default=10_000, help="transcript words per lesson")
    parser.add_argument("--repeat", type=int, default=20)
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
    import psycopg
    from django.db import connection
    from psycopg import sql

    s = connection.settings_dict
    with psycopg.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=int(s.get("PORT") or 5432),
        user=s.get("USER") or "postgres",
        password=s.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _words(rng: random.Random, count: int) -> list[str]:
    vocabulary = [f"word{i}" for i in range(5000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    chosen = rng.choices(vocabulary, weights=weights, k=count)
    for index in rng.sample(range(count), k=max(1, count // 200)):
        chosen[index] = rng.choice(TERMS)
    return chosen


def _build(lessons: int, words: int) -> float:
    from django.db import transaction

    from courses import services
    from courses.models import Lesson, Module, Transcript
    from search.models import LessonDocument

    rng = random.Random(15)
    started = time.perf_counter()
    Transcript.objects.all().delete()
    Lesson.objects.all().delete()
    Module.objects.all().delete()
    per_module = 50
    modules = [
        Module.objects.create(title=f"Module {m} {rng.choice(TERMS)}", order=m, published=True)
        for m in range(1, lessons // per_module + 2)
    ]
    for index in range(lessons):
        body = " ".join(_words(rng, 300))
        title = f"Lesson {index} on {rng.choice(TERMS)} and {rng.choice(TERMS)}"
        with transaction.atomic():
            lesson = Lesson.objects.create(
                module=modules[index // per_module],
                order=index % per_module + 1,
                title=title,
                published=True,
                is_free=index == 0,
                video_duration=words // 2,
                content={
                    "type": "doc",
                    "content": [{"type": "paragraph", "content": [{"type": "text", "text": body}]}],
                },
            )
            spoken = _words(rng, words)
            cues = [
                {"start": i / 2.0, "end": i / 2.0 + 4.5, "text": " ".join(spoken[i : i + 10])}
                for i in range(0, len(spoken), 10)
            ]
            services.lesson_transcript_store(
                lesson=lesson, language="en", label="English", source="GENERATED", cues=cues
            )
        if index % 100 == 99:
            print(f"  built {index + 1} lessons ({time.perf_counter() - started:.0f} s)", flush=True)
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
        cursor.execute("ANALYZE")
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    member, _ = User.objects.get_or_create(email="member@bench.local", defaults={"access_override": True})
    learner, _ = User.objects.get_or_create(email="learner@bench.local")
    assert has_access(member) and not has_access(learner)

    from bench.email_drain import _cpu_seconds

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    rows = []
    for query in QUERIES:
        for kind, user in (("member", member), ("no access", learner)):
            search_lessons(user=user, raw_query=query)  # warm: plans and caches
            times = []
            cpu_started, db_cpu_started = time.process_time(), _cpu_seconds(backend_pid)
            for _ in range(options.repeat):
                started = time.perf_counter()
                results = search_lessons(user=user, raw_query=query)
                times.append((time.perf_counter() - started) * 1000)
            cpu_ms = (time.process_time() - cpu_started) * 1000 / options.repeat
            db_cpu_ms = (_cpu_seconds(backend_pid) - db_cpu_started) * 1000 / options.repeat
            rows.append(
                {
                    "query": query,
                    "user": kind,
                    "hits": len(results.hits),
                    "median_ms": round(statistics.median(times), 2),
                    "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1], 2),
                    "max_ms": round(max(times), 2),
                    "cpu_ms": round(cpu_ms + db_cpu_ms, 2),
                    "python_cpu_ms": round(cpu_ms, 2),
                    "postgres_cpu_ms": round(db_cpu_ms, 2),
                }
            )
    print(f"{'query':28} {'user':10} {'hits':>5} {'median ms':>10} {'p95 ms':>8} {'CPU ms (py + pg)':>18}")
    for row in rows:
        cpu = f"{row['python_cpu_ms']} + {row['postgres_cpu_ms']}"
        print(
            f"{row['query']:28} {row['user']:10} {row['hits']:>5} {row['median_ms']:>10} {row['p95_ms']:>8} {cpu:>18}"
        )
    report: dict[str, Any] = {
        "lessons": options.lessons,
        "transcript_words_per_lesson": options.words,
        "cues": TranscriptCueEntry.objects.count(),
        "repeat": options.repeat,
        "build_seconds": build_seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
            "postgres": pg_version,
        },
        "results": rows,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    worst = max(row["median_ms"] for row in rows)
    worst_cpu = max(row["cpu_ms"] for row in rows)
    print(f"Worst median: {worst} ms wall, {worst_cpu} ms CPU (target < 50 ms). Load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
