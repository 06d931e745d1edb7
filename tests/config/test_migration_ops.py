"""The write-hot tables carry no `varchar_pattern_ops` copy of their id indexes (config/migration_ops.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from config.migration_ops import pattern_indexes_drop

pytestmark = pytest.mark.django_db

TABLES = {
    "analytics_event": ["id"],
    "emails_emailqueue": ["id", "idempotency_key"],
    "emails_emaillog": ["id", "queue_item_id"],
}


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [table]
        )
        return dict(cursor.fetchall())


def test_the_hot_tables_have_no_pattern_copies_of_their_id_indexes() -> None:
    for table in TABLES:
        definitions = _indexes(table)
        assert not [name for name, sql in definitions.items() if "varchar_pattern_ops" in sql], table
        assert f"{table}_pkey" in definitions  # the real ones stay
    assert "emails_emailqueue_idempotency_key_key" in _indexes("emails_emailqueue")
    assert {"event_event", "event_event_created_at"} <= set(_indexes("analytics_event"))  # the seed's


def test_the_operation_reverses_and_applies_again() -> None:
    operation = pattern_indexes_drop({"emails_emaillog": ["id", "queue_item_id"]})
    with connection.schema_editor() as editor:
        operation.reverse_code(None, editor)  # type: ignore[misc]
    restored = [sql for sql in _indexes("emails_emaillog").values() if "varchar_pattern_ops" in sql]
    assert len(restored) == 2
    with connection.schema_editor() as editor:
        operation.code(None, editor)
    assert not [sql for sql in _indexes("emails_emaillog").values() if "varchar_pattern_ops" in sql]
