"""Several workers, each with its own database connection, on committed data (transactional tests)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from emails.drain import email_queue_claim, email_queue_drain
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 2000
WORKERS = 4


def due_rows(n: int, users: list[Any]) -> None:
    past = timezone.now() - timedelta(minutes=1)
    EmailQueue.objects.bulk_create(
        [
            EmailQueue(
                user_id=users[i % len(users)].pk,
                template=EmailTemplate.MODULE_COMPLETE,
                scheduled_for=past,
                data={"module_title": f"Module {i}"},
                idempotency_key=f"concurrency:{i}",
            )
            for i in range(n)
        ],
        batch_size=500,
    )


def run_in_threads(target: Any, n: int) -> list[Any]:
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def work(index: int) -> None:
        try:
            start.wait()
            results[index] = target()
        except BaseException as exc:  # noqa: BLE001 — re-raised in the main thread by the assert below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


def test_four_workers_drain_2000_rows_and_every_row_is_sent_exactly_once(mailoutbox):
    users = [UserFactory() for _ in range(20)]
    due_rows(ROWS, users)

    # The time budget is not what this test is about (exactly once is): on a loaded machine four threads sharing
    # one GIL need more than the production 50 s to drain 2000 rows, so the budget is out of the way here.
    outcomes = run_in_threads(lambda: email_queue_drain(batch_size=25, time_budget=900), WORKERS)

    sent_per_worker = [o.get(EmailStatus.SENT, 0) for o in outcomes]
    assert sum(sent_per_worker) == ROWS
    assert sum(1 for n in sent_per_worker if n) >= 2, sent_per_worker  # the work really was shared
    assert all(set(o) == {EmailStatus.SENT} for o in outcomes), outcomes  # no skipped or failed rows

    assert EmailQueue.objects.filter(status=EmailStatus.SENT).count() == ROWS
    assert not EmailQueue.objects.exclude(status=EmailStatus.SENT).exists()
    per_row = EmailLog.objects.values("queue_item").annotate(n=Count("pk"))
    assert per_row.count() == ROWS and {r["n"] for r in per_row} == {1}
    assert EmailLog.objects.exclude(status=EmailStatus.SENT).count() == 0

    # The outbox: 2,000 messages, one per row (each row's id is its Message-ID).
    assert len(mail.outbox) == ROWS
    message_ids = Counter(m.extra_headers["Message-ID"] for m in mail.outbox)
    assert len(message_ids) == ROWS and set(message_ids.values()) == {1}
    assert {f"<{pk}@testserver>" for pk in EmailQueue.objects.values_list("pk", flat=True)} == set(message_ids)


def test_claims_skip_rows_another_worker_has_locked_instead_of_waiting():
    user = UserFactory()
    due_rows(3, [user])
    locked_id = EmailQueue.objects.order_by("scheduled_for", "pk").values_list("pk", flat=True)[0]
    holding, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with transaction.atomic():
            list(EmailQueue.objects.select_for_update().filter(pk=locked_id))
            holding.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=lambda: (hold_lock(), connection.close()))
    holder.start()
    try:
        assert holding.wait(timeout=10)
        claim = email_queue_claim(limit=10)  # would block forever without SKIP LOCKED
        assert len(claim.ids) == 2 and locked_id not in claim.ids
    finally:
        release.set()
        holder.join(timeout=10)
    assert email_queue_claim(limit=10).ids == [locked_id]


def test_concurrent_claims_never_overlap():
    due_rows(500, [UserFactory()])
    claims = run_in_threads(lambda: [email_queue_claim(limit=20) for _ in range(10)], WORKERS)
    claimed = [pk for worker_claims in claims for claim in worker_claims for pk in claim.ids]
    assert len(claimed) == len(set(claimed)) == 500


def test_a_worker_killed_mid_chunk_holds_its_rows_until_then_and_they_come_back_after(monkeypatch):
    """Worker A picks a chunk and stops inside it, holding the rows' locks: B's drain and the on-commit
    path skip them. A's backend is then killed (what a dead worker's dropped connection does): its
    transaction rolls back, and B's next drain sends the rows. Exactly one SENT log per row."""
    from emails import drain
    from emails.drain import email_dispatch

    due_rows(8, [UserFactory()])
    drain_thread_name = "worker-a"
    holding, release = threading.Event(), threading.Event()
    held: dict[str, Any] = {}
    real_send = drain._send

    def send(decision: Any, **kwargs: Any) -> str:
        if threading.current_thread().name == drain_thread_name and not holding.is_set():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                held["pid"] = cursor.fetchone()[0]
            holding.set()
            release.wait(timeout=30)
        return real_send(decision, **kwargs)

    monkeypatch.setattr(drain, "_send", send)
    outcome: dict[str, Any] = {}

    def worker_a() -> None:
        try:
            outcome["a"] = email_queue_drain(batch_size=5, max_batches=1)
        finally:
            connection.close()

    a = threading.Thread(target=worker_a, name=drain_thread_name)
    a.start()
    try:
        assert holding.wait(timeout=10)
        # B drains what A does not hold, without waiting for A's locks; the on-commit path skips A's rows too.
        assert email_queue_drain(time_budget=900) == {EmailStatus.SENT: 3}
        held_ids = set(EmailQueue.objects.filter(status=EmailStatus.PENDING).values_list("pk", flat=True))
        assert len(held_ids) == 5
        assert all(email_dispatch(queue_id=pk) is None for pk in held_ids)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [held["pid"]])
    finally:
        release.set()
        a.join(timeout=30)
    assert outcome["a"] == {"ERROR": 5}  # its sends went out (SMTP's gap), its commit never happened
    assert set(EmailQueue.objects.filter(status=EmailStatus.PENDING).values_list("pk", flat=True)) == held_ids
    assert not EmailQueue.objects.filter(pk__in=held_ids).exclude(lock_token="").exists()  # no lease to wait out

    assert email_queue_drain(time_budget=900) == {EmailStatus.SENT: 5}
    per_row = EmailLog.objects.values("queue_item").annotate(n=Count("pk"))
    assert per_row.count() == 8 and {r["n"] for r in per_row} == {1}
    # The repeated messages are exactly A's chunk, each with the same Message-ID as its first copy.
    message_ids = Counter(m.extra_headers["Message-ID"] for m in mail.outbox)
    assert {mid for mid, n in message_ids.items() if n == 2} == {f"<{pk}@testserver>" for pk in held_ids}
