"""The ledger's list pages as declared lists: a fixed number of queries with more rows
than a page holds, and the board's export (any board, any filter) re-imports unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.ledger.models import Brief
from tests.support import import_bytes, read_xlsx


@pytest.fixture
def many_items(world, make_item):
    """30 items (a board page holds 25), half tagged, deadlines spread over a week."""
    for i in range(30):
        make_item(
            f"事项{i:02d}",
            tags="新课标" if i % 2 else "",
            due_on=timezone.localdate() + dt.timedelta(days=i % 7),
        )


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/ledger/?board=assigned", 16),
        ("/ledger/?board=assigned&page=2&sort=-priority", 16),
        ("/ledger/?board=assigned&view=kanban", 16),
        ("/ledger/?board=unit&tag=新课标&sort=percent", 16),
    ],
)
def test_board_pages_in_fixed_queries(
    world, many_items, client_for, django_assert_max_num_queries, url, limit
):
    client = client_for(world.district_researcher)
    client.get(url)  # sessions, caches
    with django_assert_max_num_queries(limit):
        resp = client.get(url)
    assert resp.status_code == 200


def test_brief_list_in_fixed_queries(world, client_for, django_assert_max_num_queries):
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    Brief.objects.bulk_create(
        Brief(
            org_unit=world.units["linwei_institute"],
            period_start=monday - dt.timedelta(weeks=i),
            period_end=monday - dt.timedelta(weeks=i) + dt.timedelta(days=6),
            year=(monday - dt.timedelta(weeks=i)).year,
            title=f"教研简报{i}",
            editor="临渭区教师发展中心",
        )
        for i in range(30)
    )
    client = client_for(world.district_researcher)
    for url in ("/ledger/briefs/", "/ledger/briefs/?page=2&state=draft"):
        client.get(url)
        with django_assert_max_num_queries(10):
            resp = client.get(url)
        assert resp.status_code == 200
        assert "教研简报" in resp.content.decode()
    export = client.get("/ledger/briefs/?export=xlsx")
    rows = read_xlsx(export.content)
    assert len(rows[1]) == 8 and len(rows) == 2 + 30  # title, header, every brief


@pytest.mark.parametrize(
    "query",
    ["board=assigned", "board=assigned&tag=新课标&sort=-priority", "board=unit&view=kanban"],
)
def test_board_export_reimports_unchanged(world, many_items, client_for, query):
    resp = client_for(world.district_researcher).get(f"/ledger/?{query}&export=xlsx")
    assert resp.status_code == 200
    result = import_bytes(
        "ledger", resp.content, "export.xlsx", actor=world.district_researcher, dry_run=True
    )
    assert not result.errors, [str(e) for e in result.errors]
    assert result.rows > 0 and result.created == result.updated == 0
