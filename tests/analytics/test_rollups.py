import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from analytics.models import CompletionSnapshot, DailyActivity, EventDailyCount, MrrSnapshot
from analytics.services import mrr_snapshot_record, rollup_rebuild, rollup_refresh, rollup_refresh_due
from analytics.tasks import analytics_rollup
from billing.models import SubscriptionPlan
from config.celery import app
from tests.accounts.factories import UserFactory
from tests.analytics import seed_sql
from tests.analytics.factories import EventFactory, random_events
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
TODAY = NOW.date()

RAW_BY_DAY = """
SELECT (created_at AT TIME ZONE 'UTC')::date, event, COALESCE(properties->>'plan', ''), COUNT(*)
FROM analytics_event WHERE created_at < %(end)s GROUP BY 1, 2, 3
"""
RAW_LEARNERS = """
SELECT (created_at AT TIME ZONE 'UTC')::date, COUNT(DISTINCT user_id) FROM analytics_event
WHERE created_at < %(end)s AND user_id IS NOT NULL AND event IN ('lesson_viewed', 'video_1_started',
  'video_1_completed', 'video_started', 'video_completed', 'lesson_completed', 'module_completed')
GROUP BY 1
"""


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def rolled():
    return {(r.day, r.event, r.plan): r.count for r in EventDailyCount.objects.all()}


def test_a_refresh_equals_grouping_the_raw_events_and_is_idempotent(frozen):
    users = UserFactory.create_batch(8)
    random_events(rng=random.Random(1), now=frozen, count=800, users=users)
    end = datetime(2026, 3, 15, tzinfo=UTC)

    result = rollup_refresh(first_day=date(2026, 1, 1), last_day=TODAY)  # today is clamped off

    assert (result.first_day, result.last_day, result.days) == (date(2026, 1, 1), date(2026, 3, 14), 73)
    expected = {(d, e, p): n for d, e, p, n in seed_sql.run(RAW_BY_DAY, end=end)}
    assert rolled() == expected
    learners = dict(seed_sql.run(RAW_LEARNERS, end=end))
    assert {a.day: a.active_learners for a in DailyActivity.objects.all() if a.active_learners} == learners
    assert DailyActivity.objects.count() == 73  # every day, zero or not
    rollup_refresh(first_day=date(2026, 1, 1), last_day=TODAY)
    assert rolled() == expected and DailyActivity.objects.count() == 73


def test_the_due_refresh_starts_at_the_first_event_and_redoes_the_last_day(frozen):
    EventFactory(event="signup_completed", created_at=NOW - timedelta(days=5))
    assert rollup_refresh_due().days == 5  # Mar 10 .. Mar 14
    assert DailyActivity.objects.order_by("day").first().day == date(2026, 3, 10)
    # Written late (a transaction that committed after the run) on a day already rolled up: the next run sees it.
    EventFactory(event="signup_completed", created_at=datetime(2026, 3, 14, 23, 59, tzinfo=UTC))
    EventFactory(event="signup_completed", created_at=NOW)  # today: never rolled up
    assert rollup_refresh_due().days == 1
    assert rolled()[(date(2026, 3, 14), "signup_completed", "")] == 1
    assert not EventDailyCount.objects.filter(day=TODAY).exists()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        result = rollup_refresh_due()
    assert (result.first_day, result.last_day) == (date(2026, 3, 14), TODAY)
    assert rolled()[(TODAY, "signup_completed", "")] == 1


def test_no_events_no_rollups(frozen):
    assert rollup_refresh_due().days == 0
    assert not DailyActivity.objects.exists()


def test_rebuild_picks_up_imported_history(frozen):
    EventFactory(event="signup_completed", created_at=NOW - timedelta(days=2))
    rollup_refresh_due()
    EventFactory(event="signup_completed", created_at=NOW - timedelta(days=40))  # imported later
    rollup_refresh_due()
    assert sum(r.count for r in EventDailyCount.objects.all()) == 1
    assert rollup_rebuild().days == 40
    assert sum(r.count for r in EventDailyCount.objects.all()) == 2


def test_the_mrr_snapshot_is_one_per_day_and_the_last_one_wins(frozen):
    SubscriptionFactory(plan=SubscriptionPlan.MONTHLY)
    assert mrr_snapshot_record().mrr == Decimal("49.00")
    SubscriptionFactory(plan=SubscriptionPlan.ANNUAL)
    snapshot = mrr_snapshot_record()
    assert (snapshot.day, snapshot.mrr) == (TODAY, Decimal("82.25"))
    assert MrrSnapshot.objects.count() == 1


def test_the_hourly_beat_task_rolls_up_and_snapshots(frozen):
    EventFactory(event="signup_completed", created_at=NOW - timedelta(days=3))
    SubscriptionFactory(plan=SubscriptionPlan.MONTHLY)
    LessonFactory(module=ModuleFactory(order=1), order=1)
    result = analytics_rollup.delay().get()
    assert result == {
        "rolled_up_days": 3,
        "first_day": "2026-03-12",
        "last_day": "2026-03-14",
        "mrr": "49.00",
        "completion_modules": 1,
    }
    assert MrrSnapshot.objects.get().mrr == Decimal("49.00")
    assert CompletionSnapshot.objects.get().users_started == 0
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-rollup"]
    assert entry["task"] == analytics_rollup.name == "analytics.tasks.analytics_rollup"
    assert entry["task"] in app.tasks and entry["schedule"] == 3600.0
