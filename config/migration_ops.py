"""Migration operations more than one app uses."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def pattern_indexes_drop(tables: dict[str, list[str]]) -> migrations.RunPython:
    """Drop the `varchar_pattern_ops` copy PostgreSQL's schema editor adds beside the index of every
    string primary key, unique or foreign-key column, on the hot-write tables' cuid2 id columns.

    That copy serves only `LIKE 'prefix%'` lookups, which nothing runs on an opaque id, yet every INSERT
    (and every UPDATE that is not HOT) writes it. Found by definition rather than name; reversed by
    creating each again under the name Django gives it.
    """

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for table, columns in tables.items():
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    if any(f"({column} varchar_pattern_ops)" in definition for column in columns):
                        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, columns in tables.items():
            for column in columns:
                name = schema_editor._create_index_name(table, [column], suffix="_like")
                schema_editor.execute(
                    f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)}"
                    f" ({schema_editor.quote_name(column)} varchar_pattern_ops)"
                )

    return migrations.RunPython(forwards, backwards, elidable=False)
