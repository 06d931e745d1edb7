"""The dashboard's numbers: the seed's four queries (section 7) plus daily sign-ups and active learners.

Speed at millions of events: whole UTC days come from the rollup tables (`EventDailyCount`,
`DailyActivity`, kept current by the hourly beat task); only the parts of the window the rollups do
not cover — the partial first day of "the last 30 days", today, and any day the beat has not reached
yet — are counted from `Event`, through its `created_at` / `(event, created_at)` indexes. The totals are
therefore exactly the seed's SQL over the same window, and the dashboard costs a fixed number of
queries whatever the size of the data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from analytics.models import (
    LEARNING_EVENTS,
    CompletionSnapshot,
    DailyActivity,
    Event,
    EventDailyCount,
    EventName,
    MrrSnapshot,
    ProgressChurnSnapshot,
)
from billing.models import SubscriptionStatus
from billing.selectors import CancelFlowSummary, cancel_flow_summary, started_subscriptions, subscribers_at
from billing.selectors import mrr as current_mrr
from courses.models import Module

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years of daily points is still a readable chart

# The seed's funnel, in order: (key, event, label).
FUNNEL_STEPS: tuple[tuple[str, str, str], ...] = (
    ("signups", EventName.SIGNUP_COMPLETED, "Signed up"),
    ("onboarded", EventName.ONBOARDING_COMPLETED, "Onboarded"),
    ("activated", EventName.VIDEO_1_COMPLETED, "Activated (finished video 1)"),
    ("saw_paywall", EventName.PAYWALL_VIEWED, "Saw the paywall"),
    ("converted", EventName.SUBSCRIPTION_STARTED, "Subscribed"),
)
FUNNEL_EVENTS = tuple(event for _, event, _ in FUNNEL_STEPS)


# `properties->>'plan'`, with "" for none (the rollup's unique key cannot hold NULL on every database).
_PLAN = Coalesce(KT("properties__plan"), Value(""), output_field=CharField())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _ceil_midnight(moment: datetime) -> datetime:
    floor = _midnight(moment.astimezone(UTC).date())
    return floor if floor == moment else floor + timedelta(1)


def _floor_midnight(moment: datetime) -> datetime:
    return _midnight(moment.astimezone(UTC).date())


@dataclass(frozen=True)
class Window:
    """Events with `start <= created_at < end` (UTC)."""

    start: datetime
    end: datetime
    is_default: bool = False

    @property
    def first_day(self) -> date:
        return self.start.astimezone(UTC).date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).astimezone(UTC).date()

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(i) for i in range((self.last_day - self.first_day).days + 1)]


def default_window(*, now: datetime | None = None) -> Window:
    """The seed's window, `"createdAt" > NOW() - INTERVAL '30 days'`, up to the end of today.
    Timestamps have microsecond resolution, so `> t` is exactly `>= t + 1 µs`."""
    now = now or timezone.now()
    start = now - timedelta(days=DEFAULT_DAYS) + timedelta(microseconds=1)
    return Window(start=start, end=_floor_midnight(now) + timedelta(1), is_default=True)


def window_for_days(*, first_day: date, last_day: date) -> Window:
    """Whole UTC days `first_day`..`last_day`, both included."""
    return Window(start=_midnight(first_day), end=_midnight(last_day) + timedelta(1))


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    count: int
    rate: float | None  # share of the previous step (None for the first step or when it is 0)


@dataclass(frozen=True)
class PlanCount:
    plan: str | None  # `properties->>'plan'`; None where the event had no plan
    count: int


@dataclass(frozen=True)
class ModuleCompletion:
    module_id: str
    title: str
    published: bool
    users_started: int
    users_completed: int

    @property
    def rate(self) -> float | None:
        return self.users_completed / self.users_started if self.users_started else None


@dataclass(frozen=True)
class Day:
    day: date
    counts: dict[str, int]  # funnel key -> events that day
    active_learners: int
    mrr: Decimal | None  # the day's snapshot (live for today); None where none was taken

    @property
    def signups(self) -> int:
        return self.counts.get("signups", 0)


@dataclass(frozen=True)
class Dashboard:
    window: Window
    funnel: list[FunnelStep]
    plans: list[PlanCount]
    mrr: Decimal
    completion: list[ModuleCompletion]
    completion_as_of: datetime | None  # when the completion snapshot was taken (None: counted live)
    days: list[Day]
    rolled_through: date | None  # last day served from rollups (None: everything was counted live)
    rollups_end: date | None  # last day the rollups hold at all (None: never rolled up)
    today: date

    @property
    def rollups_behind_days(self) -> int:
        """Whole days before yesterday that are not rolled up (the hourly beat task keeps this at 0)."""
        if self.rollups_end is None:
            return 0
        return max((self.today - timedelta(1) - self.rollups_end).days - 1, 0)

    @property
    def overall_conversion(self) -> float | None:
        first, last = self.funnel[0].count, self.funnel[-1].count
        return last / first if first else None

    @property
    def mrr_trend(self) -> list[tuple[date, Decimal]]:
        return [(d.day, d.mrr) for d in self.days if d.mrr is not None]

    @property
    def average_active_learners(self) -> float:
        return sum(d.active_learners for d in self.days) / len(self.days) if self.days else 0.0

    @property
    def peak_active_learners(self) -> int:
        return max((d.active_learners for d in self.days), default=0)


@dataclass(frozen=True)
class _Split:
    """Which part of a window the rollups serve (whole days) and which is counted live."""

    rolled_first: date | None
    rolled_last: date | None
    span_last: date | None  # the last day the rollups hold, whatever the window
    live: tuple[tuple[datetime, datetime], tuple[datetime, datetime]]  # the head and tail counted from Event

    def live_q(self) -> Q:
        # Always both segments, empty or not: the live queries run (and are counted) the same way every time.
        head, tail = self.live
        return Q(created_at__gte=head[0], created_at__lt=head[1]) | Q(created_at__gte=tail[0], created_at__lt=tail[1])


def _split(window: Window, *, now: datetime) -> _Split:
    span = DailyActivity.objects.aggregate(first=Min("day"), last=Max("day"))
    everything_live = _Split(None, None, span["last"], ((window.start, window.end), (window.end, window.end)))
    if span["first"] is None:
        return everything_live
    lo = max(_ceil_midnight(window.start), _midnight(span["first"]))
    # Never trust a rollup of today: today is still being written.
    hi = min(_floor_midnight(window.end), _midnight(span["last"]) + timedelta(1), _floor_midnight(now))
    if lo >= hi:
        return everything_live
    return _Split(lo.date(), (hi - timedelta(1)).date(), span["last"], ((window.start, lo), (hi, window.end)))


def module_completion_live() -> list[ModuleCompletion]:
    """The seed's "completion rate by module", counted now: per module (in order) with at least one lesson,
    the distinct learners with progress on any of its lessons and those with a completed one. All modules and
    lessons, published or not (as the seed's SQL). One query, whose cost grows with learners x lessons."""
    rows = (
        Module.objects.filter(lessons__isnull=False)
        .annotate(
            users_started=Count("lessons__progress__user", distinct=True),
            users_completed=Count(
                "lessons__progress__user", distinct=True, filter=Q(lessons__progress__completed=True)
            ),
        )
        .order_by("order")
        .values_list("pk", "title", "published", "users_started", "users_completed")
    )
    return [ModuleCompletion(*row) for row in rows]


def module_completion() -> tuple[list[ModuleCompletion], datetime | None]:
    """Completion by module from the latest snapshot (taken hourly by the beat task) and when it was taken;
    counted live (as of None) only while no snapshot exists. One query with a snapshot, two without."""
    snapshots = list(
        CompletionSnapshot.objects.select_related("module")
        .order_by("module__order")
        .values_list("module_id", "module__title", "module__published", "users_started", "users_completed", "taken_at")
    )
    if not snapshots:
        return module_completion_live(), None
    return [ModuleCompletion(*row[:5]) for row in snapshots], min(row[5] for row in snapshots)


def dashboard(*, window: Window, now: datetime | None = None) -> Dashboard:
    """Everything `/admin/analytics/` shows for `window`. A fixed number of queries: 8 (9 while no
    completion snapshot exists yet), whatever the number of events, learners or days."""

    now = now or timezone.now()
    split = _split(window, now=now)
    key_for_event = {event: key for key, event, _ in FUNNEL_STEPS}
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    plans: dict[str, int] = defaultdict(int)

    def add(day: date, event: str, plan: str, n: int) -> None:
        key = key_for_event[event]
        per_day[day][key] = per_day[day].get(key, 0) + n
        if event == EventName.SUBSCRIPTION_STARTED:
            plans[plan] += n

    rolled_first = split.rolled_first or date.max
    rolled_last = split.rolled_last or date.min
    for day, event, plan, n in EventDailyCount.objects.filter(
        day__gte=rolled_first, day__lte=rolled_last, event__in=FUNNEL_EVENTS
    ).values_list("day", "event", "plan", "count"):
        add(day, event, plan, n)

    live = Event.objects.filter(split.live_q())
    for row in (
        live.filter(event__in=FUNNEL_EVENTS)
        .annotate(day=TruncDate("created_at", tzinfo=UTC), plan=_PLAN)
        .values("day", "event", "plan")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        add(row["day"], row["event"], row["plan"], row["n"])

    learners = dict(
        DailyActivity.objects.filter(day__gte=rolled_first, day__lte=rolled_last).values_list("day", "active_learners")
    )
    learners.update(
        live.filter(user__isnull=False, event__in=LEARNING_EVENTS)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("user", distinct=True))
        .order_by()
        .values_list("day", "n")
    )

    mrr_now = current_mrr()
    snapshots = dict(
        MrrSnapshot.objects.filter(day__gte=window.first_day, day__lte=window.last_day).values_list("day", "mrr")
    )
    today = now.astimezone(UTC).date()
    if window.first_day <= today <= window.last_day:
        snapshots[today] = mrr_now

    completion, completion_as_of = module_completion()

    totals = {key: sum(c.get(key, 0) for c in per_day.values()) for key, _, _ in FUNNEL_STEPS}
    funnel: list[FunnelStep] = []
    previous: int | None = None
    for key, _, label in FUNNEL_STEPS:
        count = totals[key]
        funnel.append(FunnelStep(key, label, count, (count / previous) if previous else None))
        previous = count

    return Dashboard(
        window=window,
        funnel=funnel,
        plans=sorted((PlanCount(plan or None, n) for plan, n in plans.items()), key=lambda p: (-p.count, p.plan or "")),
        mrr=mrr_now,
        completion=completion,
        completion_as_of=completion_as_of,
        days=[
            Day(day=d, counts=dict(per_day.get(d, {})), active_learners=learners.get(d, 0), mrr=snapshots.get(d))
            for d in window.days
        ],
        rolled_through=split.rolled_last,
        rollups_end=split.span_last,
        today=today,
    )


def user_has_event(*, user_id: str, name: str) -> bool:
    """Has this user ever recorded `name`? (Served by the (event, created_at) and user indexes.)"""
    return Event.objects.filter(user_id=user_id, event=name).exists()


def user_has_event_annotation(*, name: str) -> Exists:
    """`user_has_event` as an expression for a query of users (`.annotate(started=…)`): the email drain
    asks it of a whole chunk of recipients inside the one query that reads them (served by the user index)."""
    return Exists(Event.objects.filter(user_id=OuterRef("pk"), event=name))


def user_events(*, user: User) -> QuerySet[Event]:
    """All of `user`'s events, oldest first (the data export)."""
    return Event.objects.filter(user=user).order_by("created_at")


def module_completers() -> QuerySet[Event]:
    """`module_completed` events (for joins on their user: "finished at least one module")."""
    return Event.objects.filter(event=EventName.MODULE_COMPLETED)


@dataclass(frozen=True)
class ProgressChurn:
    label: str
    subscribers: int
    churned: int

    @property
    def rate(self) -> float | None:
        return self.churned / self.subscribers if self.subscribers else None


def churn_by_progress() -> list[ProgressChurn]:
    """Every subscriber who ever started, split by whether they finished at least one module
    (a `module_completed` event), with how many of each have since ended: the funnel that joins learning
    and revenue. One query. `user_id IN (…)` rather than a correlated EXISTS: PostgreSQL hashes the
    finishers once (one pass over the `(event, created_at)` index) instead of probing events per subscriber,
    which at millions of events took minutes."""
    finished = ExpressionWrapper(Q(user_id__in=module_completers().values("user_id")), output_field=BooleanField())
    rows = (
        started_subscriptions()
        .annotate(finished=finished)
        .values("finished")
        .annotate(n=Count("pk"), churned=Count("pk", filter=Q(status=SubscriptionStatus.CANCELLED)))
        .order_by()
    )
    by_group = {row["finished"]: (row["n"], row["churned"]) for row in rows}
    counts = {
        "finished": by_group.get(True, (0, 0))[0],
        "finished_churned": by_group.get(True, (0, 0))[1],
        "other": by_group.get(False, (0, 0))[0],
        "other_churned": by_group.get(False, (0, 0))[1],
    }
    return [
        ProgressChurn("Finished at least one module", counts["finished"], counts["finished_churned"]),
        ProgressChurn("Finished no module", counts["other"], counts["other_churned"]),
    ]


# --- revenue and retention (issue 16) ------------------------------------------------------------

REVENUE_EVENTS = (
    EventName.TRIAL_STARTED,
    EventName.TRIAL_CONVERTED,
    EventName.SUBSCRIPTION_CANCELLED,
)


@dataclass(frozen=True)
class MonthChurn:
    month: date  # the first day of the month
    active_at_start: int
    cancelled: int

    @property
    def rate(self) -> float | None:
        return self.cancelled / self.active_at_start if self.active_at_start else None


@dataclass(frozen=True)
class RevenueReport:
    trials_started: int
    trials_converted: int
    churn: list[MonthChurn]
    cancel_flows: CancelFlowSummary
    by_progress: list[ProgressChurn]
    by_progress_as_of: datetime | None  # when the snapshot was taken (None: counted live)

    @property
    def trial_conversion(self) -> float | None:
        return self.trials_converted / self.trials_started if self.trials_started else None


def _month_start(day: date) -> date:
    return day.replace(day=1)


def revenue_report(*, window: Window, now: datetime | None = None) -> RevenueReport:
    """Trial conversion, churn per month, cancellation reasons, saves and churn by learning progress for
    `window`. Event counts come from the daily rollups plus the live edges, like `dashboard`; churn by progress
    from its hourly snapshot; the rest from billing's selectors (subscriptions and cancel flows: one row per
    learner or flow, not per event). A fixed 6 queries (7 before the first snapshot) whatever the number of
    events, learners or months.

    Churn rate of a month = subscriptions that ended in it (`subscription_cancelled`) ÷ subscriptions live
    at its first instant. Trial conversion = trials converted ÷ trials started in the window (a trial
    started late in the window may convert after it)."""
    now = now or timezone.now()
    split = _split(window, now=now)
    counts: dict[str, int] = defaultdict(int)
    cancelled_by_month: dict[date, int] = defaultdict(int)

    def add(day: date, event: str, n: int) -> None:
        counts[event] += n
        if event == EventName.SUBSCRIPTION_CANCELLED:
            cancelled_by_month[_month_start(day)] += n

    rolled_first = split.rolled_first or date.max
    rolled_last = split.rolled_last or date.min
    for day, event, n in EventDailyCount.objects.filter(
        day__gte=rolled_first, day__lte=rolled_last, event__in=REVENUE_EVENTS
    ).values_list("day", "event", "count"):
        add(day, event, n)
    for row in (
        Event.objects.filter(split.live_q(), event__in=REVENUE_EVENTS)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "event")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        add(row["day"], row["event"], row["n"])

    by_progress, by_progress_as_of = progress_churn()
    months = sorted({_month_start(d) for d in window.days})
    live = subscribers_at(moments=[_midnight(m) for m in months])
    return RevenueReport(
        trials_started=counts[EventName.TRIAL_STARTED],
        trials_converted=counts[EventName.TRIAL_CONVERTED],
        churn=[MonthChurn(m, live[_midnight(m)], cancelled_by_month.get(m, 0)) for m in months],
        cancel_flows=cancel_flow_summary(start=window.start, end=window.end),
        by_progress=by_progress,
        by_progress_as_of=by_progress_as_of,
    )


def progress_churn() -> tuple[list[ProgressChurn], datetime | None]:
    """Churn by learning progress from the hourly snapshot and when it was taken; counted live (as of None)
    only while no snapshot exists. One query with a snapshot, two without."""
    snapshot = ProgressChurnSnapshot.objects.filter(pk=1).first()
    if snapshot is None:
        return churn_by_progress(), None
    return [
        ProgressChurn("Finished at least one module", snapshot.finished, snapshot.finished_churned),
        ProgressChurn("Finished no module", snapshot.other, snapshot.other_churned),
    ], snapshot.taken_at
