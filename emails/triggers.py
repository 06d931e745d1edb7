"""The trigger table of seed §6 / DESIGN.md §8: what each cause queues, when, under which key.

Other apps call these from their services, inside the transaction of the cause. Send-time guards
(cancel unless …) are applied by the drain (`emails/guards.py`), not here. Every time-based trigger
is a row queued ahead with its `scheduled_for`, so no periodic scan is needed: the beat drain that
runs every minute is what fires them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from emails.drain import LEASE
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.services import email_cancel_pending, email_queue, email_queue_replace

if TYPE_CHECKING:
    from accounts.models import User
    from billing.models import Subscription
    from certificates.models import Certificate
    from courses.models import Module
    from qa.models import Post

START_JOURNEY_DELAY = timedelta(hours=24)
ABANDONMENT_DELAYS = {
    EmailTemplate.ABANDONMENT_1: timedelta(hours=1),
    EmailTemplate.ABANDONMENT_2: timedelta(hours=24),
    EmailTemplate.ABANDONMENT_3: timedelta(days=3),
}
INACTIVE_AFTER = timedelta(days=7)
RENEWAL_NOTICE = timedelta(days=3)
PAYMENT_FINAL_AFTER = timedelta(days=3)
QA_REPLY_EVERY = timedelta(hours=1)


def signup_emails_queue(*, user: User) -> None:
    """WELCOME now; START_JOURNEY at signup + 24 h (sent only if no `video_1_started` by then)."""
    email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key=f"welcome:{user.pk}")
    email_queue(
        user=user,
        template=EmailTemplate.START_JOURNEY,
        scheduled_for=user.created_at + START_JOURNEY_DELAY,
        idempotency_key=f"start_journey:{user.pk}",
    )


def inactive_nudge_reschedule(*, user: User, logged_in_at: datetime) -> None:
    """Each login replaces the pending INACTIVE_NUDGE with one at this login + 7 days (a replayed login
    keeps its one row)."""
    email_queue_replace(
        user=user,
        template=EmailTemplate.INACTIVE_NUDGE,
        scheduled_for=logged_in_at + INACTIVE_AFTER,
        data={"last_login_at": logged_in_at.isoformat()},
        idempotency_key=f"inactive_nudge:{user.pk}:{logged_in_at.isoformat()}",
    )


def abandonment_emails_queue(*, user: User, completed_at: datetime | None = None) -> None:
    """The free lesson's video was completed without access: ABANDONMENT_1/2/3 at +1 h / +24 h / +3 days.
    Once per learner, ever."""
    completed_at = completed_at or timezone.now()
    for template, delay in ABANDONMENT_DELAYS.items():
        email_queue(
            user=user,
            template=template,
            scheduled_for=completed_at + delay,
            idempotency_key=f"{template.lower()}:{user.pk}",
        )


def abandonment_emails_cancel(*, user: User) -> int:
    return email_cancel_pending(user=user, templates=list(ABANDONMENT_DELAYS))


def module_complete_email_queue(*, user: User, module: Module) -> None:
    """Once per (learner, module): completing it again queues nothing."""
    email_queue(
        user=user,
        template=EmailTemplate.MODULE_COMPLETE,
        data={"module_id": module.pk, "module_title": module.title},
        idempotency_key=f"module_complete:{user.pk}:{module.pk}",
    )


def renewal_reminder_reschedule(*, subscription: Subscription) -> None:
    """Replace the pending RENEWAL_REMINDER with one at current period end - 3 days (none when the
    subscription will not renew, or while it is paused: the resume re-queues it). Safe to call on every
    sync: the same period end keeps its one row."""
    contact = subscription.contact  # a team's billing mail goes to its billing contact
    if contact is None:
        return
    if subscription.cancel_at_period_end or not subscription.grants_access or subscription.has_pause:
        email_cancel_pending(user=contact, templates=[EmailTemplate.RENEWAL_REMINDER], about=_about(subscription))
        return
    period_end = subscription.current_period_end
    email_queue_replace(
        user=contact,
        template=EmailTemplate.RENEWAL_REMINDER,
        scheduled_for=max(period_end - RENEWAL_NOTICE, timezone.now()),
        data={"period_end": period_end.isoformat(), **_subscription_data(subscription)},
        idempotency_key=f"renewal_reminder:{subscription.pk}:{period_end.isoformat()}",
        about=_about(subscription),
    )


def payment_failed_emails_queue(*, subscription: Subscription, failed_at: datetime) -> None:
    """First failure of a dunning cycle: PAYMENT_FAILED now, PAYMENT_FAILED_FINAL at +3 days."""
    contact = subscription.contact
    if contact is None:
        return
    key = f"{subscription.pk}:{failed_at.isoformat()}"
    data = {"failed_at": failed_at.isoformat(), **_subscription_data(subscription)}
    email_queue(
        user=contact,
        template=EmailTemplate.PAYMENT_FAILED,
        data=data,
        idempotency_key=f"payment_failed:{key}",
    )
    email_queue(
        user=contact,
        template=EmailTemplate.PAYMENT_FAILED_FINAL,
        scheduled_for=failed_at + PAYMENT_FINAL_AFTER,
        data=data,
        idempotency_key=f"payment_failed_final:{key}",
    )


def payment_failed_final_cancel(*, subscription: Subscription) -> int:
    contact = subscription.contact
    if contact is None:
        return 0
    return email_cancel_pending(
        user=contact, templates=[EmailTemplate.PAYMENT_FAILED_FINAL], about=_about(subscription)
    )


def _about(subscription: Subscription) -> dict[str, object]:
    # Only this subscription's rows: a team admin who also pays for themself gets both subscriptions' mail.
    return {"subscription_id": subscription.pk}


def _subscription_data(subscription: Subscription) -> dict[str, object]:
    """What billing emails need about the subscription; a team's also carries its seat count."""
    data: dict[str, object] = {"subscription_id": subscription.pk, "plan": subscription.plan}
    if subscription.team_id:
        data["seats"] = subscription.quantity
    return data


