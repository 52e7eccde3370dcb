"""The researchers API: profiles, liaison schools per term (references through the
scoped resolver: out of scope reads as absent), residencies and visits, exit, the work
record."""

from __future__ import annotations

import pytest

from jiaoyan.observations.models import LiaisonAssignment
from jiaoyan.researchers.models import ResearcherProfile, Residency, Visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


class J:
    """A client sending JSON bodies."""

    def __init__(self, client):
        self.c = client

    def get(self, url):
        return self.c.get(url)

    def post(self, url, body):
        return self.c.post(url, body, content_type="application/json")

    def patch(self, url, body):
        return self.c.patch(url, body, content_type="application/json")


def test_profile_create_list_and_patch(world, api_for):
    admin = J(api_for(world.users["city_admin"]))
    r = admin.post(
        "/api/v1/researchers",
        {"person": "R001", "org_unit": "610502902", "subjects": ["数学"], "stages": ["junior"]},
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["org_unit"] == world.units["linwei_institute"].pk
    assert admin.get("/api/v1/researchers").json()["count"] == 1
    r = admin.patch(
        f"/api/v1/researchers/{pk}",
        {"version": 1, "employment": "part_time", "school": "6105020001"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["school"] == world.schools["school_a"].org_unit.pk
    # A school beyond the caller's scope reads as absent; nothing changes.
    outsider = J(api_for(world.users["outsider"]))
    r = outsider.post("/api/v1/researchers", {"person": "R001", "org_unit": "610502902"})
    assert r.status_code == 422
    assert ResearcherProfile.objects.count() == 1


def test_liaison_schools_residency_and_visits(world, api_for, profile):
    admin = J(api_for(world.users["city_admin"]))
    r = admin.post(
        f"/api/v1/researchers/{profile.pk}/liaison-schools",
        {
            "schools": ["6105020001", "6105020002"],
            "start_date": "2025-02-01",
            "end_date": "2025-07-31",
        },
    )
    assert r.status_code == 201, r.content
    assert len(r.json()) == 2
    r = admin.post(
        f"/api/v1/researchers/{profile.pk}/liaison-schools",
        {"schools": ["6105020001", "6109999999"], "start_date": "2025-02-01"},
    )
    assert r.status_code == 422
    assert LiaisonAssignment.objects.count() == 2

    her = J(api_for(world.users["district_researcher"]))
    r = her.post(
        f"/api/v1/researchers/{profile.pk}/residencies",
        {
            "school": "6105020002",
            "start_date": "2025-04-01",
            "end_date": "2025-04-30",
            "goals": "蹲点",
        },
    )
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    r = her.post(
        f"/api/v1/researchers/{profile.pk}/residencies",
        {
            "school": "6105020001",
            "start_date": "2025-04-20",
            "end_date": "2025-05-10",
            "goals": "重叠",
        },
    )
    assert r.status_code == 400 and "重叠" in r.json()["detail"]
    assert Residency.objects.count() == 1
    r = her.post(f"/api/v1/residencies/{rid}/visits", {"kind": "observed", "date": "2025-04-03"})
    assert r.status_code == 201, r.content
    assert her.get(f"/api/v1/residencies/{rid}/visits").json()["count"] == 1
    r = her.post(f"/api/v1/residencies/{rid}/visits", {"kind": "observed", "date": "2025-05-03"})
    assert r.status_code == 400
    assert Visit.objects.count() == 1
    rec = her.get(f"/api/v1/researchers/{profile.pk}/work-record?year=2025")
    assert rec.status_code == 200, rec.content
    body = rec.json()
    assert body["residency_days"] == 30 and body["visits"] == 1
    assert body["coverage"] == {"visited": 1, "observed": 0, "untouched": 1}
    assert her.get(f"/api/v1/researchers/{profile.pk}/work-record?year=1800").status_code == 422


def test_exit_through_the_api(world, api_for, profile):
    r = J(api_for(world.users["city_admin"])).post(
        f"/api/v1/researchers/{profile.pk}/exit", {"reason": "request", "note": "本人申请"}
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "exited"
    r = J(api_for(world.users["district_researcher"])).post(
        f"/api/v1/researchers/{profile.pk}/exit", {"reason": "request"}
    )
    assert r.status_code in (403, 404)
