"""Advisory locks: run-once guards for periodic tasks when several beat schedulers (or a duplicate tick) fire
the same job, and waits that serialize one kind of write until a transaction ends."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def single_flight(name: str) -> Iterator[bool]:
    """Yield True when this process may run `name` now, False when another run holds it.

    A PostgreSQL session-level advisory lock, so it holds across every instance that shares the database and is
    released if the process dies. Without PostgreSQL (SQLite under `make run`: one worker) it always yields True.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = _lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def transaction_lock(name: str) -> None:
    """Wait until no other transaction holds `name`, then hold it until the current transaction ends (a
    PostgreSQL transaction-level advisory lock: it also covers a row that does not exist yet). Call it inside
    `transaction.atomic()`. SQLite (`make run`) runs one writer at a time: nothing to wait for."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(name)])
