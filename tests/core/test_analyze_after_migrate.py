"""A migration that rebuilds a table on SQLite drops its planner statistics; `migrate`
analyses such a table again, so pages keep their plans (the resource library went from
30 to 180 ms CPU at city scale after resources 0008 until it was analysed)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's statistics (PostgreSQL keeps its own)"
)


def _analysed() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


def test_migrate_analyses_a_table_that_lost_its_statistics(world):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert "orgs_orgunit" in _analysed()
    with connection.cursor() as cursor:  # what rebuilding the table does
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'orgs_orgunit'")
    assert "orgs_orgunit" not in _analysed()
    call_command("migrate", verbosity=0, interactive=False)
    assert "orgs_orgunit" in _analysed()
