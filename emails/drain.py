"""The drain: pick due queue rows, apply the send-time guards, send, record every attempt.

Guarantees (DESIGN.md §8):
- A row is sent by one worker at a time. The beat drain works in chunks, each one transaction:
  `SELECT … FOR UPDATE SKIP LOCKED … LIMIT SEND_CHUNK` picks due rows nobody holds and keeps them locked
  while they are guarded, rendered, sent and recorded, then one commit. No lease is written on this path:
  the row lock is held for the whole send, and a worker that dies mid-chunk has its transaction rolled
  back, so its rows are simply due again for the next drain.
- The on-commit path (`email_dispatch`, one row) claims its row with a lease (`locked_until` +
  `lock_token`) in a short transaction, then sends it while the row is locked and only if the row still
  carries that claim's token and is still PENDING. A leased row is not due, so the drain skips it; a row
  the drain holds is locked, so the dispatch's claim skips it. A task that runs twice, a beat drain racing
  an on-commit dispatch, or a worker whose lease expired mid-send never sends a row twice.
- A failure (rendering or transport) is an attempt: it is logged, and the row is retried with
  exponential backoff kept in the database (`attempts`, `next_attempt_at`, `last_error`) until
  `MAX_ATTEMPTS`, then it is FAILED. Nothing is lost to a broker or a Celery ETA.
- What remains is SMTP's own gap: if the process dies after the server accepted a message but
  before the commit, the row is sent again (at most a chunk's emails); the stable `Message-ID` (the row
  id) lets the receiving side recognise the duplicate.

All times come from `django.utils.timezone.now()` (never the database clock), so tests move them
with time-machine.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import get_connection
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from config.ids import new_id
from courses.selectors import published_course_pinned
from emails.guards import cancel_reason, recipient, recipients
from emails.models import EmailLog, EmailQueue, EmailStatus, EmailTemplate
from emails.rendering import PROGRESS_TEMPLATES, email_context, email_render, email_subject, recipient_address

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between the five attempts
BACKOFF_MAX = timedelta(hours=6)
# The on-commit path's lease (`email_dispatch`): longer than one send can take (bounded by EMAIL_TIMEOUT), so a
# live worker never loses it; a dead one's row comes back within minutes.
LEASE = timedelta(minutes=15)
BATCH_SIZE = 50  # `email_queue_claim`'s default: the rows one lease reserves
# The beat ticks every 60 s; a drain stops starting new chunks before the next tick starts another.
TIME_BUDGET_SECONDS = 50.0


@dataclass(frozen=True)
class Claim:
    token: str
    ids: list[str]


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: 1, 2, 4, 8 … minutes, capped."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _due(now: datetime) -> Q:
    return (
        Q(status=EmailStatus.PENDING, scheduled_for__lte=now)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    )


def email_queue_claim(*, limit: int = BATCH_SIZE, queue_id: str | None = None, now: datetime | None = None) -> Claim:
    """Lease up to `limit` due rows (oldest first) to a new claim token. Short transaction."""
    now = now or timezone.now()
    token = new_id()
    with transaction.atomic():
        due = EmailQueue.objects.filter(_due(now))
        if queue_id is not None:
            due = due.filter(pk=queue_id)
        # SKIP LOCKED: rows another worker is claiming right now are simply not ours; no waiting.
        ids = list(
            due.order_by("scheduled_for").select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        if ids:
            EmailQueue.objects.filter(pk__in=ids).update(locked_until=now + LEASE, lock_token=token)
    return Claim(token=token, ids=ids)


def _log(item: EmailQueue, *, to: str, subject: str, status: str, error: str | None = None) -> None:
    EmailLog.objects.create(
        user_id=item.user_id,
        template=item.template,
        to=to,
        subject=subject[:255],
        status=status,
        error=error,
        queue_item=item,
    )


def _finish(item: EmailQueue, *, status: str, error: str = "") -> None:
    item.status = status
    item.processed_at = timezone.now()
    item.locked_until = None
    item.lock_token = ""
    item.last_error = error
    item.save(update_fields=["status", "processed_at", "locked_until", "lock_token", "last_error", "attempts"])


def _subject_for_log(item: EmailQueue, user: Any) -> str:
    try:
        context = email_context(template=item.template, user=user, data=item.data)
        return email_subject(template=item.template, context=context)
    except Exception:  # the subject is only informative here; the row is being cancelled anyway
        logger.warning("could not render the subject of %s for its log row", item.pk, exc_info=True)
        return EmailTemplate(item.template).label


def email_process(*, queue_id: str, lock_token: str, connection: Any = None) -> str | None:
    """Guard, send and record one claimed row; returns its new status (PENDING when it will be
    retried), or None when the row is no longer this claim's to send (already done, or reclaimed)."""
    with transaction.atomic():
        # FOR UPDATE: the row stays locked while it is sent, so nobody else can send it meanwhile.
        item = (
            EmailQueue.objects.select_for_update()
            .filter(pk=queue_id, lock_token=lock_token, status=EmailStatus.PENDING)
            .first()
        )
        if item is None:
            return None
        user = recipient(item.user_id)
        if user is None:
            # No EmailLog: the log's user is a real foreign key, and the user's logs went with them.
            _finish(item, status=EmailStatus.CANCELLED, error="user deleted")
            return EmailStatus.CANCELLED
        subject = EmailTemplate(item.template).label
        to = recipient_address(template=item.template, user=user, data=item.data)
        reason: str | None = None
        try:
            # A savepoint: a database error inside a guard must leave this transaction able to record it.
            with transaction.atomic():
                reason = cancel_reason(item, user)
                if reason is None:
                    rendered = email_render(template=item.template, user=user, data=item.data, message_key=item.pk)
                    subject = rendered.subject
                    rendered.message(connection=connection).send()
        except Exception as exc:  # noqa: BLE001 — any guard, rendering or transport failure is an attempt, retried
            return _attempt_failed(item, to=to, subject=subject, exc=exc, connection=connection)

        if reason is not None:
            _finish(item, status=EmailStatus.CANCELLED, error=reason)
            _log(item, to=to, subject=_subject_for_log(item, user), status=EmailStatus.CANCELLED, error=reason)
            return EmailStatus.CANCELLED
        item.attempts += 1
        _finish(item, status=EmailStatus.SENT)
        _log(item, to=to, subject=subject, status=EmailStatus.SENT)
        return EmailStatus.SENT


