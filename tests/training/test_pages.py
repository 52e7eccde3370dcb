"""Training pages: every page answers for the organiser and the participant, query
counts do not grow with rows, exports, the import of an attendance sheet, and the
participant's view of what they missed."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from jiaoyan.core.sheets import run_import
from jiaoyan.training import services
from jiaoyan.training.models import Attendance, Enrolment
from jiaoyan.training.sheets import SessionAttendanceSheet
from tests.conftest import make_person

from .conftest import DAY1, make_programme


def _crowd(w, p, n):
    school = w.schools["school_a"].org_unit
    people = [
        make_person(f"Y{i:04d}", f"学员{i}", school, role="teacher", username=f"y{i}")
        for i in range(n)
    ]
    services.invite(
        actor=w.users["district_researcher"], programme=p, people=[x.staff_no for x in people]
    )
    return people


def test_pages_answer(world, client_for):
    w = world
    p = make_programme(w, mode="invitation", test_pass_mark=60)
    services.invite(actor=w.users["district_researcher"], programme=p, people=["T002"])
    a = services.add_assignment(
        actor=w.users["district_researcher"],
        programme=p,
        title="作业一",
        deadline=DAY1 + dt.timedelta(days=365 * 5),
    )
    s = p.sessions.first()
    org = client_for(w.users["district_researcher"])
    for url in (
        "/training/",
        "/training/?export=xlsx",
        f"/training/{p.pk}/",
        f"/training/{p.pk}/edit/",
        f"/training/{p.pk}/roster/",
        f"/training/{p.pk}/roster/?export=xlsx",
        f"/training/{p.pk}/report/",
        f"/training/{p.pk}/report/?export=xlsx",
        f"/training/sessions/{s.pk}/projector/",
        f"/training/sessions/{s.pk}/attendance/",
        f"/training/sessions/{s.pk}/attendance/?export=xlsx",
        f"/training/assignments/{a.pk}/",
        "/training/new/",
    ):
        assert org.get(url).status_code == 200, url
    teacher = client_for(w.users["teacher"])
    for url in (
        "/training/",
        "/training/mine/",
        "/training/mine/?export=xlsx",
        f"/training/{p.pk}/",
        f"/training/sessions/{s.pk}/checkin/",
        f"/training/assignments/{a.pk}/",
    ):
        assert teacher.get(url).status_code == 200, url
    for url in (
        f"/training/{p.pk}/roster/",
        f"/training/{p.pk}/report/",
        f"/training/sessions/{s.pk}/projector/",
    ):
        assert teacher.get(url).status_code == 403, url
    assert teacher.get("/training/new/").status_code == 403


def test_list_query_counts_do_not_grow(world, client_for, django_assert_max_num_queries):
    w = world
    p = make_programme(w, mode="invitation")
    _crowd(w, p, 5)
    org = client_for(w.users["district_researcher"])
    with django_assert_max_num_queries(14) as small:
        org.get(f"/training/{p.pk}/roster/")
    n_small = len(small.captured_queries)
    _crowd_more = [
        make_person(f"Z{i:04d}", f"学员Z{i}", w.schools["school_b"].org_unit, role="teacher")
        for i in range(30)
    ]
    services.invite(
        actor=w.users["district_researcher"], programme=p, people=[x.staff_no for x in _crowd_more]
    )
    with django_assert_max_num_queries(n_small):
        r = org.get(f"/training/{p.pk}/roster/")
    assert r.status_code == 200
    for i in range(30):
        make_programme(w, title=f"项目{i}", open_it=False, sessions=())
    with django_assert_max_num_queries(14):
        assert org.get("/training/").status_code == 200
    with django_assert_max_num_queries(25):
        assert org.get(f"/training/{p.pk}/report/").status_code == 200
    with django_assert_max_num_queries(25):
        assert org.get(f"/training/{p.pk}/").status_code == 200


def test_correct_hours_form_only_for_those_who_may_adjust(
    world, client_for, django_assert_max_num_queries
):
    """The researcher who runs the programme sees its roster but may not correct hours
    (the service refuses them): the form is offered only to an admin of the organiser."""
    w = world
    p = make_programme(w, sessions=(Decimal("3"),), min_attendance=100)
    people = [w.people["teacher"], *_crowd(w, p, 3)]
    services.enrol(actor=w.users["teacher"], programme=p)
    s = p.sessions.get()
    services.write_attendance(s, {x.pk: ("present", None) for x in people}, actor=None)
    services.close_programme(actor=w.users["district_researcher"], programme=p)
    assert Enrolment.objects.filter(programme=p, outcome="completed").count() == 4
    url = f"/training/{p.pk}/roster/"
    researcher = client_for(w.users["district_researcher"]).get(url).content.decode()
    assert researcher.count('data-testid="roster-row"') == 4
    assert 'data-testid="adjust-hours"' not in researcher and "/adjust/" not in researcher
    principal = client_for(w.users["principal"]).get(url).content.decode()
    assert 'data-testid="roster-row"' in principal and "/adjust/" not in principal
    admin = client_for(w.users["city_admin"])
    with django_assert_max_num_queries(14):
        page = admin.get(url).content.decode()
    assert page.count('data-testid="adjust-hours"') == 4


def test_attendance_import_keeps_late_and_absent_and_reports_errors(world):
    w = world
    p = make_programme(w, mode="invitation")
    services.invite(
        actor=w.users["district_researcher"], programme=p, people=["T002", "T003", "T001"]
    )
    s = p.sessions.order_by("starts_at").first()
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["工号", "姓名", "签到状态", "签到时间"])
    ws.append(["T002", "张老师", "出席", "09:02"])
    ws.append(["T003", "周晓", "迟到", "09:25"])
    ws.append(["T001", "李校长", "缺席", ""])
    ws.append(["H101", "陈老师", "出席", ""])  # not on the programme
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()

    def kind(actor="district_researcher"):
        return SessionAttendanceSheet(actor=w.users[actor], params={"session": s.pk})

    result = run_import(kind(), data, "签到.xlsx")
    assert not result.written
    assert len(result.errors) == 1 and result.errors[0].row == 5
    assert not Attendance.objects.filter(session=s).exists()
    result = run_import(kind(), data, "签到.xlsx", valid_only=True)
    assert result.written and result.created == 3
    got = dict(Attendance.objects.filter(session=s).values_list("person__staff_no", "status"))
    assert got == {"T002": "present", "T003": "late", "T001": "absent"}
    s.refresh_from_db()
    assert s.present_count == 2
    again = run_import(kind(), data, "签到.xlsx", valid_only=True)
    assert again.created == 0 and again.updated == 0 and again.unchanged == 3
    # The teacher sees the session but may not import into it: refused before any row.
    with pytest.raises(PermissionDenied) as err:
        run_import(kind("teacher"), data, "签到.xlsx")
    assert str(err.value) == "你无权记录该场次的考勤。"
    assert Attendance.objects.filter(session=s).count() == 3


def test_my_trainings_shows_outcome_missed_and_hours(world, client_for):
    w = world
    p = make_programme(w, sessions=(Decimal("3"), Decimal("3")), min_attendance=100)
    services.enrol(actor=w.users["teacher"], programme=p)
    services.enrol(actor=w.users["principal"], programme=p)
    s1, s2 = p.sessions.order_by("starts_at")
    services.write_attendance(s1, {w.people["teacher"].pk: ("present", None)}, actor=None)
    services.write_attendance(s2, {w.people["teacher"].pk: ("late", None)}, actor=None)
    services.write_attendance(s1, {w.people["principal"].pk: ("present", None)}, actor=None)
    services.close_programme(actor=w.users["district_researcher"], programme=p)
    page = client_for(w.users["teacher"]).get("/training/mine/").content.decode()
    assert "6.0" in page
    principal = client_for(w.users["principal"]).get(f"/training/{p.pk}/").content.decode()
    assert 'data-testid="missed"' in principal
    e = Enrolment.objects.get(programme=p, person=w.people["principal"])
    assert e.missed == [{"code": "attendance", "have": 1, "need": 2, "of": 2}]


def test_phone_check_in_page(world, client_for):
    from jiaoyan.activities import codes

    w = world
    p = make_programme(w)
    services.enrol(actor=w.users["teacher"], programme=p)
    s = p.sessions.order_by("starts_at").first()
    c = client_for(w.users["teacher"])
    with time_machine.travel(s.starts_at - dt.timedelta(minutes=5), tick=False):
        code, _ = codes.current_code(s)
        r = c.get(f"/training/sessions/{s.pk}/checkin/?code={code}")
        assert r.status_code == 200
        r = c.post(f"/training/sessions/{s.pk}/checkin/", {"code": code, "via": "qr"})
        assert 'data-testid="checkin-done"' in r.content.decode()
    a = Attendance.objects.get(session=s, person=w.people["teacher"])
    assert (a.status, a.method) == ("present", "qr")


def test_nominations_page_nominates_and_shows_the_refusal_on_the_form(world, client_for):
    w = world
    p = make_programme(w, mode="nomination")
    school = w.schools["school_a"].org_unit
    services.set_quota(
        actor=w.users["district_researcher"], programme=p, school=school.code, seats=1
    )
    c = client_for(w.users["principal"])
    url = f"/training/{p.pk}/nominations/"
    r = c.post(url, {"person": w.people["teacher"].staff_no})
    assert r.status_code == 302 and r["Location"] == url
    page = c.get(url).content.decode()
    assert page.count('data-testid="nominated-row"') == 1 and "1 / 1" in page
    r = c.post(url, {"person": w.people["counsellor"].staff_no})
    assert r.status_code == 200
    assert f"{school.name}的名额已用完（已推荐 1 人，共 1 个名额）。" in r.content.decode()
    assert not Enrolment.objects.filter(programme=p, person=w.people["counsellor"]).exists()
