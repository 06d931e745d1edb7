"""The seed's four analytics queries (section 7), adapted only to Django's table and column names.

`NOW()` becomes a parameter so the tests can move the clock with time-machine (PostgreSQL's NOW() is
the real transaction time). MRR: the seed writes `399/12`, which PostgreSQL evaluates as integer
division (33, not 33.25); DESIGN.md §5 states the intent — 399/12 per annual subscription — so the
adapted query divides as numeric.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

FUNNEL = """
SELECT
  COUNT(*) FILTER (WHERE event = 'signup_completed') as signups,
  COUNT(*) FILTER (WHERE event = 'onboarding_completed') as onboarded,
  COUNT(*) FILTER (WHERE event = 'video_1_completed') as activated,
  COUNT(*) FILTER (WHERE event = 'paywall_viewed') as saw_paywall,
  COUNT(*) FILTER (WHERE event = 'subscription_started') as converted
FROM analytics_event
WHERE created_at > %(now)s - INTERVAL '30 days'
"""

PLAN_SPLIT = """
SELECT
  (properties->>'plan') as plan,
  COUNT(*) as count
FROM analytics_event
WHERE event = 'subscription_started'
  AND created_at > %(now)s - INTERVAL '30 days'
GROUP BY properties->>'plan'
"""

MRR = """
SELECT
  SUM(CASE WHEN plan = 'MONTHLY' THEN 49 ELSE 399/12.0 END) as mrr
FROM billing_subscription
WHERE status = 'ACTIVE'
"""

COMPLETION = """
SELECT
  m.title,
  COUNT(DISTINCT lp.user_id) as users_started,
  COUNT(DISTINCT lp.user_id) FILTER (WHERE lp.completed = true) as users_completed
FROM courses_module m
JOIN courses_lesson l ON l.module_id = m.id
LEFT JOIN progress_lessonprogress lp ON lp.lesson_id = l.id
GROUP BY m.id
ORDER BY m.order
"""

# The same windowed counts, for an arbitrary [start, end) window and per UTC day (daily charts).
FUNNEL_BETWEEN = FUNNEL.replace(
    "WHERE created_at > %(now)s - INTERVAL '30 days'", "WHERE created_at >= %(start)s AND created_at < %(end)s"
)
SIGNUPS_BY_DAY = """
SELECT (created_at AT TIME ZONE 'UTC')::date, COUNT(*) FROM analytics_event
WHERE event = 'signup_completed' AND created_at > %(now)s - INTERVAL '30 days'
GROUP BY 1 ORDER BY 1
"""
ACTIVE_LEARNERS_BY_DAY = """
SELECT (created_at AT TIME ZONE 'UTC')::date, COUNT(DISTINCT user_id) FROM analytics_event
WHERE user_id IS NOT NULL AND created_at > %(now)s - INTERVAL '30 days'
  AND event IN ('lesson_viewed', 'video_1_started', 'video_1_completed', 'video_started', 'video_completed',
                'lesson_completed', 'module_completed')
GROUP BY 1 ORDER BY 1
"""


def run(sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def funnel(now: datetime) -> dict[str, int]:
    (row,) = run(FUNNEL, now=now)
    return dict(zip(("signups", "onboarded", "activated", "saw_paywall", "converted"), row, strict=True))


def funnel_between(start: datetime, end: datetime) -> dict[str, int]:
    (row,) = run(FUNNEL_BETWEEN, start=start, end=end)
    return dict(zip(("signups", "onboarded", "activated", "saw_paywall", "converted"), row, strict=True))


def plan_split(now: datetime) -> dict[str | None, int]:
    return dict(run(PLAN_SPLIT, now=now))


def mrr() -> Decimal:
    (row,) = run(MRR)
    return Decimal(row[0] or 0).quantize(Decimal("0.01"))


def completion() -> list[tuple[str, int, int]]:
    return [tuple(row) for row in run(COMPLETION)]  # type: ignore[misc]
