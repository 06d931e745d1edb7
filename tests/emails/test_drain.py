from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from emails import drain
from emails.drain import (
    LEASE,
    MAX_ATTEMPTS,
    backoff,
    email_dispatch,
    email_process,
    email_queue_claim,
    email_queue_drain,
)
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from emails.services import email_suppression_add
from emails.tasks import email_send
from tests.accounts.factories import UserFactory
from tests.emails.conftest import queue

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_due_rows_are_sent_once_with_a_log_and_future_rows_wait(mailoutbox):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        due = queue(user, EmailTemplate.WELCOME)
        later = queue(user, EmailTemplate.PAYMENT_FAILED_FINAL, at=T0 + timedelta(days=3))

        outcome = email_queue_drain()

    assert outcome == {"SENT": 1}
    due.refresh_from_db()
    assert (due.status, due.processed_at, due.attempts, due.locked_until, due.lock_token) == (
        EmailStatus.SENT,
        T0,
        1,
        None,
        "",
    )
    assert EmailQueue.objects.get(pk=later.pk).status == EmailStatus.PENDING
    [message] = mailoutbox
    assert message.to == [user.email] and message.subject.startswith("Welcome to Syllabus")
    log = EmailLog.objects.get()
    assert (log.queue_item_id, log.user_id, log.to, log.subject, log.status, log.error) == (
        due.pk,
        user.pk,
        user.email,
        message.subject,
        EmailStatus.SENT,
        None,
    )

    # Draining again sends nothing: the row is SENT.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert email_queue_drain() == {}
    assert len(mailoutbox) == 1


def test_rows_are_claimed_oldest_first_in_batches(mailoutbox):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        rows = [queue(user, EmailTemplate.WELCOME, at=T0 - timedelta(minutes=n)) for n in range(5)]
        claim = email_queue_claim(limit=3)
    assert claim.ids == [r.pk for r in rows[::-1][:3]]
    assert EmailQueue.objects.filter(lock_token=claim.token, locked_until=T0 + LEASE).count() == 3


def test_claim_is_a_short_transaction_of_fixed_size(django_assert_num_queries):
    user = UserFactory()
    for _ in range(20):
        queue(user, EmailTemplate.WELCOME)
    # SAVEPOINT, SELECT … FOR UPDATE SKIP LOCKED, UPDATE the lease, RELEASE: however many rows.
    with django_assert_num_queries(4) as captured:
        assert len(email_queue_claim(limit=50).ids) == 20
    select = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT"))
    assert "FOR UPDATE SKIP LOCKED" in select and "LIMIT 50" in select


def test_a_deleted_users_rows_are_cancelled_never_sent(mailoutbox):
    user = UserFactory()
    item = queue(user, EmailTemplate.WELCOME)
    user.delete()
    assert EmailQueue.objects.filter(pk=item.pk).exists()  # no constraint: the row outlives its user

    assert email_queue_drain() == {"CANCELLED": 1}

    item.refresh_from_db()
    assert (item.status, item.last_error) == (EmailStatus.CANCELLED, "user deleted")
    assert item.processed_at is not None
    assert mailoutbox == [] and not EmailLog.objects.exists()


def test_suppressed_addresses_are_never_sent_to_whatever_the_template(mailoutbox):
    user = UserFactory(email="bounced@example.com")
    email_suppression_add(email="Bounced@Example.com", reason="HARD_BOUNCE")
    rows = [queue(user, t) for t in (EmailTemplate.WELCOME, EmailTemplate.PAYMENT_FAILED)]

    assert email_queue_drain() == {"CANCELLED": 2}

    assert mailoutbox == []
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.last_error) == (EmailStatus.CANCELLED, "address suppressed")
    assert set(EmailLog.objects.values_list("status", "error")) == {(EmailStatus.CANCELLED, "address suppressed")}


def test_marketing_opt_out_stops_marketing_mail_only(mailoutbox):
    user = UserFactory(marketing_opt_out=True)
    marketing = queue(user, EmailTemplate.START_JOURNEY)
    transactional = queue(user, EmailTemplate.WELCOME)

    email_queue_drain()

    assert EmailQueue.objects.get(pk=marketing.pk).status == EmailStatus.CANCELLED
    assert EmailQueue.objects.get(pk=transactional.pk).status == EmailStatus.SENT
    assert [m.subject for m in mailoutbox] == [EmailLog.objects.get(status=EmailStatus.SENT).subject]
    log = EmailLog.objects.get(status=EmailStatus.CANCELLED)
    assert (log.template, log.error) == (EmailTemplate.START_JOURNEY, "marketing opt-out")
    assert log.subject  # the log names what was not sent


