"""The boards issue the same number of queries for 1 item as for 20."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiaoyan.ledger import services

URLS = [
    "/ledger/?board=mine",
    "/ledger/?board=unit",
    "/ledger/?board=unit&view=kanban",
    "/ledger/?board=assigned&status=overdue&tag=新课标",
    "/ledger/?board=supervision",
    "/ledger/supervision/",
]


def _items(world, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        services.create_item(
            actor=world.district_researcher,
            org_unit=world.units["linwei_institute"],
            title=f"事项{i}",
            responsible_unit=world.schools["school_a"].org_unit,
            responsible_person=world.people["principal"],
            due_on=timezone.localdate() + dt.timedelta(days=i % 5),
            tags=["新课标", f"标签{i}"],
        )


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", URLS)
def test_board_queries_do_not_grow_with_rows(world, client_for, url):
    _items(world, 1)
    client = client_for(world.principal)
    client.get(url)  # sessions, caches
    one = _count(client, url)
    _items(world, 19, start=1)
    assert _count(client, url) == one
    assert one <= 16, one
