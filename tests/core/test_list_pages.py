"""List pages: filters, whitelisted sorting, pagination, the HTMX fragment, odd query
strings (never a 500), and the .xlsx export that imports back unchanged."""

from __future__ import annotations

import pytest

from tests.support import bulk_schools, import_bytes, read_xlsx

LISTS = ["/orgs/units/", "/orgs/schools/", "/people/", "/audit/", "/imports/", "/notifications/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999",
        "size=-5",
        "size=abc",
        "sort=password",
        "sort=-",
        "within=abc",
        "within=99999999",
        "kind=castle",
        "q=%00%27%22<script>",
        "q=" + "长" * 500,
        "is_weak=maybe",
        "status=gone",
        "subject=abc",
        "since=2024-13-45",
    ],
)
def test_odd_query_strings_never_500(world, client_for, url, query):
    resp = client_for(world.city_admin).get(f"{url}?{query}")
    assert resp.status_code == 200, (url, query)
    assert "<script>" not in resp.content.decode().split("</header>", 1)[-1].replace(
        "<script src=", ""
    ).replace('<script type="application/json"', "")


def test_school_list_filters_and_sort(world, client_for):
    client = client_for(world.city_admin)
    linwei = world.units["linwei"]
    html = client.get(f"/orgs/schools/?within={linwei.pk}").content.decode()
    assert html.count('data-testid="school-row"') == 2 and "华州区第一小学" not in html
    rows = client.get("/orgs/schools/?sort=-students").content.decode()
    assert (
        rows.index("临渭区第一初级中学")
        < rows.index("华州区第一小学")
        < rows.index("临渭区第二小学")
    )
    rural = client.get("/orgs/schools/?location=rural").content.decode()
    assert rural.count('data-testid="school-row"') == 1


def test_lists_paginate(world, client_for):
    bulk_schools(world.units["renmin"], 30)
    client = client_for(world.city_admin)
    first = client.get("/orgs/schools/").content.decode()
    assert first.count('data-testid="school-row"') == 25 and 'data-testid="next-page"' in first
    second = client.get("/orgs/schools/?page=2").content.decode()
    assert second.count('data-testid="school-row"') == 8


def test_htmx_gets_the_table_only(world, client_for):
    resp = client_for(world.city_admin).get(
        "/orgs/schools/?q=华州", headers={"HX-Request": "true", "HX-Target": "list-results"}
    )
    html = resp.content.decode()
    assert "<html" not in html and html.count('data-testid="school-row"') == 1


def test_people_list_filters(world, client_for):
    client = client_for(world.city_admin)
    html = client.get("/people/?role=researcher").content.decode()
    assert html.count('data-testid="person-row"') == 1 and "韩梅" in html
    html = client.get(f"/people/?org_unit={world.school_a.pk}").content.decode()
    assert html.count('data-testid="person-row"') == 3
    html = client.get("/people/?q=T00").content.decode()
    assert html.count('data-testid="person-row"') == 3


@pytest.mark.parametrize(
    "kind, url, first",
    [
        ("org_units", "/orgs/units/?export=xlsx", "单位代码"),
        ("schools", "/orgs/schools/?export=xlsx", "学校代码"),
        ("people", "/people/?export=xlsx", "工号"),
    ],
)
def test_list_export_imports_back_unchanged(world, client_for, kind, url, first):
    resp = client_for(world.city_admin).get(url)
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    rows = read_xlsx(resp.content)
    assert rows[1][0] == first
    result = import_bytes(kind, resp.content, "export.xlsx", actor=world.city_admin)
    assert result.errors == [] and result.rows > 0
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == result.rows


def test_export_follows_the_filters(world, client_for):
    linwei = world.units["linwei"]
    resp = client_for(world.city_admin).get(f"/orgs/schools/?within={linwei.pk}&export=xlsx")
    codes = [r[0] for r in read_xlsx(resp.content)[2:]]
    assert codes == ["6105020001", "6105020002"]


def test_export_is_scoped(world, client_for):
    resp = client_for(world.principal).get("/people/?export=xlsx")
    staff = sorted(r[0] for r in read_xlsx(resp.content)[2:])
    assert staff == ["T001", "T002", "T003"]
