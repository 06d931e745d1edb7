"""Stale lifecycle emails: a row whose premise is already past at send time (a renewal reminder about
a date gone by, a final payment notice about a dunning cycle Stripe has moved on from) is CANCELLED
with reason "stale", never sent — however a replayed or late event queued it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from emails import triggers
from emails.drain import email_queue_drain
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _row(template: str) -> EmailQueue:
    return EmailQueue.objects.get(template=template)


def test_a_renewal_reminder_for_a_period_that_ended_is_cancelled_stale(mailoutbox):
    with time_machine.travel(T0, tick=False):
        # A replayed event: the row is synced to a period that ended ten days ago.
        subscription = SubscriptionFactory(current_period_end=T0 - timedelta(days=10))
        triggers.renewal_reminder_reschedule(subscription=subscription)
        email_queue_drain()
    row = _row(EmailTemplate.RENEWAL_REMINDER)
    assert (row.status, row.last_error) == (EmailStatus.CANCELLED, "stale")
    assert EmailLog.objects.get(queue_item=row).error == "stale"
    assert mailoutbox == []


def test_a_timely_renewal_reminder_is_still_sent(mailoutbox):
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(current_period_end=T0 + timedelta(days=2))  # reminded now: < 3 days
        triggers.renewal_reminder_reschedule(subscription=subscription)
        email_queue_drain()
    assert _row(EmailTemplate.RENEWAL_REMINDER).status == EmailStatus.SENT
    assert len(mailoutbox) == 1


def test_a_final_notice_about_an_earlier_dunning_cycle_is_cancelled_stale(mailoutbox):
    first_failure = T0 - timedelta(days=20)
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(status="PAST_DUE", stripe_status="past_due", payment_failed_at=T0)
        # A late replay of the previous cycle's first failure queues its final notice now.
        triggers.payment_failed_emails_queue(subscription=subscription, failed_at=first_failure)
        EmailQueue.objects.filter(template=EmailTemplate.PAYMENT_FAILED).delete()
        email_queue_drain()
    row = _row(EmailTemplate.PAYMENT_FAILED_FINAL)
    assert (row.status, row.last_error) == (EmailStatus.CANCELLED, "stale")
    assert mailoutbox == []


def test_a_final_notice_days_after_its_time_is_cancelled_stale_and_a_timely_one_is_sent(mailoutbox):
    with time_machine.travel(T0, tick=False):
        subscription = SubscriptionFactory(status="PAST_DUE", stripe_status="past_due", payment_failed_at=T0)
        triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0)
        EmailQueue.objects.filter(template=EmailTemplate.PAYMENT_FAILED).delete()
    with time_machine.travel(T0 + timedelta(days=3, hours=1), tick=False):
        EmailQueue.objects.update(status=EmailStatus.PENDING)
        email_queue_drain()
    assert _row(EmailTemplate.PAYMENT_FAILED_FINAL).status == EmailStatus.SENT

    EmailQueue.objects.update(status=EmailStatus.PENDING, processed_at=None)
    with time_machine.travel(T0 + timedelta(days=6), tick=False):  # the workers were down for days
        email_queue_drain()
    row = _row(EmailTemplate.PAYMENT_FAILED_FINAL)
    assert (row.status, row.last_error) == (EmailStatus.CANCELLED, "stale")
    assert len(mailoutbox) == 1
