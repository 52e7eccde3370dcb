"""/api/v1/people: list filters (within, role, subject, stage, q …), objects, writes
through the services (create, patch with optimistic locking, status) and the scope."""

from __future__ import annotations

import pytest

from jiaoyan.people.models import Person
from tests.support import bulk_people, zh

STALE = (
    "Someone else changed this record after you opened the form. "
    "Reload the page to see their change, then make yours again."
)


def staff(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return sorted(i["staff_no"] for i in resp.json()["items"])


def test_person_shape(world, api_for):
    body = api_for(world.city_admin).get(f"/api/v1/people/{world.people['teacher'].pk}").json()
    assert body["id"] == world.people["teacher"].pk
    assert body["org_unit"] == world.school_a.pk and body["org_unit_name"] == "临渭区第一初级中学"
    assert body["has_account"] is True and body["status"] == "active"
    assert body["roles"] == [
        {
            "id": world.people["teacher"].roles.get().pk,
            "role": "teacher",
            "org_unit": world.school_a.pk,
            "subjects": ["数学"],
            "stages": ["junior"],
        }
    ]


def test_people_scope(world, api_for):
    assert staff(api_for(world.city_admin).get("/api/v1/people?limit=100")) == [
        "A001",
        "H001",
        "H101",
        "R001",
        "T001",
        "T002",
        "T003",
        "T101",
    ]
    assert staff(api_for(world.district_researcher).get("/api/v1/people")) == [
        "R001",
        "T001",
        "T002",
        "T003",
        "T101",
    ]
    assert staff(api_for(world.teacher).get("/api/v1/people")) == ["T001", "T002", "T003"]
    assert staff(api_for(world.outsider).get("/api/v1/people")) == ["H001", "H101"]


def test_people_filters(world, api_for):
    api = api_for(world.city_admin)
    linwei = world.units["linwei"]
    assert staff(api.get(f"/api/v1/people?within={linwei.pk}")) == [
        "R001",
        "T001",
        "T002",
        "T003",
        "T101",
    ]
    assert staff(api.get(f"/api/v1/people?org_unit={world.school_a.pk}")) == [
        "T001",
        "T002",
        "T003",
    ]
    assert staff(api.get("/api/v1/people?role=teacher")) == ["H101", "T002", "T101"]
    assert staff(api.get("/api/v1/people?role=researcher")) == ["R001"]
    assert staff(api.get("/api/v1/people?subject=数学")) == ["H101", "R001", "T002"]
    assert staff(api.get("/api/v1/people?stage=junior")) == ["R001", "T002"]
    assert staff(api.get("/api/v1/people?role=teacher&subject=数学&stage=primary")) == ["H101"]
    assert staff(api.get("/api/v1/people?q=张")) == ["T002"]
    assert staff(api.get("/api/v1/people?q=T00")) == ["T001", "T002", "T003"]
    assert staff(api.get("/api/v1/people?staff_no=R001")) == ["R001"]
    assert staff(api.get("/api/v1/people?within=999999")) == []


def test_filters_count_each_person_once(world, api_for):
    """A person with several matching subjects or roles is one row, and the count agrees."""
    bulk_people(world.school_b.org_unit, 12)  # each teaches 语文 and 数学
    data = api_for(world.city_admin).get("/api/v1/people?subject=数学&limit=5").json()
    assert data["count"] == 15 and len(data["items"]) == 5
    ids = [
        i["id"]
        for o in (0, 5, 10)
        for i in api_for(world.city_admin)
        .get(f"/api/v1/people?subject=数学&limit=5&offset={o}")
        .json()["items"]
    ]
    assert len(ids) == len(set(ids)) == 15


def test_ended_roles_do_not_match(world, api_for):
    from jiaoyan.people.services import change_status

    change_status(actor=world.city_admin, person=world.people["teacher_b"], status="retired")
    api = api_for(world.city_admin)
    assert staff(api.get("/api/v1/people?role=teacher")) == ["H101", "T002"]
    left = api.get("/api/v1/people?status=retired").json()["items"]
    assert [p["staff_no"] for p in left] == ["T101"] and left[0]["roles"] == []


@pytest.mark.parametrize(
    "query", ["role=janitor", "status=gone", "limit=-1", "limit=abc", "within=x", "org_unit=1.5"]
)
def test_bad_people_parameters_are_4xx_json(world, api_for, query):
    resp = api_for(world.city_admin).get(f"/api/v1/people?{query}")
    assert 400 <= resp.status_code < 500 and resp.json()["detail"]


def test_create_person_through_the_api(world, api_for):
    api = api_for(world.city_admin)
    payload = {
        "staff_no": "T950",
        "name": "冯老师",
        "org_unit": world.school_b.pk,
        "gender": "female",
        "phone": "13900000950",
        "role": "teacher",
        "subjects": ["英语"],
        "stages": ["primary"],
    }
    resp = api.post("/api/v1/people", payload, content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["roles"][0]["subjects"] == ["英语"] and body["phone"] == "13900000950"
    dup = api.post("/api/v1/people", payload, content_type="application/json")
    assert dup.status_code == 400
    assert dup.json()["detail"] == zh("The staff number “%(no)s” is already in use.", no="T950")
    unknown = api.post(
        "/api/v1/people",
        {**payload, "staff_no": "T951", "subjects": ["炼丹"]},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and "炼丹" in unknown.json()["detail"]
    bad_phone = api.post(
        "/api/v1/people",
        {**payload, "staff_no": "T952", "phone": "123"},
        content_type="application/json",
    )
    assert bad_phone.status_code == 400 and bad_phone.json()["detail"]
    assert not Person.objects.filter(staff_no__in=["T951", "T952"]).exists()


def test_people_writes_keep_the_scope(world, api_for):
    payload = {"staff_no": "T960", "name": "越权", "org_unit": world.school_a.pk}
    # A unit the outsider does not see: an unresolved reference, as if it did not exist.
    assert (
        api_for(world.outsider)
        .post("/api/v1/people", payload, content_type="application/json")
        .status_code
        == 422
    )
    refused = api_for(world.principal).post(
        "/api/v1/people", payload, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["detail"]
    url = f"/api/v1/people/{world.people['teacher'].pk}"
    assert (
        api_for(world.outsider)
        .patch(url, {"name": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_for(world.principal)
        .patch(url, {"name": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        api_for(world.outsider)
        .post(f"{url}/status", {"status": "left"}, content_type="application/json")
        .status_code
        == 404
    )
    assert Person.objects.get(pk=world.people["teacher"].pk).name == "张老师"
    assert not Person.objects.filter(staff_no="T960").exists()


def test_patch_and_status(world, api_for):
    api = api_for(world.city_admin)
    url = f"/api/v1/people/{world.people['teacher'].pk}"
    ok = api.patch(url, {"name": "张明", "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["name"] == "张明" and ok.json()["version"] == 2
    stale = api.patch(url, {"name": "过期", "version": 1}, content_type="application/json")
    assert stale.status_code == 400 and stale.json()["detail"] == zh(STALE)
    cleared = api.patch(url, {"phone": None, "gender": None}, content_type="application/json")
    assert (
        cleared.status_code == 200
        and cleared.json()["phone"] == ""
        and cleared.json()["gender"] == ""
    )
    left = api.post(
        f"{url}/status", {"status": "left", "note": "离职"}, content_type="application/json"
    )
    assert left.status_code == 200
    assert left.json()["status"] == "left" and left.json()["roles"] == []
    bad = api.post(f"{url}/status", {"status": "fired"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"]
    assert api.delete(url).status_code == 405
