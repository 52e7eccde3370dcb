"""SearchDocument (core.search) and each backend's full-text index beside it.

SQLite: an FTS5 table over the document's token columns (external content), kept by
triggers — so every way a row goes (the ORM, a bulk insert, a flush) reaches the index.
PostgreSQL: a generated tsvector of the same tokens ('simple': no stemming, the tokens
are jieba's) weighted A/B/C, with a GIN index, and the function core.search reads it with.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE = [
    """CREATE VIRTUAL TABLE core_search_fts USING fts5(
        title, body, "text",
        content='core_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER core_searchdocument_ai AFTER INSERT ON core_searchdocument BEGIN
        INSERT INTO core_search_fts(rowid, title, body, "text")
        VALUES (new.id, new.title, new.body, new."text");
    END""",
    """CREATE TRIGGER core_searchdocument_ad AFTER DELETE ON core_searchdocument BEGIN
        INSERT INTO core_search_fts(core_search_fts, rowid, title, body, "text")
        VALUES ('delete', old.id, old.title, old.body, old."text");
    END""",
    """CREATE TRIGGER core_searchdocument_au AFTER UPDATE ON core_searchdocument BEGIN
        INSERT INTO core_search_fts(core_search_fts, rowid, title, body, "text")
        VALUES ('delete', old.id, old.title, old.body, old."text");
        INSERT INTO core_search_fts(rowid, title, body, "text")
        VALUES (new.id, new.title, new.body, new."text");
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_searchdocument_ai",
    "DROP TRIGGER IF EXISTS core_searchdocument_ad",
    "DROP TRIGGER IF EXISTS core_searchdocument_au",
    "DROP TABLE IF EXISTS core_search_fts",
]
POSTGRESQL = [
    """ALTER TABLE core_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', body), 'B')
        || setweight(to_tsvector('simple', "text"), 'C')) STORED""",
    "CREATE INDEX core_searchdocument_vector ON core_searchdocument USING gin (vector)",
    # One model's hits, read through the GIN index: the planner underrates what testing
    # every row's vector costs and scans the table for common words (3x slower), so the
    # match runs where sequential scans are off; ranked only when the caller sorts by it.
    """CREATE FUNCTION core_search_hits(query tsquery, ct integer, ranked boolean)
    RETURNS TABLE(object_id bigint, rank real)
    LANGUAGE sql STABLE PARALLEL SAFE ROWS 1000 SET enable_seqscan = off
    AS $$
        SELECT d.object_id, CASE WHEN ranked THEN ts_rank(d.vector, query, 1) ELSE 0 END
        FROM core_searchdocument d WHERE d.content_type_id = ct AND d.vector @@ query
    $$""",
]
POSTGRESQL_DROP = [
    "DROP FUNCTION IF EXISTS core_search_hits(tsquery, integer, boolean)",
    "DROP INDEX IF EXISTS core_searchdocument_vector",
    "ALTER TABLE core_searchdocument DROP COLUMN IF EXISTS vector",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, ()):
            schema_editor.execute(sql)

    return run




class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0008_import_job_state_on_job'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('object_id', models.BigIntegerField()),
                ('title', models.TextField(blank=True)),
                ('body', models.TextField(blank=True)),
                ('text', models.TextField(blank=True)),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'verbose_name': 'search document',
                'verbose_name_plural': 'search documents',
                'ordering': ['id'],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
    ]