def team_invite_email_queue(*, invited_by: User, invitation_id: str, to: str, sent_count: int) -> None:
    """TEAM_INVITE to `to` (who may have no account yet: the row's user is the inviting admin, the
    address rides in `data["to"]`). Once per (invitation, send): a resend is a new send."""
    email_queue(
        user=invited_by,
        template=EmailTemplate.TEAM_INVITE,
        data={"invitation_id": invitation_id, "to": to},
        idempotency_key=f"team_invite:{invitation_id}:{sent_count}",
    )


# --- revenue and retention (issue 16) ----------------------------------------------------------


def trial_ending_email_queue(*, subscription: Subscription) -> None:
    """Stripe's `trial_will_end` (3 days before): TRIAL_ENDING now, once per (subscription, trial end)."""
    if subscription.trial_end is None:
        return
    contact = subscription.contact  # a team's billing mail goes to its billing contact
    if contact is None:
        return
    email_queue(
        user=contact,
        template=EmailTemplate.TRIAL_ENDING,
        data={
            "subscription_id": subscription.pk,
            "trial_end": subscription.trial_end.isoformat(),
            "plan": subscription.plan,
        },
        idempotency_key=f"trial_ending:{subscription.stripe_subscription_id}:{subscription.trial_end.isoformat()}",
    )


def cancellation_confirmed_email_queue(*, subscription: Subscription, ends_at: datetime) -> None:
    """The subscription stopped renewing: CANCELLATION_CONFIRMED now with the date access ends. Once per
    (subscription, period): cancelling, resuming and cancelling again in one period confirms once."""
    contact = subscription.contact  # a team's billing mail goes to its billing contact
    if contact is None:
        return
    email_queue(
        user=contact,
        template=EmailTemplate.CANCELLATION_CONFIRMED,
        data={"subscription_id": subscription.pk, "ends_at": ends_at.isoformat(), "plan": subscription.plan},
        idempotency_key=(
            f"cancellation_confirmed:{subscription.stripe_subscription_id}:"
            f"{subscription.current_period_end.isoformat()}"
        ),
    )


