"""Operator alerts for the admin index: what is failing or falling behind, each with a link to the rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse

from config.provider_events import OPEN_STATUSES, ProviderEventStatus
from emails.models import EmailStatus
from ops.selectors import SystemState, system_state

# The drain runs every minute; a due email older than this means no worker is draining.
DRAIN_BEHIND = timedelta(minutes=5)
# The rollup runs hourly; two missed runs is a stopped beat or a failing task.
ROLLUP_BEHIND = timedelta(hours=2)
# A webhook event is processed within seconds of arriving; this long unprocessed means the queue is stuck.
WEBHOOK_BEHIND = timedelta(minutes=10)


@dataclass(frozen=True)
class Alert:
    message: str
    url: str


def _changelist(model: str, **filters: str) -> str:
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def alerts_from(state: SystemState) -> list[Alert]:
    found: list[Alert] = []
    failed_emails = state.emails_by_status.get(EmailStatus.FAILED, 0)
    if failed_emails:
        found.append(
            Alert(
                f"{failed_emails} email{'s' if failed_emails != 1 else ''} failed after every retry.",
                _changelist("emails_emailqueue", status__exact=EmailStatus.FAILED),
            )
        )
    if state.oldest_due_email_at is not None and state.oldest_due_email_age > DRAIN_BEHIND.total_seconds():
        minutes = int(state.oldest_due_email_age // 60)
        found.append(
            Alert(
                f"The email drain is behind: the oldest due email has waited {minutes} minutes "
                "(is a Celery worker and beat running?).",
                _changelist("emails_emailqueue", status__exact=EmailStatus.PENDING),
            )
        )
    models = {"stripe": "billing_stripeevent", "mux": "courses_muxevent"}
    for backlog in state.webhooks:
        name = backlog.provider.capitalize()
        failed = backlog.count(ProviderEventStatus.FAILED)
        if failed:
            found.append(
                Alert(
                    f"{failed} {name} webhook event{'s' if failed != 1 else ''} failed to process.",
                    _changelist(models[backlog.provider], status__exact=ProviderEventStatus.FAILED),
                )
            )
        oldest = backlog.oldest_unprocessed_at
        if oldest is not None and state.now - oldest > WEBHOOK_BEHIND:
            found.append(
                Alert(
                    f"{name} webhook events are waiting to be processed (oldest since {oldest:%Y-%m-%d %H:%M} UTC).",
                    _changelist(models[backlog.provider], status__in=",".join(OPEN_STATUSES)),
                )
            )
    lag = state.rollup_lag
    if lag is not None and lag > ROLLUP_BEHIND.total_seconds():
        found.append(
            Alert(
                f"Analytics rollups are {int(lag // 3600)} hours behind (the hourly task has not finished since).",
                reverse("analytics:dashboard"),
            )
        )
    return found


def operator_alerts() -> list[Alert]:
    return alerts_from(system_state())
