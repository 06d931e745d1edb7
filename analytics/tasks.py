"""Beat tasks (thin: each calls services; safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from analytics.services import (
    completion_snapshot_record,
    mrr_snapshot_record,
    progress_churn_snapshot_record,
    rollup_refresh_due,
)


@shared_task
def analytics_rollup() -> dict[str, object]:
    """Hourly: roll up the whole days not rolled up yet (and re-do the last one), snapshot today's MRR and
    the completion by module and churn by learning progress."""
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
