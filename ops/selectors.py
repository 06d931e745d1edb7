"""What an operator needs to know about the running system: queue depth, webhook backlog, rollup lag.

Read by the Prometheus endpoint (`ops.metrics`) and by the admin index's alert banner (`ops.alerts`).
A fixed number of aggregate queries whatever the data size: every count is one GROUP BY over an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.models import MrrSnapshot
from billing.models import StripeEvent
from config.provider_events import OPEN_STATUSES
from courses.models import MuxEvent
from emails.models import EmailLog, EmailQueue, EmailStatus

# How recent "drain throughput" is: sends logged in the last five minutes, per second.
THROUGHPUT_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class WebhookBacklog:
    provider: str
    by_status: dict[str, int]
    oldest_unprocessed_at: datetime | None  # rows whose handler has still to run (received, or retrying)

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)


@dataclass(frozen=True)
class SystemState:
    now: datetime
    emails_by_status: dict[str, int]
    oldest_due_email_at: datetime | None  # the earliest PENDING row whose time has come
    emails_sent_recently: int  # SENT logs within THROUGHPUT_WINDOW
    webhooks: list[WebhookBacklog] = field(default_factory=list)
    last_rollup_at: datetime | None = None  # when the hourly analytics task last ran to the end

    @property
    def oldest_due_email_age(self) -> float:
        """Seconds the oldest due email has waited (0 when nothing is due)."""
        if self.oldest_due_email_at is None:
            return 0.0
        return max((self.now - self.oldest_due_email_at).total_seconds(), 0.0)

    @property
    def drain_throughput(self) -> float:
        """Emails sent per second over the last five minutes."""
        return self.emails_sent_recently / THROUGHPUT_WINDOW.total_seconds()

    @property
    def rollup_lag(self) -> float | None:
        """Seconds since the analytics rollup last finished (None: it never ran)."""
        if self.last_rollup_at is None:
            return None
        return max((self.now - self.last_rollup_at).total_seconds(), 0.0)


def _webhook_backlog(provider: str, model: type[StripeEvent] | type[MuxEvent]) -> WebhookBacklog:
    rows = model.objects.order_by().values("status").annotate(n=Count("id"), oldest=Min("received_at"))
    by_status = {row["status"]: row["n"] for row in rows}
    oldest = min((row["oldest"] for row in rows if row["status"] in OPEN_STATUSES), default=None)
    return WebhookBacklog(provider=provider, by_status=by_status, oldest_unprocessed_at=oldest)


def system_state(*, now: datetime | None = None) -> SystemState:
    """Six aggregate queries, independent of how many rows there are."""
    now = now or timezone.now()
    emails = dict(EmailQueue.objects.order_by().values_list("status").annotate(n=Count("id")))
    # Due as the drain sees it (emails/drain.py): scheduled and past any retry backoff. A row waiting out
    # its backoff is not "behind"; its age counts from when its next attempt became due.
    oldest_due = (
        EmailQueue.objects.filter(
            Q(status=EmailStatus.PENDING, scheduled_for__lte=now)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        )
        .order_by()
        .aggregate(oldest=Min(Coalesce("next_attempt_at", "scheduled_for")))["oldest"]
    )
    sent_recently = EmailLog.objects.filter(status=EmailStatus.SENT, sent_at__gte=now - THROUGHPUT_WINDOW).count()
    last_rollup = MrrSnapshot.objects.order_by().aggregate(last=Max("taken_at"))["last"]
    return SystemState(
        now=now,
        emails_by_status=emails,
        oldest_due_email_at=oldest_due,
        emails_sent_recently=sent_recently,
        webhooks=[_webhook_backlog("stripe", StripeEvent), _webhook_backlog("mux", MuxEvent)],
        last_rollup_at=last_rollup,
    )
