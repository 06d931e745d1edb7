"""GIN indexes on the stored search vectors: PostgreSQL only (SQLite has no GIN and no tsvector; there the
search falls back to a substring match, see search/selectors.py)."""

from django.db import migrations

INDEXES = [
    ("search_doc_title_gin", "search_lessondocument", "title_vector"),
    ("search_doc_content_gin", "search_lessondocument", "content_vector"),
    ("search_doc_transcript_gin", "search_lessondocument", "transcript_vector"),
    ("search_cue_vector_gin", "search_transcriptcueentry", "vector"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ("{column}")')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
