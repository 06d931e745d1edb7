"""Every row of the trigger table (DESIGN.md §8) with its send-time guard, the clock moved by time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from analytics.models import EventName
from analytics.services import event_track
from billing.models import SubscriptionStatus
from emails import triggers
from emails.drain import email_queue_drain
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def drain_at(when: datetime) -> dict[str, int]:
    with time_machine.travel(when, tick=False):
        return dict(email_queue_drain())


def rows(user, template=None):
    qs = EmailQueue.objects.filter(user_id=user.pk).order_by("scheduled_for")
    return list(qs.filter(template=template) if template else qs)


def sent_templates(mailoutbox):
    return [m.extra_headers["X-Syllabus-Template"] for m in mailoutbox]


# --- WELCOME and START_JOURNEY (signup) -------------------------------------------------------------


def test_signup_queues_welcome_now_and_start_journey_a_day_later_once(mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        user = UserFactory()
        with django_capture_on_commit_callbacks(execute=True):
            triggers.signup_emails_queue(user=user)
            triggers.signup_emails_queue(user=user)  # a replayed signal queues nothing more

    [welcome] = rows(user, EmailTemplate.WELCOME)
    [journey] = rows(user, EmailTemplate.START_JOURNEY)
    assert (welcome.idempotency_key, journey.idempotency_key) == (f"welcome:{user.pk}", f"start_journey:{user.pk}")
    assert journey.scheduled_for == T0 + timedelta(hours=24)
    # WELCOME went out when the signup transaction committed (on-commit dispatch), not a minute later.
    assert sent_templates(mailoutbox) == [EmailTemplate.WELCOME]
    welcome.refresh_from_db()
    assert welcome.status == EmailStatus.SENT

    assert drain_at(T0 + timedelta(hours=23, minutes=59)) == {}
    assert drain_at(T0 + timedelta(hours=24)) == {"SENT": 1}
    assert sent_templates(mailoutbox) == [EmailTemplate.WELCOME, EmailTemplate.START_JOURNEY]


def test_start_journey_is_cancelled_when_video_1_was_started(mailoutbox):
    with time_machine.travel(T0, tick=False):
        user = UserFactory()
        triggers.signup_emails_queue(user=user)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        event_track(name=EventName.VIDEO_1_STARTED, user=user)

    assert drain_at(T0 + timedelta(hours=24)) == {"SENT": 1, "CANCELLED": 1}

    [journey] = rows(user, EmailTemplate.START_JOURNEY)
    assert (journey.status, journey.last_error, journey.processed_at) == (
        EmailStatus.CANCELLED,
        "video 1 already started",
        T0 + timedelta(hours=24),
    )
    assert sent_templates(mailoutbox) == [EmailTemplate.WELCOME]
    log = EmailLog.objects.get(template=EmailTemplate.START_JOURNEY)
    assert (log.status, log.error) == (EmailStatus.CANCELLED, "video 1 already started")


def test_another_users_video_does_not_cancel_start_journey(mailoutbox):
    with time_machine.travel(T0, tick=False):
        user = UserFactory()
        triggers.signup_emails_queue(user=user)
        event_track(name=EventName.VIDEO_1_STARTED, user=UserFactory())
        event_track(name=EventName.VIDEO_1_COMPLETED, user=user)  # a different event name
    drain_at(T0 + timedelta(days=1))
    assert sent_templates(mailoutbox) == [EmailTemplate.WELCOME, EmailTemplate.START_JOURNEY]


# --- ABANDONMENT_1/2/3 (free lesson completed without access) -----------------------------------------


def test_abandonment_series_goes_out_at_1h_24h_and_3_days(mailoutbox):
    user = UserFactory()
    triggers.abandonment_emails_queue(user=user, completed_at=T0)
    triggers.abandonment_emails_queue(user=user, completed_at=T0 + timedelta(days=9))  # once per learner, ever

    assert [r.scheduled_for - T0 for r in rows(user)] == [timedelta(hours=1), timedelta(hours=24), timedelta(days=3)]
    assert drain_at(T0 + timedelta(minutes=59)) == {}
    assert drain_at(T0 + timedelta(hours=1)) == {"SENT": 1}
    assert drain_at(T0 + timedelta(hours=24)) == {"SENT": 1}
    assert drain_at(T0 + timedelta(days=3)) == {"SENT": 1}
    assert sent_templates(mailoutbox) == [
        EmailTemplate.ABANDONMENT_1,
        EmailTemplate.ABANDONMENT_2,
        EmailTemplate.ABANDONMENT_3,
    ]


def test_abandonment_emails_stop_once_the_learner_has_access(mailoutbox):
    user = UserFactory()
    triggers.abandonment_emails_queue(user=user, completed_at=T0)
    drain_at(T0 + timedelta(hours=1))
    # Subscribed on day two; billing did not call abandonment_emails_cancel: the send-time guard catches it.
    SubscriptionFactory(user=user)

    assert drain_at(T0 + timedelta(days=3)) == {"CANCELLED": 2}

    assert sent_templates(mailoutbox) == [EmailTemplate.ABANDONMENT_1]
    assert {r.last_error for r in rows(user) if r.status == EmailStatus.CANCELLED} == {"learner has access now"}


def test_access_override_also_counts_as_access(mailoutbox):
    user = UserFactory(access_override=True)
    triggers.abandonment_emails_queue(user=user, completed_at=T0)
    assert drain_at(T0 + timedelta(days=3)) == {"CANCELLED": 3}


def test_a_lapsed_subscription_does_not_stop_abandonment_mail(mailoutbox):
    user = UserFactory()
    SubscriptionFactory(user=user, status=SubscriptionStatus.CANCELLED)
    triggers.abandonment_emails_queue(user=user, completed_at=T0)
    assert drain_at(T0 + timedelta(hours=1)) == {"SENT": 1}


def test_abandonment_emails_cancel_cancels_only_the_pending_ones(mailoutbox):
    user = UserFactory()
    triggers.abandonment_emails_queue(user=user, completed_at=T0)
    drain_at(T0 + timedelta(hours=1))
    assert triggers.abandonment_emails_cancel(user=user) == 2
    assert [r.status for r in rows(user)] == [EmailStatus.SENT, EmailStatus.CANCELLED, EmailStatus.CANCELLED]
    assert drain_at(T0 + timedelta(days=4)) == {}


# --- MODULE_COMPLETE ---------------------------------------------------------------------------------


def test_module_complete_once_per_module(mailoutbox, course, django_capture_on_commit_callbacks):
    user = UserFactory()
    first, second = course["modules"]
    with django_capture_on_commit_callbacks(execute=True):
        triggers.module_complete_email_queue(user=user, module=first)
        triggers.module_complete_email_queue(user=user, module=first)  # completed again: nothing new
        triggers.module_complete_email_queue(user=user, module=second)

    assert [r.idempotency_key for r in rows(user)] == [
        f"module_complete:{user.pk}:{first.pk}",
        f"module_complete:{user.pk}:{second.pk}",
    ]
    assert sorted(m.subject for m in mailoutbox) == sorted(
        [f"You completed {first.title}!", f"You completed {second.title}!"]
    )


# --- INACTIVE_NUDGE ------------------------------------------------------------------------------------


def test_each_login_replaces_the_pending_nudge(mailoutbox):
    user = UserFactory(last_login=T0)
    triggers.inactive_nudge_reschedule(user=user, logged_in_at=T0)
    second_login = T0 + timedelta(days=2)
    user.last_login = second_login
    user.save(update_fields=["last_login"])
    triggers.inactive_nudge_reschedule(user=user, logged_in_at=second_login)

    first, second = rows(user)
    assert (first.status, first.scheduled_for) == (EmailStatus.CANCELLED, T0 + timedelta(days=7))
    assert (second.status, second.scheduled_for) == (EmailStatus.PENDING, second_login + timedelta(days=7))

    assert drain_at(T0 + timedelta(days=7)) == {}  # the replaced one never goes out
    assert drain_at(second_login + timedelta(days=7)) == {"SENT": 1}
    assert sent_templates(mailoutbox) == [EmailTemplate.INACTIVE_NUDGE]


def test_inactive_nudge_is_cancelled_when_the_learner_logged_in_since(mailoutbox):
    user = UserFactory(last_login=T0)
    triggers.inactive_nudge_reschedule(user=user, logged_in_at=T0)
    # A later login that did not reschedule (a remembered session, a missed signal): the guard catches it.
    user.last_login = T0 + timedelta(days=5)
    user.save(update_fields=["last_login"])

    assert drain_at(T0 + timedelta(days=7)) == {"CANCELLED": 1}
    assert rows(user)[0].last_error == "learner logged in since"
    assert mailoutbox == []


def test_inactive_nudge_tolerates_the_login_stamp_taken_just_after_the_trigger(mailoutbox):
    user = UserFactory(last_login=T0 + timedelta(seconds=2))  # Django stamped last_login a moment later
    triggers.inactive_nudge_reschedule(user=user, logged_in_at=T0)
    assert drain_at(T0 + timedelta(days=7)) == {"SENT": 1}


# --- RENEWAL_REMINDER ----------------------------------------------------------------------------------


def renewing_subscription(period_end: datetime, **kwargs):
    return SubscriptionFactory(
        current_period_start=period_end - timedelta(days=30), current_period_end=period_end, **kwargs
    )


def test_renewal_reminder_three_days_before_the_period_end(mailoutbox):
    end = T0 + timedelta(days=30)
    subscription = renewing_subscription(end)
    with time_machine.travel(T0, tick=False):
        triggers.renewal_reminder_reschedule(subscription=subscription)
    [row] = rows(subscription.user)
    assert (row.scheduled_for, row.idempotency_key) == (
        end - timedelta(days=3),
        f"renewal_reminder:{subscription.pk}:{end.isoformat()}",
    )
    assert drain_at(end - timedelta(days=3, seconds=1)) == {}
    assert drain_at(end - timedelta(days=3)) == {"SENT": 1}
    assert mailoutbox[0].subject == f"Your Syllabus membership renews on {end:%B} {end.day}"


def test_renewal_replaces_the_pending_reminder(mailoutbox):
    end = T0 + timedelta(days=30)
    subscription = renewing_subscription(end)
    with time_machine.travel(T0, tick=False):
        triggers.renewal_reminder_reschedule(subscription=subscription)
    # Renewed early (plan switch): the period end moves; the old reminder is replaced.
    new_end = end + timedelta(days=365)
    subscription.current_period_end = new_end
    subscription.save()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        triggers.renewal_reminder_reschedule(subscription=subscription)

    old, new = rows(subscription.user)
    assert (old.status, new.status, new.scheduled_for) == (
        EmailStatus.CANCELLED,
        EmailStatus.PENDING,
        new_end - timedelta(days=3),
    )
    assert drain_at(end) == {}
    assert drain_at(new_end - timedelta(days=3)) == {"SENT": 1}


def test_syncing_the_same_subscription_again_keeps_one_pending_reminder(mailoutbox):
    end = T0 + timedelta(days=30)
    subscription = renewing_subscription(end)
    with time_machine.travel(T0, tick=False):
        for _ in range(3):  # every webhook for the subscription reschedules
            triggers.renewal_reminder_reschedule(subscription=subscription)
    [row] = rows(subscription.user)
    assert row.status == EmailStatus.PENDING
    assert drain_at(end - timedelta(days=3)) == {"SENT": 1}
    with time_machine.travel(end - timedelta(days=2), tick=False):
        triggers.renewal_reminder_reschedule(subscription=subscription)  # a later sync: never sent twice
    assert drain_at(end - timedelta(days=1)) == {}
    assert len(mailoutbox) == 1


def test_renewal_switched_off_and_on_again_gets_its_reminder_back(mailoutbox):
    end = T0 + timedelta(days=30)
    subscription = renewing_subscription(end)
    with time_machine.travel(T0, tick=False):
        triggers.renewal_reminder_reschedule(subscription=subscription)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        subscription.cancel_at_period_end = True
        subscription.save()
        triggers.renewal_reminder_reschedule(subscription=subscription)
    assert [r.status for r in rows(subscription.user)] == [EmailStatus.CANCELLED]
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        subscription.cancel_at_period_end = False  # "don't cancel" in the Customer Portal
        subscription.save()
        triggers.renewal_reminder_reschedule(subscription=subscription)
    [row] = rows(subscription.user)
    assert (row.status, row.scheduled_for, row.processed_at) == (EmailStatus.PENDING, end - timedelta(days=3), None)
    assert drain_at(end - timedelta(days=3)) == {"SENT": 1}


def test_a_replayed_login_keeps_one_pending_nudge(mailoutbox):
    user = UserFactory(last_login=T0)
    triggers.inactive_nudge_reschedule(user=user, logged_in_at=T0)
    triggers.inactive_nudge_reschedule(user=user, logged_in_at=T0)
    [row] = rows(user)
    assert row.status == EmailStatus.PENDING
    assert drain_at(T0 + timedelta(days=7)) == {"SENT": 1}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"cancel_at_period_end": True}, "subscription set to cancel at period end"),
        ({"status": SubscriptionStatus.CANCELLED}, "subscription no longer active"),
        ({"current_period_end": T0 + timedelta(days=60)}, "renewal date changed"),
    ],
)
def test_renewal_reminder_is_cancelled_unless_still_renewing_on_that_date(change, reason, mailoutbox):
    end = T0 + timedelta(days=30)
    subscription = renewing_subscription(end)
    with time_machine.travel(T0, tick=False):
        triggers.renewal_reminder_reschedule(subscription=subscription)
    for field, value in change.items():
        setattr(subscription, field, value)
    subscription.save()  # changed without a reschedule: the guard alone must catch it

    assert drain_at(end - timedelta(days=3)) == {"CANCELLED": 1}
    assert rows(subscription.user)[0].last_error == reason
    assert mailoutbox == []


def test_renewal_reminder_for_a_subscription_that_will_not_renew_is_not_queued():
    subscription = renewing_subscription(T0 + timedelta(days=30), cancel_at_period_end=True)
    triggers.renewal_reminder_reschedule(subscription=subscription)
    assert rows(subscription.user) == []


def test_renewal_less_than_three_days_away_is_reminded_now(mailoutbox, django_capture_on_commit_callbacks):
    end = T0 + timedelta(days=1)
    subscription = renewing_subscription(end)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        triggers.renewal_reminder_reschedule(subscription=subscription)
    assert rows(subscription.user)[0].scheduled_for == T0
    assert sent_templates(mailoutbox) == [EmailTemplate.RENEWAL_REMINDER]


# --- PAYMENT_FAILED and PAYMENT_FAILED_FINAL -----------------------------------------------------------


def test_payment_failed_now_and_final_after_three_days_if_still_past_due(
    mailoutbox, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE, payment_failed_at=T0)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0)
        triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0)  # the retried webhook

    assert sent_templates(mailoutbox) == [EmailTemplate.PAYMENT_FAILED]
    assert drain_at(T0 + timedelta(days=3) - timedelta(seconds=1)) == {}
    assert drain_at(T0 + timedelta(days=3)) == {"SENT": 1}
    assert sent_templates(mailoutbox) == [EmailTemplate.PAYMENT_FAILED, EmailTemplate.PAYMENT_FAILED_FINAL]
    assert len(rows(subscription.user)) == 2


def test_payment_failed_final_is_cancelled_once_the_payment_recovered(mailoutbox):
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE, payment_failed_at=T0)
    with time_machine.travel(T0, tick=False):
        triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0)
    subscription.status = SubscriptionStatus.ACTIVE  # invoice.paid arrived; the guard catches it
    subscription.save()

    assert drain_at(T0 + timedelta(days=3)) == {"SENT": 1, "CANCELLED": 1}
    final = rows(subscription.user, EmailTemplate.PAYMENT_FAILED_FINAL)[0]
    assert (final.status, final.last_error) == (EmailStatus.CANCELLED, "subscription no longer past due")


def test_payment_failed_final_cancel_for_the_recovered_subscription():
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE)
    triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0)
    assert triggers.payment_failed_final_cancel(subscription=subscription) == 1
    assert rows(subscription.user, EmailTemplate.PAYMENT_FAILED_FINAL)[0].status == EmailStatus.CANCELLED
    assert rows(subscription.user, EmailTemplate.PAYMENT_FAILED)[0].status == EmailStatus.PENDING


def test_a_new_dunning_cycle_queues_a_new_pair():
    subscription = SubscriptionFactory(status=SubscriptionStatus.PAST_DUE)
    triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0)
    triggers.payment_failed_emails_queue(subscription=subscription, failed_at=T0 + timedelta(days=40))
    assert len(rows(subscription.user)) == 4


def test_queueing_happens_in_the_transaction_of_the_cause():
    """The cause rolls back → no email row (and nothing is dispatched)."""
    from django.db import transaction

    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        triggers.signup_emails_queue(user=user)
        raise RuntimeError("signup failed after queueing")
    assert rows(user) == []
