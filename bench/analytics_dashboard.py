"""Benchmark: /admin/analytics/ with millions of events.

    python -m bench.analytics_dashboard                 # 5,000,000 events (reuses the scratch data if present)
    python -m bench.analytics_dashboard --events 200000 --fresh

Works in a scratch PostgreSQL database of its own (`bench_syllabus_analytics` next to DATABASE_URL's;
never a test database): migrates it, loads the demo course, runs `analytics_generate`, then renders the
dashboard through Django's test client as a signed-in admin — the first render in the process ("cold")
and the median of repeated renders ("warm") — counting queries, for the default 30-day window and a
365-day window, with and without the daily rollups, plus the CSV export and the seed's raw SQL.
Results print as a table and go to bench/results/analytics_dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench._scratch import scratch_database_ensure

DEFAULT_DATABASE = "bench_syllabus_analytics"
RESULTS = Path(__file__).parent / "results" / "analytics_dashboard.json"

FUNNEL_SQL = """
    SELECT COUNT(*) FILTER (WHERE event = 'signup_completed'),
           COUNT(*) FILTER (WHERE event = 'onboarding_completed'),
           COUNT(*) FILTER (WHERE event = 'video_1_completed'),
           COUNT(*) FILTER (WHERE event = 'paywall_viewed'),
           COUNT(*) FILTER (WHERE event = 'subscription_started')
    FROM analytics_event WHERE created_at > NOW() - INTERVAL '{days} days'"""

# The seed's four queries (section 7) with Django's table names, run raw for comparison.
SEED_SQL = {
    "funnel (30 days)": FUNNEL_SQL.format(days=30),
    "monthly vs annual (30 days)": """
        SELECT (properties->>'plan') AS plan, COUNT(*) FROM analytics_event
        WHERE event = 'subscription_started' AND created_at > NOW() - INTERVAL '30 days'
        GROUP BY properties->>'plan'""",
    "mrr": """
        SELECT SUM(CASE WHEN plan = 'MONTHLY' THEN 49 ELSE 399/12 END) FROM billing_subscription
        WHERE status = 'ACTIVE'""",
    "completion by module": """
        SELECT m.title, COUNT(DISTINCT lp.user_id), COUNT(DISTINCT lp.user_id) FILTER (WHERE lp.completed = true)
        FROM courses_module m JOIN courses_lesson l ON l.module_id = m.id
        LEFT JOIN progress_lessonprogress lp ON lp.lesson_id = l.id GROUP BY m.id ORDER BY m.order""",
    "funnel (365 days)": FUNNEL_SQL.format(days=365),
}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics_dashboard", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=7, help="warm renders per case (median reported)")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the scratch database")
    return parser.parse_args(argv)


def _ensure_database(settings_dict: dict[str, Any], name: str, *, fresh: bool) -> None:
    scratch_database_ensure(settings_dict, name, fresh=fresh)


def _timed(fn: Any, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    args = _parse(list(argv) if argv is not None else sys.argv[1:])
    if not args.database.startswith("bench_"):
        raise SystemExit("The scratch database's name must start with bench_ (it is dropped with --fresh).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("CACHE_KEY_PREFIX", "analytics-bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.services import admin_ensure
    from analytics.models import CompletionSnapshot, DailyActivity, Event, EventDailyCount
    from analytics.tasks import analytics_rollup
    from courses.services import demo_course_load

    original_name = connection.settings_dict["NAME"]
    _ensure_database(connection.settings_dict, args.database, fresh=args.fresh)
    connection.close()
    connection.settings_dict["NAME"] = args.database
    try:
        call_command("migrate", verbosity=0)
        demo_course_load()
        admin, _ = admin_ensure(email="bench-admin@syllabus.local", password="bench-admin-password-0")
        existing = Event.objects.count()
        generated_now = existing < args.events
        generation: dict[str, Any] = {}
        if generated_now:
            if existing:
                raise SystemExit(
                    f"{args.database} holds {existing:,} events, fewer than {args.events:,}: run with --fresh."
                )
            t0 = time.perf_counter()
            call_command("analytics_generate", events=args.events, days=args.days, force=True)
            generation = {"seconds": round(time.perf_counter() - t0, 1)}
        events = Event.objects.count()
        # What the hourly beat task does on a running site (after generation it only re-does yesterday).
        t0 = time.perf_counter()
        analytics_rollup.apply().get()
        beat_seconds = round(time.perf_counter() - t0, 2)

        machine = _machine()  # before timing: its load average is the competition the timings ran against
        client = Client()
        client.force_login(admin)
        cases = {
            "default (last 30 days)": "/admin/analytics/",
            "365 days": "/admin/analytics/?" + _range_query(365),
            "csv export (30 days)": "/admin/analytics/export.csv",
        }
        results: dict[str, Any] = {}

        def render(url: str) -> tuple[float, int, int]:
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            return elapsed, len(queries), len(response.content)

        # "first": the first request for that page in this process (for the very first page that includes
        # Django's one-off start-up work: URL resolver, template compilation); "warm": the median after it.
        for name, url in cases.items():
            first, _, size = render(url)
            warm, _ = _timed(lambda url=url: render(url), args.repeat)
            _, queries, _ = render(url)
            results[name] = {
                "first_ms": round(first * 1000, 1),
                "warm_median_ms": round(warm * 1000, 1),
                "queries": queries,
                "bytes": size,
            }

        # The same pages with no rollups or snapshots at all (what the indexes alone give), rolled back after.
        with transaction.atomic():
            EventDailyCount.objects.all().delete()
            DailyActivity.objects.all().delete()
            CompletionSnapshot.objects.all().delete()
            for name in ("default (last 30 days)", "365 days"):
                url = cases[name]
                warm, _ = _timed(lambda url=url: render(url), 3)
                _, queries, _ = render(url)
                results[f"{name}, no rollups"] = {"warm_median_ms": round(warm * 1000, 1), "queries": queries}
            transaction.set_rollback(True)

        seed_sql = {}
        with connection.cursor() as cursor:
            for name, sql in SEED_SQL.items():

                def run(sql: str = sql) -> None:
                    cursor.execute(sql)
                    cursor.fetchall()

                median, _ = _timed(run, 3)
                seed_sql[name] = round(median * 1000, 1)
            cursor.execute(
                "SELECT pg_size_pretty(pg_table_size('analytics_event')), "
                "pg_size_pretty(pg_indexes_size('analytics_event'))"
            )
            table_size, index_size = cursor.fetchone()
        report = {
            "events": events,
            "generated_now": generated_now,
            "generation": generation,
            "beat_task_seconds": beat_seconds,
            "machine": machine,
            "dashboard": results,
            "seed_sql_ms": seed_sql,
            "event_table": {"table": table_size, "indexes": index_size},
        }
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name

    _print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


def _range_query(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return f"start={today - timedelta(days - 1)}&end={today}"


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    from django.db import connection

    return {
        # Other processes share this machine; the load average says how much they competed for it.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": connection.pg_version if hasattr(connection, "pg_version") else None,
    }


def _print(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(
        f"\n{report['events']:,} events · {m['cpu']} · {m['cores']} cores · {m['memory']}"
        f" · load average {m['load_average_1m']}"
    )
    if report["generation"]:
        print(f"generated in {report['generation']['seconds']} s")
    print(f"hourly beat task (analytics_rollup): {report['beat_task_seconds']} s")
    print(f"\n{'case':<36} {'first ms':>9} {'warm ms':>9} {'queries':>8}")
    for name, r in report["dashboard"].items():
        first = r.get("first_ms")
        print(f"{name:<36} {'' if first is None else first:>9} {r['warm_median_ms']:>9} {r['queries']:>8}")
    print("\nseed SQL, raw (ms):")
    for name, ms in report["seed_sql_ms"].items():
        print(f"  {name:<34} {ms:>9}")
    print(f"\nanalytics_event: table {report['event_table']['table']}, indexes {report['event_table']['indexes']}")


if __name__ == "__main__":
    sys.exit(main())
