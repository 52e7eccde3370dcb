"""core.search on PostgreSQL reads its GIN index, and keeps the index's pending list short.

Two reasons every search read far more than its hits (EXPLAIN on the small demo):

* ``core_search_hits`` matched through the content type's b-tree (every document of the
  model, each vector tested with ``@@``: all 100,000 resources at city scale, for a rare
  word too), because sequential scans are off in it and that index was the cheapest one
  left: the content type is now compared as ``content_type_id + 0``, which no index
  serves, so the GIN index finds the hits;
* the GIN index's pending list (``fastupdate``) held every document a bulk load had
  inserted (4 MB, scanned in full by every search until a vacuum merges it): it is
  merged now, kept to 256 kB by later writes, and merged after every bulk indexing
  (``search.index_many``).

Nothing changes on SQLite.
"""

from django.db import migrations

HITS = """CREATE OR REPLACE FUNCTION core_search_hits(query tsquery, ct integer, ranked boolean)
    RETURNS TABLE(object_id bigint, rank real)
    LANGUAGE sql STABLE PARALLEL SAFE ROWS 1000 SET enable_seqscan = off
    AS $$
        SELECT d.object_id, CASE WHEN ranked THEN ts_rank(d.vector, query, 1) ELSE 0 END
        FROM core_searchdocument d WHERE d.content_type_id {} = ct AND d.vector @@ query
    $$"""

FORWARD = [
    HITS.format("+ 0"),
    "ALTER INDEX core_searchdocument_vector SET (gin_pending_list_limit = 256)",
    "SELECT gin_clean_pending_list('core_searchdocument_vector'::regclass)",
]
BACKWARD = [
    HITS.format(""),
    "ALTER INDEX core_searchdocument_vector RESET (gin_pending_list_limit)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0010_data_versions")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
