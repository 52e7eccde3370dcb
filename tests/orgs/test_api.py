"""/api/v1/org-units and /api/v1/schools: lists ({items, count}, limit/offset, filters),
objects (id, org_unit), writes through the same services and scope, errors as 4xx JSON."""

from __future__ import annotations

import pytest

from jiaoyan.orgs.models import OrgUnit, School
from tests.support import bulk_schools, zh

STALE = (
    "Someone else changed this record after you opened the form. "
    "Reload the page to see their change, then make yours again."
)


def codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [i["code"] for i in resp.json()["items"]]


def test_school_list_shape_and_scope(world, api_for):
    data = api_for(world.city_admin).get("/api/v1/schools").json()
    assert set(data) == {"items", "count"} and data["count"] == 3
    item = data["items"][0]
    assert item["id"] == item["org_unit"] == world.school_a.pk
    assert item["code"] == "6105020001" and item["stages"] == ["junior"]
    assert item["division_code"] == "610502001" and item["parent"] == world.units["renmin"].pk
    assert codes(api_for(world.district_researcher).get("/api/v1/schools")) == [
        "6105020001",
        "6105020002",
    ]
    assert codes(api_for(world.principal).get("/api/v1/schools")) == ["6105020001"]
    assert codes(api_for(world.outsider).get("/api/v1/schools")) == ["6105030001"]


def test_limit_and_offset(world, api_for):
    bulk_schools(world.units["renmin"], 30)
    api = api_for(world.city_admin)
    first = api.get("/api/v1/schools?limit=10").json()
    assert first["count"] == 33 and len(first["items"]) == 10
    rest = api.get("/api/v1/schools?limit=10&offset=30").json()
    assert len(rest["items"]) == 3
    everything = [
        i["id"]
        for o in (0, 10, 20, 30)
        for i in api.get(f"/api/v1/schools?limit=10&offset={o}").json()["items"]
    ]
    assert len(set(everything)) == 33
    assert api.get("/api/v1/schools?offset=1000").json() == {"items": [], "count": 33}


@pytest.mark.parametrize(
    "query",
    [
        "limit=-1",
        "limit=0",
        "limit=abc",
        "limit=1.5",
        "offset=-1",
        "offset=abc",
        "limit=100000",
        "limit=99999999999999999999999",
        "kind=castle",
        "location=moon",
        "within=abc",
        "is_weak=maybe",
        "q=" + "长" * 60,
    ],
)
def test_bad_list_parameters_are_4xx_json(world, api_for, query):
    resp = api_for(world.city_admin).get(f"/api/v1/schools?{query}")
    assert 400 <= resp.status_code < 500, (query, resp.status_code)
    assert resp.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/v1/schools/abc", "/api/v1/org-units/1.5", "/api/v1/people/x"]
)
def test_bad_ids_are_4xx_json(world, api_for, path):
    resp = api_for(world.city_admin).get(path)
    assert 400 <= resp.status_code < 500 and resp.json()["detail"]


def test_school_filters(world, api_for):
    api = api_for(world.city_admin)
    linwei, huazhou = world.units["linwei"], world.units["huazhou"]
    assert codes(api.get(f"/api/v1/schools?within={linwei.pk}")) == ["6105020001", "6105020002"]
    assert codes(api.get(f"/api/v1/schools?within={huazhou.pk}")) == ["6105030001"]
    assert codes(api.get("/api/v1/schools?within=999999")) == []
    assert codes(api.get("/api/v1/schools?kind=junior")) == ["6105020001"]
    assert codes(api.get("/api/v1/schools?stage=primary")) == ["6105020002", "6105030001"]
    assert codes(api.get("/api/v1/schools?location=rural")) == ["6105020002"]
    assert codes(api.get("/api/v1/schools?q=华州")) == ["6105030001"]
    assert codes(api.get("/api/v1/schools?q=61050200")) == ["6105020001", "6105020002"]
    assert codes(api.get("/api/v1/schools?code=6105020002")) == ["6105020002"]
    # Filters never widen the scope.
    assert codes(api_for(world.principal).get(f"/api/v1/schools?within={linwei.pk}")) == [
        "6105020001"
    ]


def test_stage_filter_does_not_duplicate(world, api_for):
    from jiaoyan.orgs.models import Stage

    world.school_a.stages.add(Stage.objects.get(code="senior"))
    data = api_for(world.city_admin).get("/api/v1/schools?stage=junior").json()
    assert data["count"] == 1 and len(data["items"]) == 1


def test_org_unit_list_and_filters(world, api_for):
    api = api_for(world.city_admin)
    data = api.get("/api/v1/org-units?limit=100").json()
    assert data["count"] == 12  # the city's subtree (the province above is not in scope)
    for item in data["items"]:
        assert item["id"] == item["org_unit"] and "parent" in item
    assert codes(api.get("/api/v1/org-units?kind=institute")) == ["610500902", "610502902"]
    assert codes(api.get("/api/v1/org-units?level=town")) == ["610502001"]
    children = codes(api.get(f"/api/v1/org-units?parent={world.units['linwei'].pk}"))
    assert sorted(children) == ["610502001", "610502901", "610502902"]
    assert codes(api.get("/api/v1/org-units?q=华州")) == ["610503", "610503901", "6105030001"]
    assert api.get("/api/v1/org-units?kind=castle").status_code == 422
    researcher = api_for(world.district_researcher).get("/api/v1/org-units?limit=100").json()
    assert all(i["path"].startswith(world.units["linwei"].path) for i in researcher["items"])


