"""One protocol for every provider's webhooks (Stripe's, Mux's): receive → verify → store once →
dispatch → handler, with processing as a job (DESIGN.md §12, STYLE.md "Webhooks follow one path").

- The view verifies the signature on the raw body (400 otherwise), stores the event once by the
  provider's id (`provider_event_store`) and answers 200 at once; nothing slow happens in the request.
- When that insert commits, a thin Celery task (`<app>.tasks.<provider>_event_process`) runs
  `provider_event_process`, which dispatches the stored payload to the provider's handler.
- A handler returns normally (PROCESSED), raises `EventIgnored` (IGNORED, the reason kept in
  `error`), or fails (any other exception): the attempt is counted and the event waits for the
  sweeper with exponential backoff, and after `MAX_ATTEMPTS` it is FAILED for an operator.
- The beat sweeper (`provider_events_due`) queues every event left RECEIVED (a lost task, a broker
  outage at commit) or RETRYING and due, so no event is ever lost to the broker.
- An event is claimed with a lease (`locked_until`) taken by one UPDATE and committed before its
  handler runs, so a handler never runs twice at once for one event, and no row lock is held while
  it calls a provider. Handlers are idempotent (they converge on the provider's state), so a
  handler re-run after a worker died mid-event is safe.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.ids import new_id

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4 … 64 minutes between attempts: about two hours in all
BACKOFF_MAX = timedelta(hours=2)
# Longer than a handler may take (the task's hard time limit): a live worker never loses its lease,
# a dead one's event is due again soon after.
LEASE = timedelta(minutes=5)
# Received but never claimed for this long: its task was lost (broker down at commit); the sweeper queues it.
UNCLAIMED_GRACE = timedelta(seconds=30)


class ProviderEventStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    PROCESSED = "PROCESSED", "Processed"
    IGNORED = "IGNORED", "Ignored"
    RETRYING = "RETRYING", "Failed, will retry"
    FAILED = "FAILED", "Failed"


# Statuses whose event still needs its handler to run.
OPEN_STATUSES = (ProviderEventStatus.RECEIVED, ProviderEventStatus.RETRYING)


class ProviderEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=new_id, editable=False)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=ProviderEventStatus.choices, default=ProviderEventStatus.RECEIVED)
    error = models.TextField(blank=True, default="")
    # Why an operator should look at this event although it may have been processed (e.g. an API version
    # other than the pinned one). Empty when nothing is odd.
    flag = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class EventIgnored(Exception):
    """The event is stored and answered 200 but changes nothing (the message says why)."""


E = TypeVar("E", bound=ProviderEvent)


def _rows(model: type[E]) -> models.QuerySet[E]:
    return model._default_manager.all()


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: 1, 2, 4 … minutes, capped."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def provider_event_store(*, model: type[E], lookup: dict[str, Any], defaults: dict[str, Any]) -> tuple[E, bool]:
    """Store a verified event once by its provider id (`lookup`). Returns (event, created).
    One INSERT (or a SELECT for a repeat); no lock is held after it."""
    return _rows(model).get_or_create(**lookup, defaults=defaults)


def provider_event_process(*, model: type[E], event_pk: str, handle: Callable[[E], object]) -> E | None:
    """Run `handle` on the stored event if it is open and nobody holds it; record the outcome.

    Safe to call twice or concurrently: the lease UPDATE lets one caller in, the others return the
    event as it stands. Call outside any transaction: the handler owns its transactions (and makes
    its provider calls before taking any lock). Returns None when the event does not exist.
    """
    now = timezone.now()
    claimed = (
        _rows(model)
        .filter(pk=event_pk, status__in=OPEN_STATUSES)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=now + LEASE, attempts=F("attempts") + 1)
    )
    event = _rows(model).filter(pk=event_pk).first()
    if not claimed or event is None:
        return event
    outcome: dict[str, Any] = {"locked_until": None, "next_attempt_at": None}
    try:
        handle(event)
        outcome.update(status=ProviderEventStatus.PROCESSED, error="", processed_at=timezone.now())
    except EventIgnored as exc:
        logger.warning("%s %s (%s) ignored: %s", model.__name__, event.pk, event.type, exc)
        outcome.update(status=ProviderEventStatus.IGNORED, error=str(exc), processed_at=timezone.now())
    except Exception as exc:  # any handler failure is stored and retried; the provider already has its 200
        final = event.attempts >= MAX_ATTEMPTS
        logger.exception(
            "%s %s (%s) failed on attempt %s%s",
            model.__name__,
            event.pk,
            event.type,
            event.attempts,
            ": giving up" if final else "",
        )
        outcome.update(
            status=ProviderEventStatus.FAILED if final else ProviderEventStatus.RETRYING,
            error=f"{exc.__class__.__name__}: {exc}\n\n{traceback.format_exc()[-4000:]}",
            processed_at=None,
            next_attempt_at=None if final else timezone.now() + backoff(event.attempts),
        )
    _rows(model).filter(pk=event.pk).update(**outcome)
    event.refresh_from_db()
    return event


def provider_event_reopen(*, model: type[E], event_pk: str) -> int:
    """The admin's "reprocess": put a FAILED, IGNORED or RETRYING event back to RECEIVED with a fresh
    attempt budget. A PROCESSED event is left alone (its side effects are recorded). Returns 1 or 0."""
    return (
        _rows(model)
        .filter(pk=event_pk)
        .exclude(status=ProviderEventStatus.PROCESSED)
        .update(status=ProviderEventStatus.RECEIVED, error="", attempts=0, next_attempt_at=None, locked_until=None)
    )


def provider_events_due(*, model: type[E], now: datetime | None = None, limit: int = 500) -> list[str]:
    """Ids of events the sweeper must queue: RECEIVED ones nobody claimed within the grace period
    (their task was lost), and RETRYING ones whose backoff is over; never one under a live lease."""
    now = now or timezone.now()
    unclaimed = Q(status=ProviderEventStatus.RECEIVED, received_at__lte=now - UNCLAIMED_GRACE)
    retry_due = Q(status=ProviderEventStatus.RETRYING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    free = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    rows = _rows(model).filter((unclaimed | retry_due) & free).order_by("received_at")
    return list(rows.values_list("pk", flat=True)[:limit])


def on_commit_queue(task: Any, event_pk: str) -> None:
    """After the current transaction commits, queue `task(event_pk)`. A broker that is down must not
    fail the webhook whose event already committed (`robust`), nor make it wait for reconnects
    (`retry=False`): the sweeper queues the event once the broker is back."""
    transaction.on_commit(lambda: task.apply_async(args=(event_pk,), retry=False), robust=True)
