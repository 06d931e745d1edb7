"""The one way events are recorded (DESIGN.md §9), and the rollups the dashboard reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.db.models import CharField, Count, Min, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest
from django.utils import timezone

from analytics.buffer import event_buffer
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
from analytics.selectors import churn_by_progress, module_completion_live
from analytics.sessions import analytics_session_id
from billing.selectors import mrr

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class UnknownEventName(ValueError):
    pass


# `properties->>'plan'`, with "" for none (the rollup's unique key cannot hold NULL on every database).
_PLAN = Coalesce(KT("properties__plan"), Value(""), output_field=CharField())


def event_track(
    *,
    name: str,
    user: User | Any | None = None,
    session_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Event | None:
    """Record `name` for a user or an anonymous session id, with properties.

    An unknown name is a programming error and raises. A database failure is logged and
    swallowed (inside a transaction a savepoint keeps the caller's transaction usable; outside one
    the INSERT commits on its own): tracking never breaks a request.
    """
    if name not in _EVENT_NAMES:
        raise UnknownEventName(f"Unknown event name {name!r}.")
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    try:
        if not transaction.get_connection().in_atomic_block:
            # Autocommit (a page view): the INSERT is its own transaction already; a savepoint here
            # would cost a BEGIN and a COMMIT round trip on every request.
            return _event_insert(Event(event=name, user=user, session_id=session_id, properties=properties))
        with transaction.atomic():
            return Event.objects.create(event=name, user=user, session_id=session_id, properties=properties)
    except DatabaseError:
        logger.exception("event_track failed for %s", name)
        return None


def event_track_deferred(*, name: str, user: User | Any | None, properties: dict[str, Any] | None = None) -> None:
    """`event_track` for what is recorded on every view of a page (`lesson_viewed`): for a signed-in learner
    the row is built now and written within `ANALYTICS_EVENT_FLUSH_SECONDS` by the worker (analytics/buffer.py),
    so the page pays one Redis command instead of an INSERT and its commit. Anonymous, or with the buffer
    unavailable, it is `event_track`: recorded at once."""
    if name not in _EVENT_NAMES:
        raise UnknownEventName(f"Unknown event name {name!r}.")
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if signed_in and event_buffer(Event(event=name, user=user, properties=properties)):
        return
    event_track(name=name, user=user, properties=properties)


_EVENT_NAMES = frozenset(EventName.values)  # `EventName.values` builds a new list on every read
_EVENT_INSERT: dict[str, str] = {}  # the statement, per database vendor


def _event_insert(event: Event) -> Event:
    """`event.save()` as one plain INSERT: a page view's hot path (every lesson view records one), where the
    ORM's save machinery cost more than the statement itself (~0.3 vs ~0.1 ms of CPU). The values go through
    each field's own database preparation, so the row is the one `save()` would write; Event has no signal
    receivers that a save would have called."""
    connection = transaction.get_connection()
    fields = Event._meta.concrete_fields
    statement = _EVENT_INSERT.get(connection.vendor)
    if statement is None:
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        table = connection.ops.quote_name(Event._meta.db_table)
        # Identifiers from the model's own metadata, values as parameters: nothing from a request in the text.
        statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        _EVENT_INSERT[connection.vendor] = statement
    values = [field.get_db_prep_save(field.pre_save(event, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def event_track_for_request(
    *, request: HttpRequest, name: str, properties: dict[str, Any] | None = None
) -> Event | None:
    """`event_track` for whoever made `request`: the signed-in user (if any) and this browser's
    analytics session id (created on first use). Never raises for a broken session; an unknown
    name still raises (a programming error)."""
    try:
        session_id: str | None = analytics_session_id(request)
    except Exception:  # a session backend outage must not break the page being tracked
        logger.exception("analytics session id unavailable for %s", name)
        session_id = None
    return event_track(name=name, user=getattr(request, "user", None), session_id=session_id, properties=properties)


def event_session_link(*, user: User, session_id: str) -> int:
    """Attribute the anonymous events of `session_id` to `user` (called when that visitor signs up).
    Only rows with no user are touched, so it is idempotent. Returns the number of events linked."""
    if not session_id:
        return 0
    try:
        with transaction.atomic():
            return Event.objects.filter(session_id=session_id, user__isnull=True).update(user=user)
    except DatabaseError:
        logger.exception("event_session_link failed for session %s", session_id)
        return 0


# --- Rollups ------------------------------------------------------------------------------------

# How many of the last rolled-up days each refresh recomputes: an event written in a transaction that
# commits just after a run still lands in its day's row on the next run.
ROLLUP_REDO_DAYS = 1


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class RollupResult:
    first_day: date | None
    last_day: date | None
    days: int


def rollup_refresh(*, first_day: date, last_day: date) -> RollupResult:
    """Recompute the rollups of UTC days `first_day`..`last_day` (inclusive) from `Event`.

    Idempotent: the days' rows are replaced in one transaction, and every day gets a `DailyActivity`
    row (zero or not), so the rolled span stays contiguous. Two queries over the span's events.
    Today and later are never rolled up: today is still being written (the dashboard reads it live).
    """
    last_day = min(last_day, timezone.now().astimezone(UTC).date() - timedelta(1))
    if last_day < first_day:
        return RollupResult(None, None, 0)
    events = Event.objects.filter(
        created_at__gte=day_start(first_day), created_at__lt=day_start(last_day + timedelta(1))
    )
    counts = (
        events.annotate(day=TruncDate("created_at", tzinfo=UTC), plan=_PLAN)
        .values("day", "event", "plan")
        .annotate(n=Count("pk"))
        .order_by()
    )
    learners = dict(
        events.filter(user__isnull=False, event__in=LEARNING_EVENTS)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("user", distinct=True))
        .order_by()
        .values_list("day", "n")
    )
    now = timezone.now()
    days = [first_day + timedelta(i) for i in range((last_day - first_day).days + 1)]
    with transaction.atomic():
        EventDailyCount.objects.filter(day__gte=first_day, day__lte=last_day).delete()
        DailyActivity.objects.filter(day__gte=first_day, day__lte=last_day).delete()
        EventDailyCount.objects.bulk_create(
            [EventDailyCount(day=r["day"], event=r["event"], plan=r["plan"], count=r["n"]) for r in counts],
            batch_size=5000,
        )
        DailyActivity.objects.bulk_create(
            [DailyActivity(day=d, active_learners=learners.get(d, 0), rolled_up_at=now) for d in days],
            batch_size=5000,
        )
    return RollupResult(first_day, last_day, len(days))


def rollup_refresh_due(*, now: datetime | None = None) -> RollupResult:
    """Roll up every whole UTC day not rolled up yet, up to yesterday, re-doing the last rolled day(s).
    With no rollups yet it starts at the first event's day. Today stays live (the dashboard reads it raw)."""
    now = now or timezone.now()
    yesterday = now.astimezone(UTC).date() - timedelta(1)
    last = DailyActivity.objects.order_by("-day").values_list("day", flat=True).first()
    if last is not None:
        first_day = min(last - timedelta(ROLLUP_REDO_DAYS - 1), yesterday)
    else:
        first_event = Event.objects.aggregate(first=Min("created_at"))["first"]
        if first_event is None:
            return RollupResult(None, None, 0)
        first_day = first_event.astimezone(UTC).date()
    return rollup_refresh(first_day=first_day, last_day=yesterday)


