"""Search at 1,000 lessons with 10,000-word transcripts (issue 15, bench/search.py), PostgreSQL only:

- The cue GIN index becomes (lesson_id, vector), with btree_gin (a trusted contrib extension: the database
  owner may create it): "the first cue of this lesson that matches" is then one small index lookup per hit,
  not a walk of the word's posting list across every transcript. A phrase search over all cues uses the same
  index on its second column.
- The lesson documents keep their title and content vectors in the row (toast_tuple_target 8 kB: ~3 kB of
  content vector for a 300-word body), so ranking the candidates does not fetch each vector from the TOAST
  table (by default a row is squeezed under 2 kB, which sent them there); the rows are rewritten once here
  so the existing ones follow.
- `search_lesson_matches(query)`: which lessons match, whether they match in what a learner without access
  may not read (body, transcript) and in their content, and their content and title ranks (the content
  rank of every candidate: a transcript hit whose title holds some of the words ranks above one whose
  title holds none), from the GIN indexes alone.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

MATCHES_FUNCTION = """
CREATE OR REPLACE FUNCTION search_lesson_matches(query tsquery)
RETURNS TABLE (lesson_id varchar, readable boolean, content_hit boolean, content_rank real, title_rank real)
LANGUAGE sql STABLE
-- Only bitmap scans, i.e. the GIN indexes: a sequential or full-index scan would unpack every lesson's
-- TOASTed transcript vector (10,000 words), which the planner prices as one cheap row each.
SET enable_seqscan = off
SET enable_indexscan = off
SET max_parallel_workers_per_gather = 0
ROWS 100
AS $$
    -- No phrase: one bitmap OR of the three GIN indexes. Their answer is exact here, so the transcript
    -- vector is never read, except to tell whether a lesson matched only on its title also matches in
    -- its transcript (possible with an exclusion alone: `webhook -stripe`).
    SELECT d.lesson_id,
           d.content_vector @@ query OR NOT d.title_vector @@ query OR d.transcript_vector @@ query,
           d.content_vector @@ query,
           ts_rank(d.content_vector, query),
           CASE WHEN d.title_vector @@ query THEN ts_rank(d.title_vector, query) END
    FROM search_lessondocument d
    WHERE strpos(query::text, '<') = 0
      AND (d.content_vector @@ query OR d.transcript_vector @@ query OR d.title_vector @@ query)
    UNION ALL
    -- A phrase (`<->` in the query) needs word positions, which GIN lacks: a transcript is matched in its
    -- ten-word cues, whose positions are exact (a lesson-wide vector keeps 256 per word and none past
    -- 16,383), and the lesson-wide transcript vector is not touched.
    SELECT d.lesson_id,
           d.content_vector @@ query OR d.lesson_id = ANY(spoken.lessons),
           d.content_vector @@ query,
           ts_rank(d.content_vector, query),
           CASE WHEN d.title_vector @@ query THEN ts_rank(d.title_vector, query) END
    FROM search_lessondocument d,
         (SELECT ARRAY(SELECT c.lesson_id FROM search_transcriptcueentry c WHERE c.vector @@ query) AS lessons) spoken
    WHERE strpos(query::text, '<') > 0
      AND (d.content_vector @@ query OR d.lesson_id = ANY(spoken.lessons) OR d.title_vector @@ query)
$$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "search_cue_lesson_vector_gin" ON "search_transcriptcueentry"'
        ' USING gin ("lesson_id", "vector")'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "search_cue_vector_gin"')
    # Rows up to 8 kB stay whole; above that the largest values (the transcript vector first) leave the row
    # until it fits. (STORAGE MAIN on the content vector instead would, for a long body, push out small
    # values such as the lesson id itself, and every join on it would then read the TOAST table.)
    schema_editor.execute('ALTER TABLE "search_lessondocument" SET (toast_tuple_target = 8160)')
    # A new value for each row (an unchanged one would keep its TOAST pointer).
    schema_editor.execute(
        'UPDATE "search_lessondocument" SET "content_vector" = "content_vector" || \'\'::tsvector'
        ' WHERE "content_vector" IS NOT NULL'
    )
    schema_editor.execute(MATCHES_FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS search_lesson_matches(tsquery)")
    schema_editor.execute('ALTER TABLE "search_lessondocument" RESET (toast_tuple_target)')
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "search_cue_vector_gin" ON "search_transcriptcueentry" USING gin ("vector")'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "search_cue_lesson_vector_gin"')


class Migration(migrations.Migration):
    dependencies = [("search", "0002_gin_indexes")]

    operations = [BtreeGinExtension(), migrations.RunPython(forwards, backwards)]
