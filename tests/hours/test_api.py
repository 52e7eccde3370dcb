"""The hours API: your own records by default, everyone's you may see with
``mine=false``; another district's records are neither visible nor changeable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.core.scope import can
from jiaoyan.hours.models import HoursRecord

from .conftest import credit, make_activity, many_records


def _ids(resp) -> set[int]:
    assert resp.status_code == 200, resp.content
    return {i["id"] for i in resp.json()["items"]}


@pytest.fixture
def records(world, linwei_activity, huazhou):
    credit(linwei_activity, [world.people["teacher"], world.people["principal"]])
    older = make_activity(world, title="临渭区去年的听评课")
    credit(older, [world.people["teacher"]], hours="1.5", date=dt.date(2025, 10, 9))
    rows = {
        (r.person_id, r.date.year): r
        for r in HoursRecord.objects.select_related("person").order_by("id")
    }
    p = world.people
    return {
        "teacher_2026": rows[(p["teacher"].pk, 2026)],
        "teacher_2025": rows[(p["teacher"].pk, 2025)],
        "principal": rows[(p["principal"].pk, 2026)],
        "huazhou": rows[(p["teacher_c"].pk, 2026)],
    }


def test_own_records_by_default(world, api_for, records):
    api = api_for(world.users["teacher"])
    mine = {records["teacher_2026"].pk, records["teacher_2025"].pk}
    assert _ids(api.get("/api/v1/hours")) == mine
    # A teacher sees only their own even when asking for everyone's.
    assert _ids(api.get("/api/v1/hours?mine=false")) == mine
    assert _ids(api.get("/api/v1/hours?year=2025")) == {records["teacher_2025"].pk}


def test_the_fields(world, api_for, records):
    r = records["teacher_2026"]
    data = api_for(world.users["teacher"]).get(f"/api/v1/hours/{r.pk}").json()
    assert data == {
        "id": r.pk,
        "person": world.people["teacher"].pk,
        "org_unit": world.schools["school_a"].pk,
        "hours": 3.0,
        "kind": "activity",
        "date": "2026-03-18",
        "title": "临渭区初中数学集体备课",
        "source_type": "activities.activity",
        "source_id": r.source_id,
        "credited_by": world.units["linwei_institute"].pk,
        "category": None,
    }


def test_admins_and_researchers_see_their_districts_records_only(world, api_for, records):
    linwei = {records[k].pk for k in ("teacher_2026", "teacher_2025", "principal")}
    for name in ("district_researcher", "principal"):
        api = api_for(world.users[name])
        assert _ids(api.get("/api/v1/hours?mine=false")) == linwei, name
        assert api.get(f"/api/v1/hours/{records['teacher_2026'].pk}").status_code == 200
    city = api_for(world.users["city_admin"])
    assert _ids(city.get("/api/v1/hours?mine=false")) == linwei | {records["huazhou"].pk}
    teacher = world.people["teacher"].pk
    assert _ids(city.get(f"/api/v1/hours?mine=false&person={teacher}&year=2026")) == {
        records["teacher_2026"].pk
    }


def test_another_districts_hours_are_neither_visible_nor_changeable(world, api_for, records):
    other = records["huazhou"]
    before = HoursRecord.objects.filter(pk=other.pk).values().get()
    for name in ("district_researcher", "principal", "teacher", "counsellor"):
        user = world.users[name]
        api = api_for(user)
        assert not HoursRecord.objects.visible_to(user).filter(pk=other.pk).exists()
        assert api.get(f"/api/v1/hours/{other.pk}").status_code == 404, name
        person = f"/api/v1/hours?mine=false&person={other.person_id}"
        assert _ids(api.get(person)) == set(), name
        assert api.patch(
            f"/api/v1/hours/{other.pk}", data={"hours": 40}, content_type="application/json"
        ).status_code in (404, 405)
        assert api.delete(f"/api/v1/hours/{other.pk}").status_code in (404, 405)
    # Nobody changes a record by hand, not even the admins above it or its owner's side:
    # records follow their source.
    for name in ("city_admin", "outsider", "district_researcher"):
        for action in ("change", "delete"):
            assert not can(world.users[name], action, other), (name, action)
            assert not can(world.users[name], action, records["teacher_2026"]), (name, action)
    assert HoursRecord.objects.filter(pk=other.pk).values().get() == before


def test_bad_input_is_a_4xx_not_a_500(world, api_for, records):
    api = api_for(world.users["teacher"])
    assert api.get("/api/v1/hours?year=abc").status_code == 422
    for year in ("10000", "0", "-1", str(2**63)):  # no such date: refused, not a 500
        resp = api.get(f"/api/v1/hours?year={year}")
        assert resp.status_code == 422 and resp.json()["detail"], year
    assert api.get("/api/v1/hours/abc").status_code in (404, 422)
    assert api.get("/api/v1/hours/999999").status_code == 404


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_issues_a_fixed_number_of_queries(world, api_for, records):
    api = api_for(world.users["city_admin"])
    urls = ["/api/v1/hours", "/api/v1/hours?mine=false", "/api/v1/hours?mine=false&year=2026"]
    api.get("/api/v1/hours")  # the token's first use is recorded once
    few = [_count(api, u) for u in urls]
    many_records(world.people["teacher"], 120)
    many_records(world.people["city_admin"], 120)
    assert [_count(api, u + ("&" if "?" in u else "?") + "limit=100") for u in urls] == few
    assert max(few) <= 6
    assert settings.NINJA_PAGINATION_MAX_LIMIT >= 100
