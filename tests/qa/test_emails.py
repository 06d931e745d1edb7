"""QA_REPLY: the asker hears about answers, at most once per question per hour (the clock moved by time-machine)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from emails.drain import email_queue_drain
from emails.models import EmailQueue, EmailStatus, EmailTemplate
from qa.models import Post
from tests.billing.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(when, fn, *args, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(*args, **kwargs)


@pytest.fixture
def answer_at(answer, django_capture_on_commit_callbacks):
    """Answer at `when`, and run what the commit dispatches (the eager email task) at that time too."""

    def _answer_at(when, user, question, body):
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            return answer(user, question, body)

    return _answer_at


def qa_mail(mailoutbox):
    return [m for m in mailoutbox if m.extra_headers.get("X-Syllabus-Template") == "QA_REPLY"]


def test_answers_are_batched_one_email_per_question_per_hour(course, ask, answer_at, mailoutbox):
    lesson = course["lessons"][1]
    asker, helper, other = (SubscriptionFactory(user__name=n).user for n in ("Asker", "Helper", "Other"))
    question = at(T0, ask, asker, lesson, "How do I resume?")

    # The first answer is emailed at once (dispatched when its transaction commits).
    answer_at(T0 + timedelta(minutes=1), helper, question, "First answer")
    assert [m.to for m in qa_mail(mailoutbox)] == [[asker.email]]
    assert "First answer" in qa_mail(mailoutbox)[0].body

    # Three more answers within the hour: one row, due an hour after the first email.
    answer_at(T0 + timedelta(minutes=5), helper, question, "Second answer")
    answer_at(T0 + timedelta(minutes=20), other, question, "Third answer")
    answer_at(T0 + timedelta(minutes=50), helper, question, "Fourth answer")
    rows = list(EmailQueue.objects.filter(template=EmailTemplate.QA_REPLY).order_by("scheduled_for"))
    assert len(rows) == 2 and rows[1].status == EmailStatus.PENDING
    assert rows[1].scheduled_for == T0 + timedelta(minutes=61)
    at(T0 + timedelta(minutes=60), email_queue_drain)
    assert len(qa_mail(mailoutbox)) == 1  # not yet

    at(T0 + timedelta(minutes=62), email_queue_drain)
    [_, second] = qa_mail(mailoutbox)
    assert "3 new answers" in second.subject
    assert "Second answer" in second.body and "Fourth answer" in second.body and "First answer" not in second.body
    assert "Third answer" in second.alternatives[0][0]  # the HTML part too

    # Later, a quiet question's next answer goes out at once again.
    answer_at(T0 + timedelta(hours=5), other, question, "Much later")
    assert len(qa_mail(mailoutbox)) == 3 and "Much later" in qa_mail(mailoutbox)[2].body


def test_the_asker_answering_themself_or_a_hidden_question_sends_nothing(course, ask, answer_at, mailoutbox):
    lesson = course["lessons"][1]
    asker, helper = SubscriptionFactory().user, SubscriptionFactory().user
    question = at(T0, ask, asker, lesson)
    answer_at(T0, asker, question, "Found it myself")
    assert not EmailQueue.objects.filter(template=EmailTemplate.QA_REPLY).exists()

    answer_at(T0 + timedelta(minutes=1), helper, question, "First")
    answer_at(T0 + timedelta(minutes=2), helper, question, "Second, batched")
    Post.objects.filter(pk=question.pk).update(is_hidden=True)  # moderated before the batch is due
    at(T0 + timedelta(hours=2), email_queue_drain)
    batched = EmailQueue.objects.filter(template=EmailTemplate.QA_REPLY).order_by("scheduled_for").last()
    assert batched.status == EmailStatus.CANCELLED and "hidden" in batched.last_error
    assert len(qa_mail(mailoutbox)) == 1


def test_the_email_is_transactional_and_links_to_the_thread(
    course, ask, answer, mailoutbox, django_capture_on_commit_callbacks
):
    lesson = course["lessons"][1]
    asker = SubscriptionFactory(user__marketing_opt_out=True).user
    question = ask(asker, lesson)
    with django_capture_on_commit_callbacks(execute=True):
        answer(SubscriptionFactory().user, question)
    [mail] = qa_mail(mailoutbox)
    assert "List-Unsubscribe" not in mail.extra_headers
    assert f"http://testserver/lessons/{lesson.pk}/#question-{question.pk}" in mail.body


def test_an_answer_while_the_previous_email_is_being_sent_is_not_lost(course, ask, answer, answer_at, mailoutbox):
    from emails.drain import LEASE

    lesson = course["lessons"][1]
    asker, helper = SubscriptionFactory().user, SubscriptionFactory().user
    question = at(T0, ask, asker, lesson)
    with time_machine.travel(T0, tick=False):
        answer(helper, question, "Rendered in the first email")  # queued; the commit hand-off is not run
    first = EmailQueue.objects.get(template=EmailTemplate.QA_REPLY)
    # A worker claims it at T0 + 1 min and renders it; before it is marked sent, another answer arrives.
    EmailQueue.objects.filter(pk=first.pk).update(locked_until=T0 + timedelta(minutes=1) + LEASE)
    answer_at(T0 + timedelta(minutes=2), helper, question, "Arrived mid-send")
    EmailQueue.objects.filter(pk=first.pk).update(
        status=EmailStatus.SENT, processed_at=T0 + timedelta(minutes=3), locked_until=None
    )
    second = EmailQueue.objects.filter(template=EmailTemplate.QA_REPLY).exclude(pk=first.pk).get()
    assert second.scheduled_for == T0 + timedelta(hours=1)
    at(T0 + timedelta(hours=1, minutes=1), email_queue_drain)
    [mail] = qa_mail(mailoutbox)
    assert "Arrived mid-send" in mail.body and "Rendered in the first email" not in mail.body


@pytest.mark.django_db(transaction=True)
def test_an_answer_while_the_drain_holds_the_previous_email_mid_chunk_is_not_lost(
    course, ask, answer, mailoutbox, monkeypatch
):
    """The beat drain writes no lease: a row it is sending is only locked (its chunk's transaction). An answer
    arriving then must not count on that email (it may have been rendered already): it queues the next one."""
    import threading

    from django.db import connection, transaction

    from emails.tasks import email_send

    monkeypatch.setattr(email_send, "delay", lambda *args: None)  # no on-commit hand-off: the beat drain sends
    lesson = course["lessons"][1]
    asker, helper = SubscriptionFactory().user, SubscriptionFactory().user
    question = at(T0, ask, asker, lesson)
    with time_machine.travel(T0, tick=False):
        answer(helper, question, "Rendered in the first email")
    first = EmailQueue.objects.get(template=EmailTemplate.QA_REPLY)
    holding, release = threading.Event(), threading.Event()

    def drain_mid_chunk() -> None:  # what `_chunk_process` holds while it renders and sends
        try:
            with transaction.atomic():
                list(EmailQueue.objects.select_for_update().filter(pk=first.pk))
                holding.set()
                release.wait(timeout=30)
                EmailQueue.objects.filter(pk=first.pk).update(
                    status=EmailStatus.SENT, processed_at=T0 + timedelta(minutes=3), locked_until=None
                )
        finally:
            connection.close()

    worker = threading.Thread(target=drain_mid_chunk)
    worker.start()
    try:
        assert holding.wait(timeout=10)
        with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
            answer(helper, question, "Arrived mid-send")  # does not wait for the drain's lock
    finally:
        release.set()
        worker.join(timeout=30)

    second = EmailQueue.objects.filter(template=EmailTemplate.QA_REPLY).exclude(pk=first.pk).get()
    assert second.scheduled_for == T0 + timedelta(hours=1)
    assert second.data["since"] == first.scheduled_for.isoformat()  # no later than the drain could have rendered
    at(T0 + timedelta(hours=1, minutes=1), email_queue_drain)
    [mail] = qa_mail(mailoutbox)
    assert "Arrived mid-send" in mail.body


def test_an_answer_to_a_pending_email_nobody_is_sending_waits_for_it(course, ask, answer, mailoutbox):
    lesson = course["lessons"][1]
    asker, helper = SubscriptionFactory().user, SubscriptionFactory().user
    question = at(T0, ask, asker, lesson)
    with time_machine.travel(T0, tick=False):
        answer(helper, question, "First")
        answer(helper, question, "Second")  # the first row is still pending, not held: it carries this one
    assert EmailQueue.objects.filter(template=EmailTemplate.QA_REPLY).count() == 1
    at(T0 + timedelta(minutes=1), email_queue_drain)
    [mail] = qa_mail(mailoutbox)
    assert "First" in mail.body and "Second" in mail.body