def _attempt_failed(item: EmailQueue, *, to: str, subject: str, exc: Exception, connection: Any) -> str:
    item.attempts += 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    logger.warning("email %s (%s) attempt %d failed: %s", item.pk, item.template, item.attempts, error)
    if connection is not None:
        connection.close()  # a broken SMTP session must not fail the rest of the batch
    _log(item, to=to, subject=subject, status=EmailStatus.FAILED, error=error)
    if item.attempts >= MAX_ATTEMPTS:
        _finish(item, status=EmailStatus.FAILED, error=error)
        return EmailStatus.FAILED
    item.next_attempt_at = timezone.now() + backoff(item.attempts)
    item.last_error = error
    item.locked_until = None
    item.lock_token = ""
    item.save(update_fields=["attempts", "next_attempt_at", "last_error", "locked_until", "lock_token"])
    return EmailStatus.PENDING


# The beat drain sends and records due rows this many at a time, in one transaction holding their row locks:
# a fixed number of statements per chunk (pick and lock the due rows, read their recipients with every
# guard's data, one UPDATE per distinct outcome — usually one —, one INSERT of the logs, commit), not per row.
# The trade-off: a process that dies mid-chunk (after handing some of its messages to the transport, before
# the commit) has the chunk rolled back, and the next drain repeats at most this many emails, each with the
# same Message-ID (the row id) so the receiving side can recognise the duplicate. Per-chunk work is shared
# by the chunk's rows (bench/README.md, the drain's --send-chunk rounds); 1 would mean a commit per email.
SEND_CHUNK = 25


class _RowByRow(Exception):
    """A database error while deciding a chunk: nothing of it was sent and its transaction rolled back;
    process its rows one by one."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(ids)
        self.ids = ids


class _ChunkFailed(Exception):
    """Any other error in a chunk (e.g. the connection dropped at commit): its transaction rolled back."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


@dataclass
class _Decision:
    item: EmailQueue
    user: Any
    reason: str | None = None
    rendered: Any = None
    error: Exception | None = None
    subject: str = ""


