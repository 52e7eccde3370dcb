"""The API: same services, same scope; check-in by API for a future mobile client."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from jiaoyan.activities import codes
from tests.support import zh

from .conftest import main_venue


def test_create_invite_publish_check_in_finish_by_api(world, api_for):
    researcher = api_for(world.users["district_researcher"])
    start = (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    resp = researcher.post(
        "/api/v1/activities",
        {
            "org_unit": world.units["linwei_institute"].pk,
            "title": "API创建的活动",
            "kind": "lecture",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
            "mode": "hybrid",
            "subject": "数学",
            "stage": "junior",
            "hours": "2.5",
            "main_venue": {"name": "主会场", "address": "人民路1号", "capacity": 50},
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    a = resp.json()
    assert a["level"] == "county" and a["org_unit"] == world.units["linwei_institute"].pk
    resp = researcher.post(
        f"/api/v1/activities/{a['id']}/venues",
        {
            "name": "一中分会场",
            "unit": world.schools["school_a"].pk,
            "address": "一中",
            "capacity": 10,
        },
        content_type="application/json",
    )
    assert resp.status_code == 201
    resp = researcher.post(
        f"/api/v1/activities/{a['id']}/invitations",
        {"units": [world.units["linwei"].pk], "subject": "数学"},
        content_type="application/json",
    )
    assert resp.json() == {"invited": 1, "matched": 1, "beyond_scope": 0}
    assert researcher.post(f"/api/v1/activities/{a['id']}/publish").json()["status"] == "published"

    teacher = api_for(world.users["teacher"])
    mine = teacher.get("/api/v1/activities?mine=true").json()
    assert [i["id"] for i in mine["items"]] == [a["id"]]
    venues = teacher.get(f"/api/v1/activities/{a['id']}/venues").json()["items"]
    assert {v["name"] for v in venues} == {"主会场", "一中分会场"}
    from jiaoyan.activities.models import Venue

    sub = Venue.objects.get(pk=next(v["id"] for v in venues if v["name"] == "一中分会场"))
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        bad = teacher.post(
            f"/api/v1/activities/{a['id']}/check-in",
            {"code": "abc"},
            content_type="application/json",
        )
        assert bad.status_code == 400 and bad.json()["detail"]
        code, _ = codes.current_code(sub)
        ok = teacher.post(
            f"/api/v1/activities/{a['id']}/check-in",
            {"code": code},
            content_type="application/json",
        ).json()
        assert ok["new"] is True and ok["late"] is False
        assert ok["participation"]["attendance"] == "present"
        again = teacher.post(
            f"/api/v1/activities/{a['id']}/check-in",
            {"code": code},
            content_type="application/json",
        ).json()
        assert again["new"] is False
    assert researcher.post(f"/api/v1/activities/{a['id']}/finish").json()["status"] == "finished"
    hours = teacher.get("/api/v1/hours").json()
    assert hours["count"] == 1 and hours["items"][0]["hours"] == 2.5
    resp = teacher.post(
        f"/api/v1/activities/{a['id']}/feedback",
        {"rating": 5, "comment": "好"},
        content_type="application/json",
    )
    assert resp.status_code == 201
    parts = researcher.get(f"/api/v1/participations?activity={a['id']}").json()
    assert parts["count"] == 1 and parts["items"][0]["attendance"] == "present"
    # The teacher may not see the organisers' feedback list beyond their own, nor mark attendance.
    assert (
        teacher.post(
            f"/api/v1/activities/{a['id']}/attendance",
            {"marks": [{"participation": parts["items"][0]["id"], "attendance": "absent"}]},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_plans_and_themes_by_api(world, api_for):
    admin = api_for(world.users["city_admin"])
    resp = admin.post(
        "/api/v1/plans",
        {"org_unit": world.units["city_institute"].pk, "year": 2025, "title": "市级计划"},
        content_type="application/json",
    )
    plan = resp.json()
    assert resp.status_code == 201 and plan["status"] == "draft"
    assert admin.post(f"/api/v1/plans/{plan['id']}/publish").status_code == 400
    resp = admin.post(
        f"/api/v1/plans/{plan['id']}/themes",
        {"month": 3, "title": "大单元", "subject": "数学"},
        content_type="application/json",
    )
    assert resp.status_code == 201
    assert admin.post(f"/api/v1/plans/{plan['id']}/publish").json()["status"] == "published"
    teacher = api_for(world.users["teacher"])
    assert teacher.get(f"/api/v1/plans/{plan['id']}/themes").json()["count"] == 1
    assert (
        teacher.patch(
            f"/api/v1/plans/{plan['id']}", {"title": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_bad_api_input_is_4xx_with_detail(world, api_for, published):
    researcher = api_for(world.users["district_researcher"])
    for payload in (
        {"title": "x"},
        {
            "org_unit": world.units["linwei"].pk,
            "title": "x",
            "kind": "nope",
            "starts_at": "x",
            "ends_at": "y",
            "main_venue": {"name": "a"},
        },
    ):
        resp = researcher.post("/api/v1/activities", payload, content_type="application/json")
        assert 400 <= resp.status_code < 500 and "detail" in resp.json()
    resp = researcher.post(
        f"/api/v1/activities/{published.pk}/cancel", {"reason": ""}, content_type="application/json"
    )
    assert resp.status_code == 400
    resp = researcher.post(
        f"/api/v1/activities/{published.pk}/invitations",
        {"staff_numbers": ["NOPE"]},
        content_type="application/json",
    )
    # An unknown staff number is the one answer of an unresolved reference (422), naming
    # its place in the list, never whether such a person exists elsewhere.
    assert resp.status_code == 422 and resp.json()["field"] == "staff_numbers"
    assert resp.json()["detail"] == zh(
        "No such %(what)s in your scope: item %(items)s.", what=zh("person"), items="1"
    )
    assert researcher.get("/api/v1/activities?month=2025-99").status_code in (200, 422)
    v = main_venue(published)
    assert (
        researcher.patch(
            f"/api/v1/venues/{v.pk}", {"capacity": 0}, content_type="application/json"
        ).status_code
        == 422
    )
