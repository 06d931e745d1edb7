"""Thin Celery tasks for stored Stripe events (config/provider_events.py): they take ids, call one
service and are safe to run twice. Retries are the database's (`attempts`, `next_attempt_at`)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from billing import services


@shared_task(
    name="billing.tasks.stripe_event_process",
    ignore_result=True,
    soft_time_limit=settings.PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.PROVIDER_EVENT_TASK_TIME_LIMIT,
)
def stripe_event_process(stripe_event_pk: str) -> str | None:
    """Process one stored Stripe event (queued when the webhook's insert commits, or by the sweeper)."""
    event = services.stripe_event_process(stripe_event_pk=stripe_event_pk)
    return event.status if event else None


@shared_task(name="billing.tasks.stripe_events_sweep", ignore_result=True)
def stripe_events_sweep() -> int:
    """Every minute (beat): queue the events left unprocessed (a lost task, a broker outage) or due for
    a retry. Overlapping runs are safe: each event's lease lets one worker in."""
    due = services.stripe_events_due()
    for pk in due:
        stripe_event_process.apply_async(args=(pk,), retry=False)
    return len(due)