def test_a_deactivated_account_gets_nothing(mailoutbox):
    item = queue(UserFactory(is_active=False), EmailTemplate.WELCOME)
    email_queue_drain()
    item.refresh_from_db()
    assert (item.status, item.last_error, mailoutbox) == (EmailStatus.CANCELLED, "account deactivated", [])


def test_smtp_failure_is_retried_with_backoff_logged_and_never_lost(refused_smtp, mailoutbox):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        item = queue(user, EmailTemplate.MODULE_COMPLETE, data={"module_title": "Foundations"})
        assert email_queue_drain() == {"PENDING": 1}
    item.refresh_from_db()
    assert (item.status, item.attempts, item.next_attempt_at, item.processed_at) == (
        EmailStatus.PENDING,
        1,
        T0 + timedelta(minutes=1),
        None,
    )
    assert "ConnectionRefusedError" in item.last_error

    # Not due again before its backoff has passed.
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert email_queue_drain() == {}

    # Second failure doubles the wait.
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert email_queue_drain() == {"PENDING": 1}
    item.refresh_from_db()
    assert (item.attempts, item.next_attempt_at) == (2, T0 + timedelta(minutes=3))

    # The SMTP server is back: the third attempt goes out.
    refused_smtp_recovered = "django.core.mail.backends.locmem.EmailBackend"
    from django.conf import settings

    settings.EMAIL_BACKEND = refused_smtp_recovered
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        assert email_queue_drain() == {"SENT": 1}
    item.refresh_from_db()
    assert (item.status, item.attempts, item.processed_at) == (EmailStatus.SENT, 3, T0 + timedelta(minutes=3))
    assert len(mailoutbox) == 1
    assert list(EmailLog.objects.order_by("sent_at", "status").values_list("status", flat=True)) == [
        EmailStatus.FAILED,
        EmailStatus.FAILED,
        EmailStatus.SENT,
    ]
    assert all(
        "ConnectionRefusedError" in e for e in EmailLog.objects.filter(status="FAILED").values_list("error", flat=True)
    )


def test_a_row_that_keeps_failing_ends_failed_after_the_attempt_limit(refused_smtp, mailoutbox):
    item = queue(UserFactory(), EmailTemplate.WELCOME, at=T0)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with time_machine.travel(now, tick=False):
            assert email_queue_drain() == {("FAILED" if attempt == MAX_ATTEMPTS else "PENDING"): 1}
        now += backoff(attempt)

    item.refresh_from_db()
    assert (item.status, item.attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)
    assert item.processed_at is not None and "ConnectionRefusedError" in item.last_error
    assert EmailLog.objects.filter(queue_item=item, status=EmailStatus.FAILED).count() == MAX_ATTEMPTS
    with time_machine.travel(now + timedelta(days=1), tick=False):
        assert email_queue_drain() == {}  # FAILED is final until an operator retries it


def test_backoff_doubles_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == drain.BACKOFF_MAX


def test_a_task_that_runs_twice_sends_once(mailoutbox):
    item = queue(UserFactory(), EmailTemplate.WELCOME)
    assert email_send(item.pk) == EmailStatus.SENT
    assert email_send(item.pk) is None
    assert email_send.delay(item.pk).get() is None  # eager, through Celery's machinery
    assert len(mailoutbox) == 1
    assert EmailLog.objects.filter(queue_item=item).count() == 1


def test_the_same_claim_processed_twice_sends_once(mailoutbox):
    item = queue(UserFactory(), EmailTemplate.WELCOME)
    claim = email_queue_claim()
    assert email_process(queue_id=item.pk, lock_token=claim.token) == EmailStatus.SENT
    assert email_process(queue_id=item.pk, lock_token=claim.token) is None
    assert len(mailoutbox) == 1


