"""Synthetic analytics data for benchmarks and demos: `manage.py analytics_generate --events 5000000`.

PostgreSQL only. Rows are made inside the database with `INSERT … SELECT … FROM generate_series`
(no Python per row), in batches under a tqdm progress bar; 5 million events take a couple of minutes.
It adds learners, their subscriptions and lesson progress, events spread over the last `--days` days in
time order (as a live site writes them), and one MRR snapshot per day that has none, then rolls up.
Every generated id starts with `gen` and a per-run tag, so generated rows are easy to tell apart.
"""

from __future__ import annotations

import secrets
import time as clock
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import User
from analytics.models import Event, MrrSnapshot
from analytics.services import completion_snapshot_record, mrr_snapshot_record, rollup_rebuild
from billing.models import Subscription
from billing.selectors import mrr
from courses.models import Lesson
from courses.services import demo_course_load
from progress.models import LessonProgress

# Cumulative shares of each event name (the rest are `lesson_viewed`): a realistic mix where views and
# video plays dominate and each funnel step is rarer than the one before.
EVENT_MIX: tuple[tuple[str, float], ...] = (
    ("video_started", 0.20),
    ("video_completed", 0.12),
    ("lesson_completed", 0.10),
    ("login", 0.10),
    ("paywall_viewed", 0.05),
    ("video_1_started", 0.03),
    ("video_1_completed", 0.02),
    ("signup_completed", 0.025),
    ("onboarding_completed", 0.02),
    ("module_completed", 0.015),
    ("checkout_started", 0.01),
    ("subscription_started", 0.006),
    ("subscription_cancelled", 0.002),
    ("payment_failed", 0.001),
    ("refund_issued", 0.0005),
    ("email_unsubscribed", 0.0015),
)
LESSON_EVENTS = ("lesson_viewed", "video_started", "video_completed", "lesson_completed", "video_1_started")
ANONYMOUS_EVENTS = ("lesson_viewed", "paywall_viewed", "video_1_started")
ANNUAL_SHARE = 0.3


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_select(model: type[models.Model], given: dict[str, str], source: str, params: list[Any]) -> int:
    """INSERT INTO <model> SELECT … FROM <source>: `given` maps column → SQL expression; every other
    column gets its field's Python default as a parameter (so fields other apps add with a default keep
    working), `now()` for auto_now(_add) fields, or NULL."""
    columns, exprs, defaults = [], [], []
    for field in model._meta.concrete_fields:
        column = field.column
        columns.append(_q(column))
        if column in given:
            exprs.append(given[column])
        elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            exprs.append("now()")
        elif field.has_default():
            exprs.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            exprs.append("NULL")
        else:
            raise CommandError(f"Cannot generate {model.__name__}.{field.name}: no default and not nullable.")
    # `given` expressions take no parameters (and no literal %), so the defaults' parameters come first, in
    # column order, then the source's.
    # Only quoted identifiers and this module's own SQL fragments are interpolated; values are parameters.
    sql = f"INSERT INTO {_q(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *params])
        return cursor.rowcount


