"""The own-hours list as a declared list page: the year filter, the HTMX table, the export
in the table's columns, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from jiaoyan.hours.models import HoursRecord
from tests.support import read_xlsx

pytestmark = pytest.mark.usefixtures("chinese")


def credit(world, person, n: int, *, year: int, start: int = 0) -> None:
    """``n`` records of ``person`` in ``year``, credited by the district."""
    ct = ContentType.objects.get_for_model(type(world.units["linwei"]))
    HoursRecord.objects.bulk_create(
        [
            HoursRecord(
                person=person,
                hours=Decimal("1.5"),
                kind=HoursRecord.Kind.ACTIVITY,
                date=dt.date(year, 1 + i % 12, 1 + i % 28),
                title=f"教研活动{year}-{start + i}",
                source_type=ct,
                source_id=start + i + 1,
                credited_by=world.units["linwei"],
            )
            for i in range(n)
        ]
    )


def test_year_filter_and_own_rows_only(world, client_for):
    credit(world, world.people["teacher"], 3, year=2024)
    credit(world, world.people["teacher"], 2, year=2025, start=10)
    credit(world, world.people["principal"], 4, year=2025, start=20)
    c = client_for(world.users["teacher"])
    html = c.get("/hours/").content.decode()
    assert html.count('data-testid="hours-row"') == 5
    html = c.get("/hours/?year=2024").content.decode()
    assert html.count('data-testid="hours-row"') == 3 and "教研活动2025" not in html
    # An odd year is ignored, as before.
    assert c.get("/hours/?year=abc").content.decode().count('data-testid="hours-row"') == 5


def test_htmx_gets_the_table_only(world, client_for):
    credit(world, world.people["teacher"], 2, year=2025)
    resp = client_for(world.users["teacher"]).get(
        "/hours/?year=2025", headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    html = resp.content.decode()
    assert "<html" not in html and html.count('data-testid="hours-row"') == 2


def test_export_has_the_tables_columns_and_follows_the_filter(world, client_for):
    credit(world, world.people["teacher"], 3, year=2024)
    credit(world, world.people["teacher"], 2, year=2025, start=10)
    resp = client_for(world.users["teacher"]).get("/hours/?year=2025&export=xlsx")
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    rows = read_xlsx(resp.content)
    assert rows[0][0] == "我的学时"
    # The category (of the cycle's minimums) comes last; its header is translated with
    # the catalogue.
    assert rows[1][:5] == ["日期", "事由", "类型", "学时", "认定单位"] and len(rows[1]) == 6
    assert len(rows) == 4
    assert {r[1] for r in rows[2:]} == {"教研活动2025-10", "教研活动2025-11"}
    assert all(r[3] == 1.5 and r[4] == "临渭区" for r in rows[2:])


def test_query_count_is_pinned_and_does_not_grow(world, client_for, django_assert_max_num_queries):
    c = client_for(world.users["teacher"])
    credit(world, world.people["teacher"], 2, year=2025)
    c.get("/hours/")
    with django_assert_max_num_queries(10) as few:
        assert c.get("/hours/").status_code == 200
    credit(world, world.people["teacher"], 60, year=2024, start=100)  # > a page (25)
    with django_assert_max_num_queries(10) as many:
        html = c.get("/hours/").content.decode()
    assert html.count('data-testid="hours-row"') == 25
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_year_out_of_range_is_ignored_not_a_500(world, client_for):
    credit(world, world.people["teacher"], 2, year=2025)
    client = client_for(world.users["teacher"])
    for year in ("10000", "0", "-5", str(2**63), "2025.5"):
        resp = client.get(f"/hours/?year={year}")
        assert resp.status_code == 200, year
        assert resp.content.decode().count('data-testid="hours-row"') == 2, year  # all years