def winback_email_queue(*, subscription: Subscription, access_ended_at: datetime, delay: timedelta) -> None:
    """Access ended: WINBACK (marketing) at the end + `delay`, once per Stripe subscription. Cancelled when
    the learner subscribes again (`winback_email_cancel`) and, at send time, if they have access."""
    contact = subscription.contact  # a team's billing mail goes to its billing contact
    if contact is None:
        return
    email_queue(
        user=contact,
        template=EmailTemplate.WINBACK,
        scheduled_for=access_ended_at + delay,
        data={"subscription_id": subscription.pk, "ended_at": access_ended_at.isoformat(), "plan": subscription.plan},
        idempotency_key=f"winback:{subscription.stripe_subscription_id}",
    )


def winback_email_cancel(*, user: User) -> int:
    return email_cancel_pending(user=user, templates=[EmailTemplate.WINBACK])


def qa_reply_email_queue(*, question: Post, answered_at: datetime) -> EmailQueue | None:
    """Someone answered `question`: email its asker, at most once per question per hour (transactional).

    Batching lives in the queue: while a QA_REPLY for this question is still pending, it will carry
    this answer too (the email lists the answers posted after `since`, read at send time), so nothing
    is queued. Otherwise the next one is due an hour after the previous one's time, or now, showing the
    answers posted since the previous one was sent — or, if a worker is sending it right now, since it
    was claimed (it may have been rendered before this answer: repeating an answer beats losing one).
    The key names the question and that time, so concurrent answers agree on one row. Call inside the
    answer's transaction with the question row locked."""

    previous = (
        EmailQueue.objects.filter(
            user_id=question.author_id, template=EmailTemplate.QA_REPLY, data__question_id=question.pk
        )
        .exclude(status=EmailStatus.CANCELLED)
        .order_by("-scheduled_for")
        .first()
    )
    scheduled_for, since = answered_at, None
    if previous is not None:
        lease_end = previous.locked_until if previous.status == EmailStatus.PENDING else None
        in_flight = lease_end is not None and lease_end > answered_at  # the on-commit path leased it
        claimed_at = lease_end - LEASE if lease_end is not None and in_flight else None
        if previous.status == EmailStatus.PENDING and not in_flight:
            if not _held_by_the_drain(previous):
                return None  # and locked until this answer commits: when it is sent, it shows this answer
            # The drain picked it no earlier than it was due, and may have rendered it before this answer.
            claimed_at = max(previous.scheduled_for, previous.next_attempt_at or previous.scheduled_for)
        since = claimed_at or previous.processed_at or previous.scheduled_for
        scheduled_for = max(answered_at, previous.scheduled_for + QA_REPLY_EVERY)
    return email_queue(
        user=question.author,
        template=EmailTemplate.QA_REPLY,
        scheduled_for=scheduled_for,
        data={
            "question_id": question.pk,
            "lesson_id": question.lesson_id,
            "since": since.isoformat() if since else None,
        },
        idempotency_key=f"qa_reply:{question.pk}:{scheduled_for.isoformat()}",
    )


def _held_by_the_drain(item: EmailQueue) -> bool:
    """Is a drain sending `item` right now? Its chunk holds the row lock, with no lease to read (emails.drain);
    otherwise the row is locked here, so no drain picks it before the caller's transaction commits."""
    return not EmailQueue.objects.filter(pk=item.pk).select_for_update(skip_locked=True).values_list("pk").exists()


def certificate_email_queue(*, certificate: Certificate) -> None:
    """Once per certificate (and a learner has at most one)."""
    email_queue(
        user=certificate.user,
        template=EmailTemplate.CERTIFICATE,
        data={"certificate_id": certificate.pk},
        idempotency_key=f"certificate:{certificate.pk}",
    )
