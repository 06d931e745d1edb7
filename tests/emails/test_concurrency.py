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
