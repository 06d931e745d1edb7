import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from analytics.models import DailyActivity, EventDailyCount, MrrSnapshot
from analytics.selectors import dashboard, default_window, module_completion, module_completion_live, window_for_days
from analytics.services import completion_snapshot_record, rollup_refresh, rollup_refresh_due
from billing.models import SubscriptionPlan, SubscriptionStatus
from tests.accounts.factories import UserFactory
from tests.analytics import seed_sql
from tests.analytics.factories import EventFactory, random_events
from tests.billing.factories import SubscriptionFactory
from tests.courses.factories import LessonFactory, ModuleFactory
from tests.progress.factories import LessonProgressFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 14, 30, 12, 345678, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def funnel_of(data):
    return {step.key: step.count for step in data.funnel}


def test_funnel_equals_a_hand_computed_small_case(frozen):
    ago = lambda **kw: frozen - timedelta(**kw)  # noqa: E731
    # Inside the last 30 days: 4 sign-ups, 3 onboarded, 2 activated, 5 paywall views, 1 subscription.
    for hours in (1, 30, 200, 700):
        EventFactory(event="signup_completed", created_at=ago(hours=hours))
    for hours in (2, 31, 201):
        EventFactory(event="onboarding_completed", created_at=ago(hours=hours))
    for hours in (3, 32):
        EventFactory(event="video_1_completed", created_at=ago(hours=hours))
    for hours in (4, 5, 6, 33, 34):
        EventFactory(event="paywall_viewed", created_at=ago(hours=hours))
    EventFactory(event="subscription_started", properties={"plan": "ANNUAL"}, created_at=ago(hours=7))
    # Outside it, or not a funnel event: none of these count.
    EventFactory(event="signup_completed", created_at=ago(days=30))  # exactly 30 days: the seed's `>` excludes it
    EventFactory(event="subscription_started", properties={"plan": "MONTHLY"}, created_at=ago(days=45))
    EventFactory(event="lesson_viewed", created_at=ago(hours=1))

    data = dashboard(window=default_window())

    assert [(s.key, s.count) for s in data.funnel] == [
        ("signups", 4),
        ("onboarded", 3),
        ("activated", 2),
        ("saw_paywall", 5),
        ("converted", 1),
    ]
    assert [s.rate for s in data.funnel] == [None, 3 / 4, 2 / 3, 5 / 2, 1 / 5]
    assert data.overall_conversion == 1 / 4
    assert [(p.plan, p.count) for p in data.plans] == [("ANNUAL", 1)]
    # Rolling the same data up changes nothing.
    rollup_refresh_due()
    assert funnel_of(dashboard(window=default_window())) == funnel_of(data)


def _dataset(frozen, count=1500):
    users = UserFactory.create_batch(12)
    random_events(rng=random.Random(8), now=frozen, count=count, users=users)
    return users


@pytest.mark.parametrize("rollups", ["none", "all", "up to 10 days ago", "stale and today"])
def test_each_metric_equals_the_seed_sql(frozen, rollups):
    _dataset(frozen)
    if rollups == "all":
        rollup_refresh_due()
    elif rollups == "up to 10 days ago":
        rollup_refresh(first_day=date(2026, 1, 1), last_day=frozen.date() - timedelta(10))
    elif rollups == "stale and today":
        rollup_refresh_due()
        # A rollup row for today (or later) must never be trusted: today is still being written.
        EventDailyCount.objects.create(day=frozen.date(), event="signup_completed", count=1000)
        DailyActivity.objects.create(day=frozen.date(), active_learners=1000)

    data = dashboard(window=default_window())

    assert funnel_of(data) == seed_sql.funnel(frozen)
    assert {p.plan: p.count for p in data.plans} == seed_sql.plan_split(frozen)
    by_day = {d.day: d for d in data.days}
    assert dict(seed_sql.run(seed_sql.SIGNUPS_BY_DAY, now=frozen)) == {d.day: d.signups for d in data.days if d.signups}
    assert dict(seed_sql.run(seed_sql.ACTIVE_LEARNERS_BY_DAY, now=frozen)) == {
        d.day: d.active_learners for d in data.days if d.active_learners
    }
    assert min(by_day) == (frozen - timedelta(days=30)).date() and max(by_day) == frozen.date()


def test_a_chosen_range_equals_the_seed_sql_over_the_same_days(frozen):
    _dataset(frozen)
    rollup_refresh_due()
    window = window_for_days(first_day=date(2026, 2, 20), last_day=date(2026, 3, 15))
    data = dashboard(window=window)
    assert window.start == datetime(2026, 2, 20, tzinfo=UTC) and window.end == datetime(2026, 3, 16, tzinfo=UTC)
    assert funnel_of(data) == seed_sql.funnel_between(window.start, window.end)
    assert len(data.days) == 24 and data.rolled_through == date(2026, 3, 14)