def test_an_on_commit_dispatch_racing_the_beat_drain_does_not_double_send(mailoutbox):
    item = queue(UserFactory(), EmailTemplate.WELCOME)
    beat_claim = email_queue_claim()  # the beat drain leased the row first
    assert email_dispatch(queue_id=item.pk) is None  # the on-commit task finds it leased
    assert email_process(queue_id=item.pk, lock_token=beat_claim.token) == EmailStatus.SENT
    assert email_dispatch(queue_id=item.pk) is None
    assert len(mailoutbox) == 1


def test_a_worker_killed_mid_batch_loses_nothing_its_lease_expires_and_rows_are_reclaimed(mailoutbox):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        rows = [queue(user, EmailTemplate.WELCOME) for _ in range(6)]
        dead = email_queue_claim(limit=4)  # a worker leased 4 rows …
        email_process(queue_id=dead.ids[0], lock_token=dead.token)  # … sent one, then was killed
        assert email_queue_drain() == {"SENT": 2}  # the others are leased: only the 2 free rows go

    with time_machine.travel(T0 + LEASE - timedelta(seconds=1), tick=False):
        assert email_queue_drain() == {}  # still leased
    with time_machine.travel(T0 + LEASE, tick=False):
        assert email_queue_drain() == {"SENT": 3}  # lease expired: reclaimed

    # The dead worker "wakes up" with its stale claim: nothing is sent again.
    for queue_id in dead.ids:
        assert email_process(queue_id=queue_id, lock_token=dead.token) is None
    assert len(mailoutbox) == 6
    assert {m.to[0] for m in mailoutbox} == {user.email}
    for row in rows:
        assert EmailLog.objects.filter(queue_item=row, status=EmailStatus.SENT).count() == 1


def test_a_guard_that_errors_is_a_failed_attempt_not_a_stuck_row(monkeypatch, mailoutbox):
    item = queue(UserFactory(), EmailTemplate.START_JOURNEY)

    def broken(item, user):
        raise RuntimeError("analytics is down")

    monkeypatch.setitem(drain.cancel_reason.__globals__["TEMPLATE_GUARDS"], EmailTemplate.START_JOURNEY, broken)
    assert email_queue_drain() == {"PENDING": 1}
    item.refresh_from_db()
    assert (item.attempts, item.last_error) == (1, "RuntimeError: analytics is down")
    assert EmailLog.objects.get().status == EmailStatus.FAILED


def test_the_drain_stops_after_max_batches_and_the_rest_waits(mailoutbox):
    user = UserFactory()
    for _ in range(7):
        queue(user, EmailTemplate.WELCOME)
    assert email_queue_drain(batch_size=3, max_batches=2) == {"SENT": 6}
    assert EmailQueue.objects.filter(status=EmailStatus.PENDING).count() == 1


def test_the_message_sent_is_the_rendered_one_with_headers(mailoutbox):
    user = UserFactory()
    item = queue(user, EmailTemplate.ABANDONMENT_1)
    email_queue_drain()
    [message] = mailoutbox
    assert message.extra_headers["Message-ID"] == f"<{item.pk}@testserver>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.alternatives[0][1] == "text/html"
    assert "/pricing/" in message.body


MIX = [
    EmailTemplate.WELCOME,
    EmailTemplate.MODULE_COMPLETE,
    EmailTemplate.ABANDONMENT_1,
    EmailTemplate.START_JOURNEY,
    EmailTemplate.INACTIVE_NUDGE,
    EmailTemplate.RENEWAL_REMINDER,
]