def _chunk_process(*, limit: int, connection: Any, outcome: Counter[str]) -> int:
    """Pick up to `limit` due rows (oldest first) and guard, send and record them in one transaction (see
    SEND_CHUNK); returns how many rows it picked (0: nothing is due that nobody holds).

    Same rules as `email_process`, row by row: a row is sent only while it is locked and still PENDING;
    a guard, rendering or transport failure is that row's failed attempt. The guards' reads are made once
    for the chunk (`recipients`), every row is decided and rendered before the first is sent, and the rows'
    updates are grouped by outcome. A database error before sending rolls the chunk back untouched and
    raises `_RowByRow`; any other error (picking the rows, recording them, the commit) rolls it back too and
    raises `_ChunkFailed`: the rows are due again.
    """
    now = timezone.now()
    picked = 0
    try:
        with transaction.atomic():
            # FOR UPDATE SKIP LOCKED: rows another worker holds (or is sending right now) are not ours, no waiting;
            # the ones picked stay locked until this transaction ends, so nobody else can send them meanwhile.
            items = list(
                EmailQueue.objects.filter(_due(now))
                .order_by("scheduled_for")
                .select_for_update(skip_locked=True)[:limit]
            )
            picked = len(items)
            if not items:
                return 0
            try:
                # One read of the published course for the chunk's emails (free lesson, progress).
                with published_course_pinned():
                    users = recipients(
                        [item.user_id for item in items],
                        with_progress=any(item.template in PROGRESS_TEMPLATES for item in items),
                    )
                    decisions = [_decide(item, users.get(item.user_id)) for item in items]
            except DatabaseError as exc:
                raise _RowByRow([item.pk for item in items]) from exc
            now = timezone.now()
            logs: list[EmailLog] = []
            sent: Counter[str] = Counter()  # counted once committed: a chunk rolled back recorded nothing
            for decision in decisions:
                sent[_send(decision, now=now, connection=connection, logs=logs)] += 1
            _record(items, now=now)
            EmailLog.objects.bulk_create(logs)
    except _RowByRow:
        raise
    except Exception as exc:  # e.g. the connection dropped, or the commit failed: all of it rolled back
        raise _ChunkFailed(picked) from exc
    outcome.update(sent)
    return len(items)


def _decide(item: EmailQueue, user: Any) -> _Decision:
    decision = _Decision(item=item, user=user, subject=EmailTemplate(item.template).label)
    if user is None:
        return decision
    try:
        decision.reason = cancel_reason(item, user)
        if decision.reason is None:
            decision.rendered = email_render(template=item.template, user=user, data=item.data, message_key=item.pk)
            decision.subject = decision.rendered.subject
        else:
            decision.subject = _subject_for_log(item, user)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 — a guard or rendering failure is this row's failed attempt
        decision.error = exc
    return decision


def _log_row(item: EmailQueue, *, to: str, subject: str, status: str, error: str | None = None) -> EmailLog:
    return EmailLog(
        user_id=item.user_id,
        template=item.template,
        to=to,
        subject=subject[:255],
        status=status,
        error=error,
        queue_item=item,
    )


def _send(decision: _Decision, *, now: datetime, connection: Any, logs: list[EmailLog]) -> str:
    """Send one decided row (or not) and set its fields; its log is appended to `logs`."""
    item, user = decision.item, decision.user

    def finish(status: str, error: str = "") -> str:
        item.status, item.processed_at, item.locked_until, item.lock_token = status, now, None, ""
        item.last_error = error
        return status

    if user is None:
        return finish(EmailStatus.CANCELLED, "user deleted")  # no EmailLog: its user went with the logs
    to = recipient_address(template=item.template, user=user, data=item.data)  # TEAM_INVITE: the invitee
    if decision.reason is not None:
        logs.append(
            _log_row(item, to=to, subject=decision.subject, status=EmailStatus.CANCELLED, error=decision.reason)
        )
        return finish(EmailStatus.CANCELLED, decision.reason)
    error = decision.error
    if error is None:
        try:
            _deliver(decision.rendered.message(), connection=connection)
        except Exception as exc:  # noqa: BLE001 — a transport failure is an attempt, retried
            error = exc
            if connection is not None:
                connection.close()  # a broken SMTP session must not fail the rest of the batch
    item.attempts += 1
    if error is None:
        logs.append(_log_row(item, to=to, subject=decision.subject, status=EmailStatus.SENT))
        return finish(EmailStatus.SENT)
    message = f"{type(error).__name__}: {error}"[:2000]
    logger.warning("email %s (%s) attempt %d failed: %s", item.pk, item.template, item.attempts, message)
    logs.append(_log_row(item, to=to, subject=decision.subject, status=EmailStatus.FAILED, error=message))
    if item.attempts >= MAX_ATTEMPTS:
        return finish(EmailStatus.FAILED, message)
    item.next_attempt_at = now + backoff(item.attempts)
    item.last_error, item.locked_until, item.lock_token = message, None, ""
    return EmailStatus.PENDING


