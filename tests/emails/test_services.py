from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from emails.models import EmailQueue, EmailStatus, EmailTemplate
from emails.services import UnknownEmailTemplate, email_cancel_pending, email_queue
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_queue_a_template_for_a_user_at_a_time_with_data():
    user = UserFactory()
    when = timezone.now() + timedelta(hours=24)
    item = email_queue(
        user=user,
        template=EmailTemplate.START_JOURNEY,
        scheduled_for=when,
        data={"first_lesson": "abc"},
        idempotency_key=f"start_journey:{user.pk}",
    )
    row = EmailQueue.objects.get()
    assert row == item
    assert (row.user_id, row.template, row.scheduled_for, row.status, row.data) == (
        user.pk,
        "START_JOURNEY",
        when,
        EmailStatus.PENDING,
        {"first_lesson": "abc"},
    )


def test_queue_defaults_to_now():
    user = UserFactory()
    before = timezone.now()
    item = email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key=f"welcome:{user.pk}")
    assert before <= item.scheduled_for <= timezone.now()


def test_same_idempotency_key_queues_once():
    user = UserFactory()
    key = f"welcome:{user.pk}"
    assert email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key=key) is not None
    assert email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key=key) is None
    assert EmailQueue.objects.count() == 1


def test_duplicate_key_inside_an_outer_transaction_keeps_it_usable():
    user = UserFactory()
    with transaction.atomic():
        email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key="k")
        email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key="k")
        assert EmailQueue.objects.count() == 1


def test_unknown_template_is_an_error_at_queue_time():
    with pytest.raises(UnknownEmailTemplate):
        email_queue(user=UserFactory(), template="NOPE", idempotency_key="x")
    assert not EmailQueue.objects.exists()


def test_cancel_pending_only_touches_that_users_pending_rows_of_those_templates():
    user, other = UserFactory(), UserFactory()
    for n, template in enumerate([EmailTemplate.ABANDONMENT_1, EmailTemplate.ABANDONMENT_2, EmailTemplate.WELCOME]):
        email_queue(user=user, template=template, idempotency_key=f"u{n}")
    email_queue(user=other, template=EmailTemplate.ABANDONMENT_1, idempotency_key="other")
    sent = email_queue(user=user, template=EmailTemplate.ABANDONMENT_3, idempotency_key="sent")
    EmailQueue.objects.filter(pk=sent.pk).update(status=EmailStatus.SENT)

    cancelled = email_cancel_pending(
        user=user, templates=[EmailTemplate.ABANDONMENT_1, EmailTemplate.ABANDONMENT_2, EmailTemplate.ABANDONMENT_3]
    )

    assert cancelled == 2
    statuses = dict(EmailQueue.objects.values_list("idempotency_key", "status"))
    assert statuses == {
        "u0": EmailStatus.CANCELLED,
        "u1": EmailStatus.CANCELLED,
        "u2": EmailStatus.PENDING,
        "other": EmailStatus.PENDING,
        "sent": EmailStatus.SENT,
    }
    assert email_cancel_pending(user=user, templates=[EmailTemplate.ABANDONMENT_1]) == 0


def test_a_row_due_now_is_dispatched_when_the_transaction_commits(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key="w")
        email_queue(
            user=user,
            template=EmailTemplate.START_JOURNEY,
            scheduled_for=timezone.now() + timedelta(hours=24),
            idempotency_key="s",
        )
        email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key="w")  # duplicate: no second task
    assert len(callbacks) == 1
    assert mailoutbox == []  # nothing is sent before the commit
    callbacks[0]()
    assert [m.extra_headers["X-Syllabus-Template"] for m in mailoutbox] == ["WELCOME"]


def test_a_broker_outage_at_commit_does_not_fail_the_cause(monkeypatch, django_capture_on_commit_callbacks):
    from emails import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.email_send, "delay", broker_down)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        item = email_queue(user=user, template=EmailTemplate.WELCOME, idempotency_key="w")
    # The signup still succeeded; the row waits for the beat drain.
    assert EmailQueue.objects.get(pk=item.pk).status == EmailStatus.PENDING


def test_the_beat_schedule_names_the_registered_drain_task():
    from django.conf import settings

    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["email-queue-drain"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks and "emails.tasks.email_send" in app.tasks
