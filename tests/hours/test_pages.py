"""The "My hours" page: own records only, by year, exported, and a fixed number of
queries whatever the number of records."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import openpyxl
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import credit, make_activity, many_records

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


def _two_years(world, linwei_activity):
    teacher = world.people["teacher"]
    older = make_activity(world, title="临渭区去年的听评课")
    credit(linwei_activity, [teacher, world.people["principal"]], hours="3")  # 2026-03-18
    credit(older, [teacher], hours="1.5", date=dt.date(2025, 10, 9))


def test_the_page_lists_own_records_by_year(world, client_for, linwei_activity, huazhou):
    _two_years(world, linwei_activity)
    client = client_for(world.users["teacher"])
    with time_machine.travel(NOW, tick=False):
        html = client.get("/hours/").content.decode()
    assert html.count('data-testid="hours-row"') == 2
    assert "临渭区初中数学集体备课" in html and "临渭区去年的听评课" in html
    assert "华州区小学数学同课异构" not in html  # another district's (and person's) record
    assert 'data-testid="hours-this-year">3.0<' in html
    assert "2026（3.0）" in html and "2025（1.5）" in html

    html = client.get("/hours/?year=2025").content.decode()
    assert html.count('data-testid="hours-row"') == 1 and "临渭区去年的听评课" in html
    # A year that is not a number is ignored rather than emptying the page.
    assert client.get("/hours/?year=abc").content.decode().count('data-testid="hours-row"') == 2


def test_someone_with_no_hours_sees_the_explanation(world, client_for, linwei_activity):
    credit(linwei_activity, [world.people["teacher"]])
    html = client_for(world.users["counsellor"]).get("/hours/").content.decode()
    assert 'data-testid="hours-row"' not in html
    assert "临渭区初中数学集体备课" not in html


def test_the_htmx_fragment_is_the_table_only(world, client_for, linwei_activity):
    credit(linwei_activity, [world.people["teacher"]])
    resp = client_for(world.users["teacher"]).get(
        "/hours/?year=2026", headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.count('data-testid="hours-row"') == 1
    assert "<html" not in html and "hours-this-year" not in html


def test_export_has_the_own_records_of_the_chosen_year(world, client_for, linwei_activity):
    _two_years(world, linwei_activity)
    resp = client_for(world.users["teacher"]).get("/hours/?year=2026&export=xlsx")
    assert resp.status_code == 200
    sheet = openpyxl.load_workbook(BytesIO(resp.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if any(c is not None for c in r)]
    body = [r for r in rows if r[1] == "临渭区初中数学集体备课"]
    assert len(body) == 1
    assert body[0][3] == 3.0 and body[0][4] == "临渭区教师发展中心"
    assert not any("临渭区去年的听评课" in str(c) for r in rows for c in r)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_issues_a_fixed_number_of_queries(world, client_for, linwei_activity):
    client = client_for(world.users["teacher"])
    credit(linwei_activity, [world.people["teacher"]])
    few = _count(client, "/hours/")
    many_records(world.people["teacher"], settings.PAGE_SIZE * 2 + 3)
    for url in ("/hours/", "/hours/?year=2026", "/hours/?page=2"):
        assert _count(client, url) == few, url
    assert few <= 12
