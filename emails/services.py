"""The email queue's write interface: queueing and cancelling (every other app goes through
these), the admin's queue actions and the suppression list. Sending is the drain's
(`emails/drain.py`); templates are rendered by `emails/rendering.py`. Unsubscribing is accounts'
preference service, which the unsubscribe view calls: emails never calls up into accounts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from emails.models import EmailQueue, EmailStatus, EmailSuppression, EmailTemplate
from emails.tasks import email_send

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


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
    A row due now is handed to a worker when that transaction commits; later ones wait for the
    beat drain. Send-time guards decide at send time, not here.
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
    if not created:
        return None
    if item.scheduled_for <= timezone.now():
        email_dispatch_on_commit(queue_ids=[item.pk])
    return item


def email_queue_replace(
    *,
    user: User,
    template: str,
    idempotency_key: str,
    scheduled_for: datetime,
    data: dict[str, Any] | None = None,
) -> EmailQueue | None:
    """Make this the learner's one pending `template` row (INACTIVE_NUDGE, RENEWAL_REMINDER: "replaces
    the pending one"). Other pending rows of the template are cancelled; this key's row is created, or
    revived if it had been cancelled (a renewal switched off and on again for the same period end), so
    replaying the same cause keeps exactly one pending row. A row already SENT or FAILED is left alone:
    the same email is never sent twice. Returns the pending row, or None when there is none."""
    if template not in EmailTemplate.values:
        raise UnknownEmailTemplate(f"Unknown email template {template!r}.")
    with transaction.atomic():
        EmailQueue.objects.filter(user_id=user.pk, template=template, status=EmailStatus.PENDING).exclude(
            idempotency_key=idempotency_key
        ).update(status=EmailStatus.CANCELLED, processed_at=timezone.now(), last_error="replaced")
        item = email_queue(
            user=user, template=template, idempotency_key=idempotency_key, scheduled_for=scheduled_for, data=data
        )
        if item is not None:
            return item
        revived = EmailQueue.objects.filter(idempotency_key=idempotency_key, status=EmailStatus.CANCELLED).update(
            status=EmailStatus.PENDING,
            scheduled_for=scheduled_for,
            data=data,
            processed_at=None,
            attempts=0,
            next_attempt_at=None,
            last_error="",
            locked_until=None,
            lock_token="",
        )
        existing = EmailQueue.objects.get(idempotency_key=idempotency_key)
        if revived and scheduled_for <= timezone.now():
            email_dispatch_on_commit(queue_ids=[existing.pk])
    return existing if existing.status == EmailStatus.PENDING else None


def email_dispatch_on_commit(*, queue_ids: Iterable[str]) -> None:
    """After the current transaction commits, hand these rows to a worker (a thin task per id).
    `robust`: a broker that is down must not fail the request whose data already committed;
    the beat drain sends the rows a minute later."""

    def dispatch(queue_id: str) -> Callable[[], object]:
        return lambda: email_send.delay(queue_id)

    for queue_id in queue_ids:
        transaction.on_commit(dispatch(queue_id), robust=True)


def email_cancel_pending(*, user: User, templates: Iterable[str]) -> int:
    """Cancel `user`'s pending rows of these templates; returns how many. Idempotent."""
    templates = list(templates)
    unknown = set(templates) - set(EmailTemplate.values)
    if unknown:
        raise UnknownEmailTemplate(f"Unknown email templates {sorted(unknown)!r}.")
    return EmailQueue.objects.filter(user_id=user.pk, template__in=templates, status=EmailStatus.PENDING).update(
        status=EmailStatus.CANCELLED, processed_at=timezone.now(), last_error="cancelled by trigger"
    )


# --- The admin's queue actions -----------------------------------------------------------------


def email_queue_cancel(*, queue_ids: Iterable[str], reason: str = "cancelled by an operator") -> int:
    """Cancel these rows if still PENDING; returns how many. A row being sent right now is locked;
    the update waits for it and then, finding it SENT, leaves it alone."""
    return EmailQueue.objects.filter(pk__in=list(queue_ids), status=EmailStatus.PENDING).update(
        status=EmailStatus.CANCELLED, processed_at=timezone.now(), last_error=reason
    )


def email_queue_send_now(*, queue_ids: Iterable[str]) -> int:
    """Make these PENDING rows due now (skipping any backoff wait) and dispatch them on commit.
    The send-time guards still apply."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            EmailQueue.objects.filter(pk__in=list(queue_ids), status=EmailStatus.PENDING).values_list("pk", flat=True)
        )
        EmailQueue.objects.filter(pk__in=ids, scheduled_for__gt=now).update(scheduled_for=now)
        EmailQueue.objects.filter(pk__in=ids).update(next_attempt_at=None)
        email_dispatch_on_commit(queue_ids=ids)
    return len(ids)


def email_queue_retry(*, queue_ids: Iterable[str]) -> int:
    """Put FAILED or CANCELLED rows back to PENDING with a fresh attempt budget; the ones already
    due are dispatched on commit. Their EmailLog history stays."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            EmailQueue.objects.filter(
                pk__in=list(queue_ids), status__in=[EmailStatus.FAILED, EmailStatus.CANCELLED]
            ).values_list("pk", flat=True)
        )
        EmailQueue.objects.filter(pk__in=ids).update(
            status=EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=None,
            processed_at=None,
            last_error="",
            locked_until=None,
            lock_token="",
        )
        email_dispatch_on_commit(
            queue_ids=EmailQueue.objects.filter(pk__in=ids, scheduled_for__lte=now).values_list("pk", flat=True)
        )
    return len(ids)


# --- Suppression and unsubscribing -------------------------------------------------------------


def email_suppression_add(*, email: str, reason: str, detail: str = "") -> tuple[EmailSuppression, bool]:
    """Never send to `email` again. Idempotent: an address already listed keeps its first reason."""
    suppression, created = EmailSuppression.objects.get_or_create(
        email=email.strip().lower(), defaults={"reason": reason, "detail": detail[:2000]}
    )
    if created:
        logger.info("suppressed %s (%s)", suppression.email, reason)
    return suppression, created