class Command(BaseCommand):
    help = "Generate synthetic learners, subscriptions, progress and events (PostgreSQL), then roll up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=100_000, help="How many events (default 100,000).")
        parser.add_argument("--days", type=int, default=365, help="Spread them over the last N days (default 365).")
        parser.add_argument("--users", type=int, help="How many learners (default: events / 100, at least 100).")
        parser.add_argument("--batch", type=int, default=250_000, help="Events per INSERT (default 250,000).")
        parser.add_argument("--seed", type=float, default=0.42, help="Random seed in [-1, 1] (default 0.42).")
        parser.add_argument("--no-rollup", action="store_true", help="Leave the daily rollups alone.")
        parser.add_argument("--force", action="store_true", help="Run with DEBUG off (never on a live site).")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("analytics_generate needs PostgreSQL: set DATABASE_URL to a PostgreSQL database.")
        if not settings.DEBUG and not options["force"]:
            raise CommandError("analytics_generate writes synthetic learners and events; with DEBUG off pass --force.")
        events, days = options["events"], options["days"]
        if events < 1 or days < 1 or options["batch"] < 1:
            raise CommandError("--events, --days and --batch must be positive.")
        users = options["users"] or max(100, events // 100)
        tag = "gen" + secrets.token_hex(3)
        now = timezone.now()
        started = clock.monotonic()

        lessons = list(Lesson.objects.order_by("module__order", "order").values_list("pk", flat=True))
        if not lessons:
            demo_course_load()
            lessons = list(Lesson.objects.order_by("module__order", "order").values_list("pk", flat=True))
            self.stdout.write(f"No lessons yet: loaded the demo course ({len(lessons)} lessons).")

        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [options["seed"]])
        with transaction.atomic():
            self._users(tag, users)
            self._subscriptions(tag, now)
            self._progress(tag, lessons)
        self._events(tag, events, days, options["batch"], lessons, now)
        self._mrr_history(days, now)
        with connection.cursor() as cursor:
            for model in (Event, User, Subscription, LessonProgress):
                cursor.execute(f"ANALYZE {_q(model._meta.db_table)}")
        if not options["no_rollup"]:
            step = clock.monotonic()
            result = rollup_rebuild()
            mrr_snapshot_record()
            completion_snapshot_record()
            self.stdout.write(f"Rolled up {result.days} days in {clock.monotonic() - step:.1f} s.")
        elapsed = clock.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {events:,} events, {users:,} learners (tag {tag}) in {elapsed:.1f} s "
                f"({events / elapsed:,.0f} events/s)."
            )
        )

    def _users(self, tag: str, users: int) -> None:
        # A temporary map n → user id, joined by every later statement (an array parameter would be
        # walked element by element on each row).
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS gen_users")
            cursor.execute(
                "CREATE TEMPORARY TABLE gen_users (n integer PRIMARY KEY, id text NOT NULL) ON COMMIT PRESERVE ROWS"
            )
            cursor.execute("INSERT INTO gen_users SELECT n, %s || 'u' || n FROM generate_series(1, %s) n", [tag, users])
        _insert_select(
            User,
            {
                "id": "g.id",
                "email": "g.id || '@generated.invalid'",
                "password": "'!generated'",
                "onboarding_complete": "(mod(g.n, 5) <> 0)",
                "last_login": "now() - random() * interval '30 days'",
            },
            "gen_users g",
            [],
        )
        self.stdout.write(f"{users:,} learners.")

    def _subscriptions(self, tag: str, now: datetime) -> None:
        count = _insert_select(
            Subscription,
            {
                "id": "g.id || 's'",
                "user_id": "g.id",
                "stripe_customer_id": "'cus_' || g.id",
                "stripe_subscription_id": "'sub_' || g.id",
                # One in twelve learners subscribes; most stay active.
                "status": (
                    "CASE WHEN mod(g.n, 120) = 0 THEN 'CANCELLED' WHEN mod(g.n, 204) = 0 THEN 'PAST_DUE' "
                    "ELSE 'ACTIVE' END"
                ),
                "plan": f"CASE WHEN random() < {ANNUAL_SHARE} THEN 'ANNUAL' ELSE 'MONTHLY' END",
                "current_period_start": "now() - interval '10 days'",
                "current_period_end": "now() + interval '20 days'",
            },
            "gen_users g WHERE mod(g.n, 12) = 0",
            [],
        )
        self.stdout.write(f"{count:,} subscriptions.")

    def _progress(self, tag: str, lessons: list[str]) -> None:
        # Fewer learners reach each later lesson; most who start one finish it.
        count = _insert_select(
            LessonProgress,
            {
                "id": "g.id || 'p' || l.rank",
                "user_id": "g.id",
                "lesson_id": "l.id",
                "completed": "(random() < 0.7)",
                "completed_at": "now() - random() * interval '60 days'",
            },
            "gen_users g CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS l(id, rank) "
            # `+ 0 * g.n`: keeps the draw per (learner, lesson); alone, it would be pushed down to the lessons.
            "WHERE random() + 0 * g.n < 0.6 * power(0.8, l.rank - 1)",
            [lessons],
        )
        self.stdout.write(f"{count:,} lesson progress rows.")

    def _events(self, tag: str, events: int, days: int, batch: int, lessons: list[str], now: datetime) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM gen_users")
            users = cursor.fetchone()[0]
        cases, cumulative = [], 0.0
        for name, share in EVENT_MIX:
            cumulative += share
            cases.append(f"WHEN r.x < {cumulative:.6f} THEN '{name}'")
        name_sql = f"CASE {' '.join(cases)} ELSE 'lesson_viewed' END"
        lesson_list = ", ".join(f"'{n}'" for n in LESSON_EVENTS)
        anonymous_list = ", ".join(f"'{n}'" for n in ANONYMOUS_EVENTS)
        start = now - timedelta(days=days)
        span = (now - start).total_seconds()
        # Interpolated: this module's constants only (event names, shares); values are parameters.
        sql = f"""
            INSERT INTO {_q(Event._meta.db_table)} (id, user_id, session_id, event, properties, created_at)
            SELECT %(tag)s || 'e' || g,
                   CASE WHEN e.name IN ({anonymous_list}) AND r.a < 0.3 THEN NULL ELSE u.id END,
                   CASE WHEN e.name IN ({anonymous_list}) AND r.a < 0.3
                        THEN %(tag)s || 'a' || (r.a * 1000000)::int ELSE %(tag)s || 's' || u.n END,
                   e.name,
                   CASE WHEN e.name = 'subscription_started'
                            THEN jsonb_build_object('plan',
                                 CASE WHEN r.p < {ANNUAL_SHARE} THEN 'ANNUAL' ELSE 'MONTHLY' END)
                        WHEN e.name IN ({lesson_list}) AND cardinality(%(lessons)s::text[]) > 0
                            THEN jsonb_build_object('lesson_id',
                                 (%(lessons)s::text[])[1 + floor(r.p * cardinality(%(lessons)s::text[]))::int])
                        ELSE NULL END,
                   %(start)s::timestamptz + ((g - 1 + r.j) / %(events)s::float8) * %(span)s * interval '1 second'
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g
            CROSS JOIN LATERAL (SELECT random() AS x, random() AS p, random() AS a, random() AS j,
                                       -- a skewed pick: some learners are far more active than others
                                       1 + floor(power(random(), 2) * %(users)s)::int AS un, g AS keep) r
            CROSS JOIN LATERAL (SELECT {name_sql} AS name) e
            JOIN gen_users u ON u.n = r.un
        """  # noqa: S608
        with tqdm(total=events, unit="ev", unit_scale=True, desc="events", disable=None) as bar:
            for lo in range(1, events + 1, batch):
                hi = min(lo + batch - 1, events)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        sql,
                        {
                            "tag": tag,
                            "lessons": lessons,
                            "start": start.astimezone(UTC),
                            "span": span,
                            "events": events,
                            "lo": lo,
                            "hi": hi,
                            "users": users,
                        },
                    )
                bar.update(hi - lo + 1)

    def _mrr_history(self, days: int, now: datetime) -> None:
        """One snapshot per past day without one: a steady climb to today's MRR (history for the trend chart;
        real snapshots are never overwritten)."""

        today_mrr = mrr()
        today = now.astimezone(UTC).date()
        rows = []
        for i in range(days, 0, -1):
            share = Decimal(1) - Decimal(i) / Decimal(days) * Decimal("0.6")
            rows.append(MrrSnapshot(day=today - timedelta(i), mrr=(today_mrr * share).quantize(Decimal("0.01"))))
        MrrSnapshot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