def test_object_endpoints_and_404s(world, api_for):
    api = api_for(world.district_researcher)
    school = api.get(f"/api/v1/schools/{world.school_a.pk}").json()
    assert school["id"] == school["org_unit"] == world.school_a.pk
    unit = api.get(f"/api/v1/org-units/{world.units['renmin'].pk}").json()
    assert unit["org_unit"] == unit["id"] and unit["parent_code"] == "610502"
    assert api.get(f"/api/v1/schools/{world.school_c.pk}").status_code == 404
    assert api.get("/api/v1/schools/987654").status_code == 404
    assert api.get(f"/api/v1/org-units/{world.units['huazhou'].pk}").json()["detail"]


def test_create_school_through_the_api(world, api_for):
    payload = {
        "parent": world.units["renmin"].pk,
        "code": "6105020003",
        "name": "临渭区第三小学",
        "kind": "primary",
        "stages": ["primary"],
        "location": "urban",
        "student_count": 300,
    }
    resp = api_for(world.city_admin).post(
        "/api/v1/schools", payload, content_type="application/json"
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["code"] == "6105020003" and body["stages"] == ["primary"]
    assert body["id"] == body["org_unit"] and body["parent"] == world.units["renmin"].pk
    again = api_for(world.city_admin).post(
        "/api/v1/schools", payload, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json()["detail"] == zh(
        "The unit code “%(code)s” is already used by another unit.", code="6105020003"
    )
    bad_stage = api_for(world.city_admin).post(
        "/api/v1/schools",
        {**payload, "code": "6105020004", "stages": ["college"]},
        content_type="application/json",
    )
    assert bad_stage.status_code == 422 and "college" in bad_stage.json()["detail"]
    assert not OrgUnit.objects.filter(code="6105020004").exists()


def test_api_writes_keep_the_scope(world, api_for):
    payload = {
        "parent": world.units["renmin"].pk,
        "code": "6105020009",
        "name": "越权小学",
        "kind": "primary",
        "location": "rural",
    }
    # The outsider cannot see the parent: an unresolved reference, as if it did not exist.
    resp = api_for(world.outsider).post("/api/v1/schools", payload, content_type="application/json")
    assert resp.status_code == 422 and resp.json()["field"] == "parent"
    # Nor can the principal, whose scope is their school.
    resp = api_for(world.principal).post(
        "/api/v1/schools", payload, content_type="application/json"
    )
    assert resp.status_code == 422
    # The researcher sees the parent but may not add schools: 403.
    resp = api_for(world.district_researcher).post(
        "/api/v1/schools", payload, content_type="application/json"
    )
    assert resp.status_code == 403 and resp.json()["detail"]
    assert not OrgUnit.objects.filter(code="6105020009").exists()
    patch = api_for(world.outsider).patch(
        f"/api/v1/schools/{world.school_a.pk}",
        {"student_count": 1},
        content_type="application/json",
    )
    assert patch.status_code == 404
    assert School.objects.get(pk=world.school_a.pk).student_count == 900


def test_principal_patches_counts_not_name(world, api_for):
    api = api_for(world.principal)
    url = f"/api/v1/schools/{world.school_a.pk}"
    ok = api.patch(url, {"student_count": 910, "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["student_count"] == 910 and ok.json()["version"] == 2
    name = api.patch(url, {"name": "新名字"}, content_type="application/json")
    assert name.status_code == 403
    stale = api.patch(url, {"student_count": 1, "version": 1}, content_type="application/json")
    assert stale.status_code == 400 and stale.json()["detail"] == zh(STALE)
    negative = api.patch(url, {"student_count": -1}, content_type="application/json")
    assert negative.status_code == 422 and negative.json()["detail"]
    school = School.objects.select_related("org_unit").get(pk=world.school_a.pk)
    assert (school.student_count, school.org_unit.name) == (910, "临渭区第一初级中学")


def test_unit_create_and_patch(world, api_for):
    api = api_for(world.city_admin)
    resp = api.post(
        "/api/v1/org-units",
        {
            "parent": world.units["linwei"].pk,
            "code": "610502100",
            "name": "双王街道",
            "level": "town",
        },
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["kind"] == "region"
    unit_id = resp.json()["id"]
    patched = api.patch(
        f"/api/v1/org-units/{unit_id}",
        {"name": "双王镇", "version": 1},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["name"] == "双王镇"
    wrong = api.patch(
        f"/api/v1/org-units/{unit_id}", {"level": "city"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["detail"]


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"code": 5}', '{"parent": "x", "code": "1", "name": "n", "level": "town"}'],
)
def test_malformed_bodies_are_4xx(world, api_for, body):
    resp = api_for(world.city_admin).post(
        "/api/v1/org-units", body, content_type="application/json"
    )
    assert 400 <= resp.status_code < 500 and resp.json()["detail"]


def test_no_delete(world, api_for):
    api = api_for(world.city_admin)
    assert api.delete(f"/api/v1/schools/{world.school_a.pk}").status_code == 405
    assert api.delete(f"/api/v1/org-units/{world.units['renmin'].pk}").status_code == 405
    assert School.objects.filter(pk=world.school_a.pk).exists()
