"""Beat tasks (thin: each calls services; safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from analytics.buffer import events_buffered_flush
from analytics.services import (
    completion_snapshot_record,
    mrr_snapshot_record,
    progress_churn_snapshot_record,
    rollup_refresh_due,
)
from config.locks import single_flight


@shared_task
def analytics_rollup() -> dict[str, object]:
    """Hourly: roll up the whole days not rolled up yet (and re-do the last one), snapshot today's MRR and
    the completion by module and churn by learning progress. With several beat schedulers the same tick
    arrives more than once: one run at a time (a database lock); the others return at once, since the running
    one does the same work."""
    with single_flight("analytics.tasks.analytics_rollup") as mine:
        if not mine:
            return {"skipped": "another rollup is running"}
        return _rollup()


@shared_task
def analytics_events_flush() -> dict[str, object]:
    """Every few seconds: write the buffered lesson views (analytics/buffer.py; one flush at a time)."""
    return {"written": events_buffered_flush()}


def _rollup() -> dict[str, object]:
    result = rollup_refresh_due()
    snapshot = mrr_snapshot_record()
    modules = completion_snapshot_record()
    progress_churn_snapshot_record()
    return {
        "rolled_up_days": result.days,
        "first_day": str(result.first_day) if result.first_day else None,
        "last_day": str(result.last_day) if result.last_day else None,
        "mrr": str(snapshot.mrr),
        "completion_modules": modules,
    }
