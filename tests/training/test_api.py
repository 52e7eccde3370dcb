"""Training API: a programme through its life (create, sessions, open, enrol, check in,
hand in, grade, close), what each role sees, and bad input answered 400/422, never 500."""

from __future__ import annotations

import datetime as dt

import time_machine

from jiaoyan.activities import codes
from jiaoyan.hours.models import HoursRecord
from jiaoyan.training.models import Programme, Session

from .conftest import DAY1, make_programme

JSON = "application/json"


def test_programme_life_through_the_api(world, api_for):
    w = world
    org = api_for(w.users["district_researcher"])
    r = org.post(
        "/api/v1/programmes",
        {
            "org_unit": w.units["linwei_institute"].code,
            "title": "临渭区信息技术应用能力提升",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "blended",
            "mode": "open",
            "min_attendance": 50,
            "assignment_required": True,
            "assignment_pass_mark": 60,
            "hours_mode": "per_session",
            "capacity": 1,
        },
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["level"] == "county" and r.json()["status"] == "draft"
    for n, hours in enumerate((3, 2)):
        start = DAY1 + dt.timedelta(days=n)
        r = org.post(
            f"/api/v1/programmes/{pid}/sessions",
            {
                "title": f"第{n + 1}讲",
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
                "hours": hours,
                "link": "https://meeting.example.cn/j/9",
            },
            content_type=JSON,
        )
        assert r.status_code == 201, r.content
    assert org.post(f"/api/v1/programmes/{pid}/open").json()["status"] == "open"
    r = org.post(
        f"/api/v1/programmes/{pid}/assignments",
        {"title": "课例", "deadline": (DAY1 + dt.timedelta(days=10)).isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 201
    aid = r.json()["id"]
    teacher, principal = api_for(w.users["teacher"]), api_for(w.users["principal"])
    counsellor = api_for(w.users["counsellor"])
    r = teacher.post(f"/api/v1/programmes/{pid}/enrol")
    assert r.status_code == 200 and r.json()["status"] == "enrolled", r.content
    assert counsellor.post(f"/api/v1/programmes/{pid}/enrol").json()["status"] == "waitlisted"
    r = principal.post(f"/api/v1/programmes/{pid}/enrol")  # a principal: not this cohort
    assert r.status_code == 400
    # What each sees: the teacher her own enrolment, the principal both (his school's).
    assert len(teacher.get(f"/api/v1/enrolments?programme={pid}").json()["items"]) == 1
    assert len(principal.get(f"/api/v1/enrolments?programme={pid}").json()["items"]) == 2
    assert len(org.get(f"/api/v1/enrolments?programme={pid}").json()["items"]) == 2
    session = Session.objects.filter(programme_id=pid).order_by("starts_at").first()
    with time_machine.travel(session.starts_at, tick=False):
        code, _ = codes.current_code(session)
        r = teacher.post(
            f"/api/v1/training-sessions/{session.pk}/checkin", {"code": code}, content_type=JSON
        )
        assert r.status_code == 200 and r.json()["status"] == "present", r.content
        r = teacher.post(
            f"/api/v1/assignments/{aid}/submissions", {"text": "我的课例"}, content_type=JSON
        )
        assert r.status_code == 201, r.content
        sid = r.json()["id"]
    assert teacher.post(f"/api/v1/submissions/{sid}/grade", {"score": 90}, content_type=JSON)
    assert org.get("/api/v1/submissions").json()["count"] == 1
    r = org.post(f"/api/v1/submissions/{sid}/grade", {"score": 90}, content_type=JSON)
    assert r.status_code == 200 and r.json()["score"] == 90
    r = org.post(f"/api/v1/programmes/{pid}/close")
    assert r.status_code == 200 and r.json() == {"completed": 1, "not_completed": 0, "credited": 1}
    assert HoursRecord.objects.get(person=w.people["teacher"]).hours == 3
    mine = teacher.get(f"/api/v1/enrolments?programme={pid}").json()["items"][0]
    assert mine["outcome"] == "completed" and mine["hours_credited"] == 3.0


def test_bad_input_is_a_400_or_422_never_a_500(world, api_for):
    w = world
    p = make_programme(w)
    org = api_for(w.users["district_researcher"])
    n = Programme.objects.count()
    for body in (
        {},
        {
            "org_unit": "610502902",
            "title": "",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
        },
        {
            "org_unit": "610502902",
            "title": "x",
            "cohorts": ["nobody"],
            "tier": "key",
            "format": "face",
            "mode": "open",
        },
        {
            "org_unit": "610502902",
            "title": "x",
            "cohorts": ["teacher"],
            "tier": "key",
            "format": "face",
            "mode": "open",
            "min_attendance": 101,
        },
    ):
        r = org.post("/api/v1/programmes", body, content_type=JSON)
        assert r.status_code in (400, 422), (body, r.status_code)
    assert Programme.objects.count() == n
    r = org.post(
        f"/api/v1/programmes/{p.pk}/sessions",
        {
            "title": "x",
            "starts_at": "2025-04-10T10:00:00+08:00",
            "ends_at": "2025-04-10T09:00:00+08:00",
            "hours": 2,
            "place": "某地",
        },
        content_type=JSON,
    )
    assert r.status_code == 400, r.content
    r = api_for(w.users["teacher"]).post(f"/api/v1/programmes/{p.pk}/close")
    assert r.status_code == 403
    assert api_for(w.users["outsider"]).get(f"/api/v1/programmes/{p.pk}").status_code == 404
    r = api_for(w.users["teacher"]).post(
        f"/api/v1/training-sessions/{p.sessions.first().pk}/checkin",
        {"code": "1"},
        content_type=JSON,
    )
    assert r.status_code == 400
