""" "My resources": what the user created or is an author of, in any status, read from
indexes (an id set of each kind) rather than a scan of every resource."""

from __future__ import annotations

import pytest
from django.db import connection

from jiaoyan.resources import queries
from tests.resources.conftest import draft

pytestmark = pytest.mark.usefixtures("chinese")


def test_mine_holds_what_the_user_created_or_wrote_newest_first(world):
    w = world
    own = draft(w, title="自己的草稿", with_file=False)
    for_teacher = draft(
        w, actor="principal", title="校长代建", authors=[w.people["teacher"]], with_file=False
    )
    principals = draft(w, actor="principal", title="校长自己的", with_file=False)
    order = ("-created_at", "-id")
    assert list(queries.mine(w.users["teacher"]).order_by(*order)) == [for_teacher, own]
    # the principal created both of theirs, though the teacher is the first one's author
    assert list(queries.mine(w.users["principal"]).order_by(*order)) == [principals, for_teacher]
    assert not queries.mine(w.users["district_researcher"]).exists()
    assert queries.panel_counts(w.users["teacher"])["drafts"] == 2


def test_mine_reads_indexes_not_every_resource(world):
    """The ids are one UNION of two index searches, whatever the statistics say: written
    as an OR of the two, SQLite's plan depends on them (with a city's, it walks every
    resource in date order and tests the OR on each: 200 ms)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL scans tables this small whatever the query)")
    draft(world, with_file=False)
    mine = queries.mine(world.users["teacher"]).order_by("-created_at", "-id")  # the page's
    sql, params = mine.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[3] for row in cursor.fetchall()]
    assert plan[0] == "SEARCH resources_resource USING INTEGER PRIMARY KEY (rowid=?)", plan
    assert "COMPOUND QUERY" in plan, plan
    assert not any(p.startswith("SCAN resources_resource") for p in plan), plan