def test_mrr_equals_the_seed_sql_and_the_trend_uses_snapshots_and_today_live(frozen):
    SubscriptionFactory.create_batch(3, plan=SubscriptionPlan.MONTHLY)
    SubscriptionFactory.create_batch(2, plan=SubscriptionPlan.ANNUAL)
    SubscriptionFactory(plan=SubscriptionPlan.MONTHLY, status=SubscriptionStatus.CANCELLED)
    SubscriptionFactory(plan=SubscriptionPlan.ANNUAL, status=SubscriptionStatus.PAST_DUE)
    MrrSnapshot.objects.create(day=frozen.date() - timedelta(2), mrr=Decimal("100.00"))
    MrrSnapshot.objects.create(day=frozen.date(), mrr=Decimal("1.00"))  # stale: today shows live MRR
    MrrSnapshot.objects.create(day=frozen.date() - timedelta(60), mrr=Decimal("5.00"))  # outside the range

    data = dashboard(window=default_window())

    assert data.mrr == seed_sql.mrr() == Decimal("213.50")  # 3 * 49 + 2 * 399/12
    assert data.mrr_trend == [(frozen.date() - timedelta(2), Decimal("100.00")), (frozen.date(), Decimal("213.50"))]


def test_completion_by_module_equals_the_seed_sql(frozen):
    first = ModuleFactory(order=1, title="First")
    second = ModuleFactory(order=2, title="Second", published=False)  # the seed's query counts it too
    ModuleFactory(order=3, title="No lessons")  # the seed's inner join leaves it out
    a1, a2 = LessonFactory(module=first, order=1), LessonFactory(module=first, order=2, published=False)
    b1 = LessonFactory(module=second, order=1)
    u1, u2, u3 = UserFactory.create_batch(3)
    LessonProgressFactory(user=u1, lesson=a1, completed=True)
    LessonProgressFactory(user=u1, lesson=a2, completed=False)
    LessonProgressFactory(user=u2, lesson=a1, completed=False)
    LessonProgressFactory(user=u2, lesson=a2, completed=True)
    LessonProgressFactory(user=u3, lesson=a1, completed=False)
    LessonProgressFactory(user=u3, lesson=b1, completed=False)

    expected = [("First", 3, 2), ("Second", 1, 0)]
    assert seed_sql.completion() == expected

    live, as_of = module_completion()  # no snapshot yet: counted live
    assert as_of is None
    assert [(m.title, m.users_started, m.users_completed) for m in live] == expected
    assert live[0].rate == 2 / 3 and live[1].published is False

    assert completion_snapshot_record() == 2
    LessonProgressFactory(user=UserFactory(), lesson=b1, completed=True)  # after the snapshot
    snapshot, as_of = module_completion()
    assert as_of == frozen
    assert [(m.title, m.users_started, m.users_completed) for m in snapshot] == expected
    assert [(m.title, m.users_started, m.users_completed) for m in module_completion_live()] == seed_sql.completion()
    completion_snapshot_record()
    assert [(m.users_started, m.users_completed) for m in module_completion()[0]] == [(3, 2), (2, 1)]
    second.title = "Renamed"
    second.save()
    assert module_completion()[0][1].title == "Renamed"  # titles are read fresh


def test_the_default_window_is_the_seeds_and_ends_with_today(frozen):
    window = default_window()
    assert window.start == frozen - timedelta(days=30) + timedelta(microseconds=1)
    assert window.end == datetime(2026, 3, 16, tzinfo=UTC)
    assert window.first_day == date(2026, 2, 13) and window.last_day == date(2026, 3, 15)
    assert len(window.days) == 31


def test_the_dashboard_costs_the_same_queries_at_any_size(frozen, django_assert_num_queries):
    # Before the first beat run: completion is counted live (one query more).
    with django_assert_num_queries(9):
        dashboard(window=default_window())
    _dataset(frozen, count=3000)
    for module in ModuleFactory.create_batch(3):
        LessonFactory(module=module, order=1)
    with django_assert_num_queries(9):
        dashboard(window=default_window())
    rollup_refresh_due()
    completion_snapshot_record()
    with django_assert_num_queries(8):
        dashboard(window=default_window())
    _dataset(frozen, count=3000)
    with django_assert_num_queries(8):
        dashboard(window=default_window())
    with django_assert_num_queries(8):
        dashboard(window=window_for_days(first_day=date(2025, 3, 16), last_day=date(2026, 3, 15)))