def _deliver(message: Any, *, connection: Any) -> None:
    """`message.send()` over the run's connection, without making the connection part of the message (a
    backend that keeps messages, such as locmem's, copies each one whole)."""
    if not message.recipients():
        return  # what `send()` does: nobody to send to
    if connection is None:
        message.send()
    else:
        connection.send_messages([message])


def _record(items: list[EmailQueue], *, now: datetime) -> None:
    """Write the chunk's rows: one UPDATE per distinct outcome (usually one: all SENT), not one per row."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for item in items:
        key = (
            item.status,
            item.processed_at,
            item.locked_until,
            item.lock_token,
            item.last_error,
            item.next_attempt_at,
        )
        groups.setdefault((*key, item.attempts), []).append(item.pk)
    for (status, processed_at, locked_until, lock_token, last_error, next_attempt_at, attempts), pks in groups.items():
        EmailQueue.objects.filter(pk__in=pks).update(
            status=status,
            processed_at=processed_at,
            locked_until=locked_until,
            lock_token=lock_token,
            last_error=last_error,
            next_attempt_at=next_attempt_at,
            attempts=attempts,
        )


def email_dispatch(*, queue_id: str) -> str | None:
    """Send one row now if it is due and nobody holds it (the on-commit path). Safe to call twice."""
    claim = email_queue_claim(limit=1, queue_id=queue_id)
    if not claim.ids:
        return None
    return email_process(queue_id=queue_id, lock_token=claim.token)


def email_queue_drain(
    *, batch_size: int | None = None, time_budget: float = TIME_BUDGET_SECONDS, max_batches: int | None = None
) -> Counter[str]:
    """Send due rows chunk after chunk until none is due, the time budget is spent or `max_batches` chunks
    ran. A batch is one chunk: one transaction of up to `batch_size` rows (default `SEND_CHUNK`) picked with
    SKIP LOCKED, sent and recorded (`_chunk_process`). Any number of these may run at once. Returns counts
    by outcome."""
    started = time.monotonic()
    outcome: Counter[str] = Counter()
    limit = batch_size or SEND_CHUNK
    connection = get_connection()
    try:
        connection.open()  # one SMTP session for the run; each send reopens it if it broke
    except Exception:
        logger.warning("email backend did not open; each send will try on its own", exc_info=True)
    try:
        batches = 0
        while max_batches is None or batches < max_batches:
            try:
                if not _chunk_process(limit=limit, connection=connection, outcome=outcome):
                    break
            except _RowByRow as fallback:
                logger.warning(
                    "a database error while deciding %s: sending them one by one", fallback.ids, exc_info=True
                )
                for queue_id in fallback.ids:
                    # Each with its own claim (a lease), lock and commit, as the on-commit path sends one row.
                    claim = email_queue_claim(limit=1, queue_id=queue_id)
                    status = (
                        email_process(queue_id=queue_id, lock_token=claim.token, connection=connection)
                        if claim.ids
                        else None
                    )
                    outcome[status or "SKIPPED"] += 1
            except _ChunkFailed as failed:
                # Rolled back: the rows are due again. Stop here rather than pick them again at once; the
                # next beat tick retries them (a message handed over before the error goes again, same Message-ID).
                logger.exception("a chunk of %d emails could not be processed; the next drain retries it", failed.rows)
                if failed.rows:
                    outcome["ERROR"] += failed.rows
                break
            batches += 1
            if time.monotonic() - started > time_budget:
                break
    finally:
        connection.close()
    return outcome
