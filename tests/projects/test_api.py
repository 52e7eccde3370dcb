"""Projects API: a call and an application through their life (the application itself is
filed through the page, with its form as a file), what each role sees, and bad input
answered 400/422, never 500."""

from __future__ import annotations

import pytest

from jiaoyan.projects.models import Project, ProjectCall

from .conftest import apply

JSON = "application/json"
pytestmark = pytest.mark.usefixtures("chinese")


def test_call_and_project_life_through_the_api(world, api_for, today, experts):
    w = world
    admin = api_for(w.users["city_admin"])
    r = admin.post(
        "/api/v1/project-calls",
        {
            "org_unit": w.units["city_bureau"].code,
            "title": "2025年市级课题指南",
            "level": "city",
            "year": 2025,
            "opens_on": "2025-03-01",
            "closes_on": "2025-03-31",
            "topics": "作业设计\n大单元教学",
        },
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["topics"] == ["作业设计", "大单元教学"]
    r = admin.patch(
        f"/api/v1/project-calls/{cid}", {"default_quota": 5, "version": 1}, content_type=JSON
    )
    assert r.status_code == 200 and r.json()["default_quota"] == 5
    r = admin.post(f"/api/v1/project-calls/{cid}/status", {"status": "open"}, content_type=JSON)
    assert r.json()["status"] == "open"
    call = ProjectCall.objects.get(pk=cid)
    p = apply(w, call)
    teacher = api_for(w.users["teacher"])
    assert [x["id"] for x in teacher.get("/api/v1/projects").json()["items"]] == [p.pk]
    r = admin.post(
        f"/api/v1/projects/{p.pk}/experts",
        {"experts": [e.staff_no for e in experts]},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    for review in r.json():
        expert = api_for(next(e for e in experts if e.pk == review["expert"]).user)
        mine = expert.get("/api/v1/project-reviews").json()["items"]
        assert review["id"] in [x["id"] for x in mine]
        assert expert.get(f"/api/v1/projects/{p.pk}").status_code == 200
        r = expert.post(
            f"/api/v1/project-reviews/{review['id']}/submit",
            {"score": 90, "verdict": "approve", "opinion": "同意立项"},
            content_type=JSON,
        )
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.content
    # A teacher cannot read the experts' reviews.
    assert teacher.get("/api/v1/project-reviews").json()["items"] == []
    r = admin.post(
        "/api/v1/project-decisions", {"projects": [p.pk], "decision": "approve"}, content_type=JSON
    )
    assert r.status_code == 200, r.content
    assert r.json()[0]["number"] == "610500901-2025-0001"
    stages = admin.get(f"/api/v1/project-stages?project={p.pk}").json()["items"]
    assert {s["stage"] for s in stages} == {
        "application",
        "review",
        "opening",
        "midterm",
        "conclusion",
    }
    # Opening not filed yet: accepting it is refused with a Chinese message.
    r = admin.post(f"/api/v1/projects/{p.pk}/accept", {"stage": "opening"}, content_type=JSON)
    assert r.status_code == 400 and "尚未提交" in r.json()["detail"]
    r = admin.post(
        f"/api/v1/projects/{p.pk}/extend",
        {"due_on": "2025-09-30", "reason": "调整"},
        content_type=JSON,
    )
    assert r.status_code == 200 and r.json()["due_on"] == "2025-09-30"
    r = admin.post(f"/api/v1/projects/{p.pk}/terminate", {"reason": "调离"}, content_type=JSON)
    assert r.json()["status"] == "terminated"
    assert Project.objects.get().status == "terminated"
    members = teacher.get(f"/api/v1/projects/{p.pk}/members").json()
    assert [m["role"] for m in members] == ["pi"]


def test_bad_input_is_400_or_422(world, api_for, call):
    admin = api_for(world.users["city_admin"])
    bad = [
        ("/api/v1/project-calls", {"org_unit": "x"}),
        ("/api/v1/project-calls", {"org_unit": 1, "title": "t", "level": "galaxy", "year": 1}),
        ("/api/v1/project-decisions", {"projects": [], "decision": "approve"}),
        ("/api/v1/project-decisions", {"projects": [1], "decision": "maybe"}),
        (f"/api/v1/project-calls/{call.pk}/status", {"status": "nope"}),
        (f"/api/v1/project-calls/{call.pk}/quota", {"unit": "999", "quota": -1}),
    ]
    for url, body in bad:
        r = admin.post(url, body, content_type=JSON)
        assert r.status_code in (400, 422), (url, r.status_code, r.content)
    r = admin.post(
        "/api/v1/project-calls",
        {
            "org_unit": world.units["city_bureau"].pk,
            "title": "倒置的日期",
            "level": "city",
            "year": 2025,
            "opens_on": "2025-03-31",
            "closes_on": "2025-03-01",
        },
        content_type=JSON,
    )
    assert r.status_code == 400 and "不能早于" in r.json()["detail"]