def _drain_queries(rows: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from courses.selectors import published_course

    for n in range(rows):
        queue(UserFactory(), MIX[n % len(MIX)], data={"module_title": "Foundations"})
    published_course()  # built once per content version, not the drain's cost
    with CaptureQueriesContext(connection) as captured:
        outcome = email_queue_drain()
    assert sum(outcome.values()) == rows
    assert EmailLog.objects.count() == rows
    picks = [q["sql"] for q in captured.captured_queries if "SKIP LOCKED" in q["sql"]]
    assert picks and all(f"LIMIT {drain.SEND_CHUNK}" in sql for sql in picks)
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert updates and all('"locked_until" = NULL' in sql for sql in updates)  # no lease is ever written
    return len(captured.captured_queries)


# One drain of one chunk, statement by statement (the test runs inside a transaction, so commits are savepoints):
# SAVEPOINT, SELECT the due rows FOR UPDATE SKIP LOCKED, SELECT their recipients (with every guard's data and
# their progress), UPDATE the SENT rows, UPDATE the CANCELLED ones (the mix's RENEWAL_REMINDER has no
# subscription), INSERT the logs, RELEASE. No claim or lease of its own: the chunk's SELECT is the claim.
CHUNK = 7
NOTHING_DUE = 3  # SAVEPOINT, SELECT … SKIP LOCKED finding nothing, RELEASE


def test_a_chunk_costs_the_same_queries_whatever_its_size(mailoutbox):
    """Guards and writes are batched: one chunk of 6 rows or of SEND_CHUNK rows (each with every
    template of the mix, so the same outcomes: sent and cancelled), the same statements, none per row."""
    assert len(MIX) < drain.SEND_CHUNK
    small = _drain_queries(len(MIX))
    assert small == CHUNK + NOTHING_DUE
    EmailLog.objects.all().delete()
    EmailQueue.objects.all().delete()
    assert _drain_queries(drain.SEND_CHUNK) == small


def test_several_chunks_cost_one_chunks_statements_each(mailoutbox, monkeypatch):
    monkeypatch.setattr(drain, "SEND_CHUNK", len(MIX))
    assert _drain_queries(3 * len(MIX)) == 3 * CHUNK + NOTHING_DUE


def test_a_database_error_while_deciding_falls_back_to_row_by_row_and_loses_nothing(monkeypatch, mailoutbox):
    from django.db import DatabaseError

    rows = [queue(UserFactory(), EmailTemplate.WELCOME) for _ in range(3)]
    real = drain.recipients
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        raise DatabaseError("connection reset while prefetching")

    monkeypatch.setattr(drain, "recipients", flaky)
    assert email_queue_drain() == {"SENT": 3}  # each row on its own, with its own lock and commit
    assert calls["n"] == 1 and real is not flaky
    assert len(mailoutbox) == 3
    for row in rows:
        assert EmailLog.objects.filter(queue_item=row, status=EmailStatus.SENT).count() == 1


def test_the_drain_skips_a_row_the_on_commit_path_has_leased_until_its_lease_expires(mailoutbox):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        leased, free = queue(user, EmailTemplate.WELCOME), queue(user, EmailTemplate.WELCOME)
        claim = email_queue_claim(limit=1, queue_id=leased.pk)  # `email_dispatch` claimed it, not yet sent
        assert email_queue_drain() == {"SENT": 1}
    assert EmailQueue.objects.get(pk=free.pk).status == EmailStatus.SENT
    assert EmailQueue.objects.get(pk=leased.pk).status == EmailStatus.PENDING
    # The on-commit path sends its row; the drain never saw it.
    assert email_process(queue_id=leased.pk, lock_token=claim.token) == EmailStatus.SENT
    with time_machine.travel(T0 + LEASE, tick=False):
        assert email_queue_drain() == {}
    assert len(mailoutbox) == 2 and EmailLog.objects.filter(status=EmailStatus.SENT).count() == 2


def test_a_chunk_that_fails_after_sending_is_rolled_back_and_its_rows_come_back(monkeypatch, mailoutbox, caplog):
    """What a worker dying mid-chunk leaves: nothing recorded, no lease; the rows are due again at once and
    the next drain sends them, each with the same Message-ID (SMTP's own gap: the receiving side dedupes)."""
    from django.db import OperationalError

    rows = [queue(UserFactory(), EmailTemplate.WELCOME) for _ in range(3)]
    real = drain._record

    def crash(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(drain, "_record", crash)
    assert email_queue_drain() == {"ERROR": 3}  # and the drain stops: it does not pick the same rows again
    assert len(mailoutbox) == 3  # handed to the transport before the failure
    assert not EmailLog.objects.exists()
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.locked_until, row.lock_token) == (EmailStatus.PENDING, 0, None, "")

    monkeypatch.setattr(drain, "_record", real)
    assert email_queue_drain() == {"SENT": 3}
    for row in rows:
        assert EmailLog.objects.filter(queue_item=row, status=EmailStatus.SENT).count() == 1
    assert sorted(m.extra_headers["Message-ID"] for m in mailoutbox[3:]) == sorted(
        m.extra_headers["Message-ID"] for m in mailoutbox[:3]
    )
