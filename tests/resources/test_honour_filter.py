"""The recommendation-level filter (校优/县优/市优) of the library list, its search and
the API search, and the honour column of the library's export."""

from __future__ import annotations

import io

import pytest
import time_machine
from openpyxl import load_workbook

from jiaoyan.resources import rounds, services

from .conftest import reviewed
from .test_rounds import AFTER, DURING, city_round

pytestmark = pytest.mark.usefixtures("chinese")


def published(w, title):
    r, _review = reviewed(w, title=title)
    return services.decide(actor=w.users["principal"], resource=r, decision="publish")


@pytest.fixture
def honoured(world):
    """Announced: 甲 a school honour, 乙 a county honour (the school recommended it and
    the county selected it); 丙 published, never recommended."""
    w = world
    with time_machine.travel(DURING, tick=False) as t:
        r = city_round(w, school_quota=2)
        a = published(w, "甲 分数的意义教学设计")
        b = published(w, "乙 分数的加法教学设计")
        c = published(w, "丙 分数的减法教学设计")
        rounds.recommend(actor=w.users["principal"], round=r, resource=a)
        rounds.recommend(actor=w.users["principal"], round=r, resource=b)
        rounds.recommend(actor=w.users["district_researcher"], round=r, resource=b)
        t.move_to(AFTER)
        rounds.announce(actor=w.users["city_admin"], round=r)
        yield w, {"a": a, "b": b, "c": c}


def titles(page: str, names) -> set[str]:
    return {n for n in names if n in page}


NAMES = ("甲 分数的意义", "乙 分数的加法", "丙 分数的减法")


def test_the_library_filters_by_honour(honoured, client_for):
    w, _r = honoured
    c = client_for(w.users["teacher"])
    assert titles(c.get("/resources/").content.decode(), NAMES) == set(NAMES)
    assert titles(c.get("/resources/?honour=school").content.decode(), NAMES) == {"甲 分数的意义"}
    assert titles(c.get("/resources/?honour=county").content.decode(), NAMES) == {"乙 分数的加法"}
    assert titles(c.get("/resources/?honour=city").content.decode(), NAMES) == set()
    # with the search: the words and the honour together
    page = c.get("/resources/?q=加法&honour=county").content.decode()
    assert titles(page, NAMES) == {"乙 分数的加法"}
    page = c.get("/resources/?q=加法&honour=school").content.decode()
    assert titles(page, NAMES) == set()
    # an unknown level: the filter's error, not a 500
    assert c.get("/resources/?honour=galaxy").status_code == 200


def test_the_api_search_filters_by_honour(honoured, api_for):
    w, r = honoured
    api = api_for(w.users["teacher"])
    body = api.get("/api/v1/resources", {"honour": "county"}).json()
    assert [i["id"] for i in body["items"]] == [r["b"].pk] and body["count"] == 1
    body = api.get("/api/v1/resources", {"q": "分数", "honour": "school"}).json()
    assert [i["id"] for i in body["items"]] == [r["a"].pk]
    body = api.get("/api/v1/resources", {"q": "分数"}).json()
    assert {i["id"] for i in body["items"]} == {r["a"].pk, r["b"].pk, r["c"].pk}
    assert api.get("/api/v1/resources", {"honour": "galaxy"}).status_code == 422


def test_the_export_carries_the_honours(honoured, client_for):
    w, _r = honoured
    x = client_for(w.users["teacher"]).get("/resources/?export=xlsx")
    assert x.status_code == 200
    rows = list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    header = list(rows[1])
    assert "荣誉称号" in header
    col = header.index("荣誉称号")
    by_title = {row[0]: row[col] for row in rows[2:]}
    assert by_title["甲 分数的意义教学设计"] == "2026 优课·校优"
    assert by_title["乙 分数的加法教学设计"] == "2026 优课·县优"
    assert by_title["丙 分数的减法教学设计"] in (None, "")
    # the filter holds in the export too
    x = client_for(w.users["teacher"]).get("/resources/?export=xlsx&honour=county")
    rows = list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[2:]] == ["乙 分数的加法教学设计"]


def test_the_export_reads_honours_in_batches(honoured, client_for, django_assert_max_num_queries):
    w, _r = honoured
    c = client_for(w.users["teacher"])
    with django_assert_max_num_queries(16):
        assert c.get("/resources/?export=xlsx").status_code == 200
