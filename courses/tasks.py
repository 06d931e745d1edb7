"""Thin Celery tasks for stored Mux events (config/provider_events.py): they take ids, call one
service and are safe to run twice. Retries are the database's (`attempts`, `next_attempt_at`)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from courses import services


@shared_task(
    name="courses.tasks.mux_event_process",
    ignore_result=True,
    soft_time_limit=settings.PROVIDER_EVENT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.PROVIDER_EVENT_TASK_TIME_LIMIT,
)
def mux_event_process(mux_event_pk: str) -> str | None:
    """Process one stored Mux event (queued when the webhook's insert commits, or by the sweeper)."""
    event = services.mux_event_process(mux_event_pk=mux_event_pk)
    return event.status if event else None


@shared_task(name="courses.tasks.mux_events_sweep", ignore_result=True)
def mux_events_sweep() -> int:
    """Every minute (beat): queue the Mux events left unprocessed or due for a retry."""
    due = services.mux_events_due()
    for pk in due:
        mux_event_process.apply_async(args=(pk,), retry=False)
    return len(due)
