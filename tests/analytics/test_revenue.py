"""The dashboard's revenue numbers: trial conversion, churn per month, cancellation reasons, saves and
churn by learning progress — each equal to a hand count, from rollups and live edges alike, at a fixed
number of queries whatever the size of the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from analytics.models import EventName
from analytics.selectors import revenue_report, window_for_days
from analytics.services import progress_churn_snapshot_record, rollup_refresh
from billing.models import CancelFlow, CancelOutcome, SubscriptionStatus
from tests.analytics.factories import EventFactory
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 14, 30, tzinfo=UTC)
WINDOW = window_for_days(first_day=date(2026, 1, 1), last_day=date(2026, 3, 15))


def _subscription(*, started: datetime, ended: datetime | None = None, finished_module: bool = False):
    row = SubscriptionFactory(
        status=SubscriptionStatus.CANCELLED if ended else SubscriptionStatus.ACTIVE,
        stripe_status="canceled" if ended else "active",
        stripe_created_at=started,
        ended_at=ended,
    )
    if finished_module:
        EventFactory(user=row.user, event=EventName.MODULE_COMPLETED, created_at=started + timedelta(days=3))
    if ended:
        EventFactory(user=row.user, event=EventName.SUBSCRIPTION_CANCELLED, created_at=ended)
    return row


def _dataset(scale: int = 1) -> None:
    for _ in range(scale):
        _subscription(started=datetime(2025, 11, 1, tzinfo=UTC), finished_module=True)
        _subscription(started=datetime(2025, 12, 1, tzinfo=UTC))
        _subscription(started=datetime(2025, 12, 5, tzinfo=UTC), ended=datetime(2026, 1, 20, tzinfo=UTC))
        _subscription(
            started=datetime(2025, 12, 9, tzinfo=UTC), ended=datetime(2026, 2, 3, tzinfo=UTC), finished_module=True
        )
        _subscription(started=datetime(2026, 1, 10, tzinfo=UTC), ended=datetime(2026, 3, 14, tzinfo=UTC))
        for day, event in [(5, EventName.TRIAL_STARTED), (6, EventName.TRIAL_STARTED), (7, EventName.TRIAL_STARTED)]:
            EventFactory(event=event, created_at=datetime(2026, 2, day, tzinfo=UTC))
        EventFactory(event=EventName.TRIAL_CONVERTED, created_at=datetime(2026, 2, 20, tzinfo=UTC))
        EventFactory(event=EventName.TRIAL_CONVERTED, created_at=datetime(2026, 3, 15, 9, tzinfo=UTC))  # today, live
        EventFactory(event=EventName.TRIAL_STARTED, created_at=datetime(2025, 12, 1, tzinfo=UTC))  # before the window
        row = _subscription(started=datetime(2025, 10, 1, tzinfo=UTC))
        for reason, outcome in [
            ("TOO_EXPENSIVE", CancelOutcome.DISCOUNTED),
            ("TOO_EXPENSIVE", CancelOutcome.CANCELLED),
            ("NOT_ENOUGH_TIME", CancelOutcome.PAUSED),
            ("TOO_EXPENSIVE", CancelOutcome.OPEN),
        ]:
            flow = CancelFlow.objects.create(
                user=row.user, subscription=row, reason=reason, outcome=outcome, plan_before="MONTHLY"
            )
            CancelFlow.objects.filter(pk=flow.pk).update(created_at=datetime(2026, 2, 10, tzinfo=UTC))


@pytest.mark.parametrize("rolled_up", [False, True])
def test_revenue_numbers_equal_a_hand_count(rolled_up):
    with time_machine.travel(NOW, tick=False):
        _dataset()
        if rolled_up:
            rollup_refresh(first_day=date(2025, 10, 1), last_day=date(2026, 3, 13))
            progress_churn_snapshot_record()
        report = revenue_report(window=WINDOW)
    assert report.by_progress_as_of == (NOW if rolled_up else None)

    assert (report.trials_started, report.trials_converted) == (3, 2)
    assert report.trial_conversion == pytest.approx(2 / 3)
    # Live at each month's first instant / ended during it.
    assert [(m.month, m.active_at_start, m.cancelled) for m in report.churn] == [
        (date(2026, 1, 1), 5, 1),  # Oct, Nov, Dec x3 started; none ended yet
        (date(2026, 2, 1), 5, 1),  # + Jan 10, - Jan 20
        (date(2026, 3, 1), 4, 1),  # - Feb 3
    ]
    assert report.churn[0].rate == pytest.approx(1 / 5)
    assert report.cancel_flows.started == 4 and report.cancel_flows.saved == 2
    assert report.cancel_flows.saves_ratio == pytest.approx(0.5)
    assert report.cancel_flows.reasons == [("It costs too much", 3), ("I don't have time right now", 1)]
    finished, other = report.by_progress
    assert (finished.subscribers, finished.churned) == (2, 1)
    assert (other.subscribers, other.churned) == (4, 2)


def test_revenue_numbers_cost_the_same_queries_at_any_size(django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        with django_assert_num_queries(7):  # no snapshot yet: churn by progress is counted live
            revenue_report(window=WINDOW)
        _dataset(scale=3)
        rollup_refresh(first_day=date(2025, 10, 1), last_day=date(2026, 3, 13))
        progress_churn_snapshot_record()
        with django_assert_num_queries(6):
            report = revenue_report(window=window_for_days(first_day=date(2025, 3, 16), last_day=date(2026, 3, 15)))
    assert len(report.churn) == 13


def test_the_admin_dashboard_shows_the_revenue_section(client, admin_user):
    with time_machine.travel(NOW, tick=False):
        _dataset()
        client.force_login(admin_user)
        page = client.get("/admin/analytics/?start=2026-01-01&end=2026-03-15").content.decode()
    assert "Trials, churn and retention" in page
    assert "66.7%" in page  # trial conversion
    assert "50.0%" in page  # saves
    assert "It costs too much" in page and "Finished at least one module" in page
