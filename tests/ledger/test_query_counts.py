"""The boards issue the same number of queries for 1 item as for 20."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiaoyan.ledger import services
from jiaoyan.ledger.models import Item

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


def test_supervision_board_queries_do_not_grow_with_supervisions(world, client_for):
    """Each row shows its item's units, person and supervising unit: joined, not fetched."""
    _items(world, 6)
    items = list(Item.objects.order_by("pk"))
    with time_machine.travel(timezone.now() + dt.timedelta(days=10)):
        client = client_for(world.users["city_admin"])
        services.escalate(actor=world.users["city_admin"], item=items[0], reason="逾期")
        client.get("/ledger/supervision/")
        one = _count(client, "/ledger/supervision/")
        for item in items[1:]:
            services.escalate(actor=world.users["city_admin"], item=item, reason="逾期")
        assert _count(client, "/ledger/supervision/") == one
