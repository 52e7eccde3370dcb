"""The API of communities: the same services and scope as the pages."""

from __future__ import annotations

import pytest

from jiaoyan.communities.models import Community, Membership

from .conftest import END, START, YEAR, held_activity

JSON = "application/json"


def _body(world, **over):
    body = {
        "kind": "studio",
        "org_unit": world.units["linwei_institute"].code,
        "name": "张老师工作室",
        "code": "MS-API-1",
        "start_on": START.isoformat(),
        "end_on": END.isoformat(),
        "leader": "T002",
    }
    return {**body, **over}


def test_create_add_member_tasks_evidence(world, api_for):
    api = api_for(world.users["district_researcher"])
    resp = api.post("/api/v1/communities", _body(world), content_type=JSON)
    assert resp.status_code == 201, resp.content
    cid = resp.json()["id"]
    assert resp.json()["org_unit"] == world.units["linwei_institute"].pk
    resp = api.post(f"/api/v1/communities/{cid}/members", {"person": "T101"}, content_type=JSON)
    assert resp.status_code == 201, resp.content
    assert resp.json()["org_unit"] == world.units["linwei_institute"].pk
    resp = api.post(f"/api/v1/communities/{cid}/tasks/generate", {"year": YEAR}, content_type=JSON)
    assert resp.status_code == 200 and len(resp.json()) == 5
    evidence_task = next(t for t in resp.json() if t["measure"] == "evidence")
    resp = api.post(
        f"/api/v1/tasks/{evidence_task['id']}/evidence",
        {"date": f"{YEAR}-03-01", "count": 1, "description": "课题立项"},
        content_type=JSON,
    )
    assert resp.status_code == 201, resp.content
    held_activity(world, Community.objects.get(pk=cid))
    tasks = api.get(f"/api/v1/communities/{cid}/tasks?year={YEAR}").json()["items"]
    done = {t["name"]: t["done"] for t in tasks}
    assert done["示范课"] == 1 and done["课题研究"] == 1
    ranking = api.get(f"/api/v1/communities/assessment?year={YEAR}").json()
    assert ranking["items"][0]["community"] == cid and ranking["items"][0]["points"] == 3.0
    members = api.get(f"/api/v1/memberships?community={cid}").json()
    assert members["count"] == 2


def test_rule_violation_is_a_400_with_the_rule(world, api_for):
    api = api_for(world.users["district_researcher"])
    resp = api.post(
        "/api/v1/communities",
        _body(world, start_on=END.isoformat(), end_on=START.isoformat()),
        content_type=JSON,
    )
    assert resp.status_code == 400 and resp.json()["detail"]
    assert not Community.objects.exists()


def test_other_district_cannot_read_or_change(world, api_for, studio):
    api = api_for(world.users["outsider"])
    assert api.get(f"/api/v1/communities/{studio.pk}").status_code == 404
    assert (
        api.patch(f"/api/v1/communities/{studio.pk}", {"name": "x"}, content_type=JSON).status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/communities/{studio.pk}/members", {"person": "H101"}, content_type=JSON
        ).status_code
        == 404
    )
    assert api.get("/api/v1/communities").json()["count"] == 0
    assert api.get("/api/v1/memberships").json()["count"] == 0
    assert Membership.objects.filter(community=studio).count() == 1


@pytest.mark.parametrize("query", ["year=1800", "year=abc", "year=2026&kind=nope"])
def test_bad_query_is_422(world, api_for, query):
    api = api_for(world.users["district_researcher"])
    assert api.get(f"/api/v1/communities/assessment?{query}").status_code == 422


def test_coverage_endpoint(world, api_for, studio):
    api = api_for(world.users["district_researcher"])
    data = api.get("/api/v1/communities/coverage").json()
    studio_cov = next(k for k in data["kinds"] if k["kind"] == "studio")
    assert studio_cov["communities"] == 1 and studio_cov["participants"] == 1
    outsider = api_for(world.users["outsider"])
    assert (
        outsider.get(f"/api/v1/communities/coverage?unit={world.units['linwei'].pk}").status_code
        == 404
    )
