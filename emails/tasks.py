"""Thin Celery tasks: they take ids, call the drain and are safe to run twice (DESIGN.md §8).
Retries are the database's (`attempts`, `next_attempt_at`), never Celery's."""

from __future__ import annotations

from celery import shared_task

from emails import drain


@shared_task(name="emails.tasks.email_send", ignore_result=True)
def email_send(queue_id: str) -> str | None:
    """Send one queue row now (dispatched on commit of the transaction that queued it)."""
    return drain.email_dispatch(queue_id=queue_id)


@shared_task(name="emails.tasks.email_queue_drain", ignore_result=True)
def email_queue_drain() -> dict[str, int]:
    """Every minute (beat): send every due row, batch by batch. Overlapping runs are safe."""
    return dict(drain.email_queue_drain())
