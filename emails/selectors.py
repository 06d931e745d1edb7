"""Reads of the email records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from emails.models import EmailLog

if TYPE_CHECKING:
    from accounts.models import User


def user_email_logs(*, user: User) -> QuerySet[EmailLog]:
    """Every send attempt logged for `user`, oldest first (the data export)."""
    return EmailLog.objects.filter(user=user).order_by("sent_at")
