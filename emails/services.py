"""The email queue's write interface. Sending, templates and the drain live beside it
(tasks.py, the emails issue); every other app queues and cancels only through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from emails.models import EmailQueue, EmailStatus, EmailTemplate

if TYPE_CHECKING:
    from accounts.models import User


class UnknownEmailTemplate(ValueError):
    pass


def email_queue(
    *,
    user: User,
    template: str,
    idempotency_key: str,
    scheduled_for: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> EmailQueue | None:
    """Queue `template` for `user` at `scheduled_for` (now when omitted).

    Idempotent: the key names what the email is about (`welcome:<user>`,
    `module_complete:<user>:<module>`); a second call with the same key queues nothing and
    returns None. Call inside the transaction of the cause, so both commit or neither does.
    """
    if template not in EmailTemplate.values:
        raise UnknownEmailTemplate(f"Unknown email template {template!r}.")
    with transaction.atomic():
        item, created = EmailQueue.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "user": user,
                "template": template,
                "scheduled_for": scheduled_for or timezone.now(),
                "data": data,
            },
        )
    return item if created else None


def email_cancel_pending(*, user: User, templates: Iterable[str]) -> int:
    """Cancel `user`'s pending rows of these templates; returns how many. Idempotent."""
    templates = list(templates)
    unknown = set(templates) - set(EmailTemplate.values)
    if unknown:
        raise UnknownEmailTemplate(f"Unknown email templates {sorted(unknown)!r}.")
    return EmailQueue.objects.filter(user_id=user.pk, template__in=templates, status=EmailStatus.PENDING).update(
        status=EmailStatus.CANCELLED, processed_at=timezone.now(), last_error="cancelled by trigger"
    )