def rollup_rebuild() -> RollupResult:
    """Drop every rollup and roll up all history again (after importing or generating past events)."""
    with transaction.atomic():
        EventDailyCount.objects.all().delete()
        DailyActivity.objects.all().delete()
        return rollup_refresh_due()


def mrr_snapshot_record(*, now: datetime | None = None) -> MrrSnapshot:
    """Store today's MRR (UTC day), replacing an earlier snapshot of the same day. Idempotent."""

    now = now or timezone.now()
    snapshot, _ = MrrSnapshot.objects.update_or_create(
        day=now.astimezone(UTC).date(), defaults={"mrr": mrr(), "taken_at": now}
    )
    return snapshot


def completion_snapshot_record(*, now: datetime | None = None) -> int:
    """Count completion by module now (the seed's query) and replace the snapshot the dashboard reads.
    Idempotent. Returns the number of modules in the snapshot."""

    now = now or timezone.now()
    rows = module_completion_live()
    with transaction.atomic():
        CompletionSnapshot.objects.all().delete()
        CompletionSnapshot.objects.bulk_create(
            [
                CompletionSnapshot(
                    module_id=row.module_id,
                    users_started=row.users_started,
                    users_completed=row.users_completed,
                    taken_at=now,
                )
                for row in rows
            ]
        )
    return len(rows)


def progress_churn_snapshot_record(*, now: datetime | None = None) -> ProgressChurnSnapshot:
    """Count churn by learning progress now (`analytics.selectors.churn_by_progress`) and replace the row
    the dashboard reads. Idempotent."""
    finished, other = churn_by_progress()
    snapshot, _ = ProgressChurnSnapshot.objects.update_or_create(
        pk=1,
        defaults={
            "finished": finished.subscribers,
            "finished_churned": finished.churned,
            "other": other.subscribers,
            "other_churned": other.churned,
            "taken_at": now or timezone.now(),
        },
    )
    return snapshot
