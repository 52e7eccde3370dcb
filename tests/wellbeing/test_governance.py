"""Governance of the screening data: the read audit (who read what, with which reason),
exports of identified data approved by a second person, the retention job, and the
wellbeing permission granted on core's grants page — each with its permission matrix
(anonymous, teacher, principal, district admin without the permission, counsellor of
another school, counsellor of the school)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from jiaoyan.core.jobs import schedule_due
from jiaoyan.core.models import AuditLog, Job
from jiaoyan.people.services import assign_homeroom
from jiaoyan.wellbeing import services
from jiaoyan.wellbeing import services_governance as governance
from jiaoyan.wellbeing.models import (
    Alert,
    ExportRequest,
    Participation,
    Student,
    WellbeingPermission,
)
from tests.conftest import make_person
from tests.wellbeing.helpers import SEVEN_ROLES, permit, screening_world, window

WHO = list(SEVEN_ROLES)
LOGIN = "login"


@pytest.fixture
def setup(world):
    w = screening_world(world)
    a = w.schools["school_a"].org_unit
    colleague = make_person(
        "T004", "孙心理", a, role="counsellor", username="counsellor_a2", phone="13900000013"
    )
    w.users["counsellor_a2"] = colleague.user
    permit(colleague.user, a)
    # the class teacher of the screened class: no more than any teacher of the school
    ct = make_person("T005", "孟老师", a, role="teacher", username="class_teacher")
    w.users["class_teacher"] = ct.user
    assign_homeroom(actor=w.principal, person=ct, grade=7, class_name="1班")
    start, end = window()
    c = services.create_campaign(
        actor=w.counsellor,
        org_unit=a,
        name="七年级筛查",
        scales=["phq9"],
        schools=[a],
        starts_at=start,
        ends_at=end,
    )
    services.open_campaign(actor=w.counsellor, campaign=c)
    p = c.participations.get(student__key="A0701")
    services.enter_paper_answers(
        actor=w.counsellor, participation=p, answers={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    return w, c, p, a


def _client(w, who):
    c = Client()
    if who != "anonymous":
        c.force_login(w.users[who])
    return c


def _check(r, want, who, url):
    if want == LOGIN:
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], (who, url)
    else:
        assert r.status_code == want, (who, url, r.status_code)


# --- the read audit ----------------------------------------------------------------------------


def test_read_audit_lists_who_read_which_record_with_the_reason(setup):
    w, _c, p, _a = setup
    counsellor = _client(w, "counsellor")
    assert counsellor.get(f"/wellbeing/students/{p.student_id}/?reason=复查随访").status_code == 200
    colleague = _client(w, "counsellor_a2")
    html = colleague.get("/wellbeing/governance/reads/").content.decode()
    assert "周晓（counsellor）" in html and "A0701" in html and "复查随访" in html
    # filtered by reader, student and date
    assert (
        "复查随访"
        not in colleague.get("/wellbeing/governance/reads/?reader=孙心理").content.decode()
    )
    assert (
        "复查随访" in colleague.get("/wellbeing/governance/reads/?student=A0701").content.decode()
    )
    assert (
        "复查随访"
        not in colleague.get("/wellbeing/governance/reads/?student=A0702").content.decode()
    )
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert (
        "复查随访"
        not in colleague.get(f"/wellbeing/governance/reads/?since={tomorrow}").content.decode()
    )
    # the counsellor of another school does not see the reads of school A
    other = _client(w, "counsellor_b").get("/wellbeing/governance/reads/").content.decode()
    assert "复查随访" not in other


def test_read_audit_matrix(setup):
    w, _c, p, _a = setup
    _client(w, "counsellor").get(f"/wellbeing/students/{p.student_id}/?reason=复查随访")
    url = "/wellbeing/governance/reads/"
    for who, want in zip(WHO, [LOGIN, 403, 403, 403, 403, 200, 200], strict=True):
        _check(_client(w, who).get(url), want, who, url)
        _check(_client(w, who).get(url + "?export=xlsx"), want, who, url)


def test_read_audit_export_is_restricted_and_audited(setup):
    w, _c, p, a = setup
    _client(w, "counsellor").get(f"/wellbeing/students/{p.student_id}/?reason=复查随访")
    before = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count()
    r = _client(w, "counsellor_a2").get("/wellbeing/governance/reads/?export=xlsx")
    assert r.status_code == 200
    cells = [
        str(v)
        for row in openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    assert "复查随访" in cells and "临渭区第一初级中学" in cells
    exports = AuditLog.objects.filter(action=AuditLog.Action.EXPORT)
    assert exports.count() == before + 1
    row = exports.latest("id")
    assert row.actor == w.users["counsellor_a2"] and row.unit_path == a.path


# --- exports with a second approver ------------------------------------------------------------


def _request(w, a, who="counsellor"):
    return governance.request_export(
        actor=w.users[who], org_unit=a, what="alerts", reason="转介医院需要名单"
    )


def test_export_needs_a_second_approver_and_only_the_requester_downloads(
    setup, django_capture_on_commit_callbacks
):
    w, _c, _p, a = setup
    me = _client(w, "counsellor")
    r = me.post(
        "/wellbeing/governance/exports/",
        {"org_unit": a.pk, "what": "alerts", "reason": "转介医院需要名单"},
    )
    assert r.status_code == 302
    req = ExportRequest.objects.get()
    assert req.status == "pending" and req.requested_by == w.users["counsellor"]
    # the requester may not approve their own request
    r = me.post(f"/wellbeing/governance/exports/{req.pk}/approve/", follow=True)
    assert "必须由另一位持有心理筛查数据权限的人员批准" in r.content.decode()
    req.refresh_from_db()
    assert req.status == "pending"
    assert me.get(f"/wellbeing/governance/exports/{req.pk}/file/").status_code == 410
    # the colleague approves; the job builds the file
    with django_capture_on_commit_callbacks(execute=True):
        r = _client(w, "counsellor_a2").post(f"/wellbeing/governance/exports/{req.pk}/approve/")
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == "ready" and req.decided_by == w.users["counsellor_a2"]
    assert req.rows == 1 and Job.objects.get(pk=req.job_id).status == "succeeded"
    # the approver does not download it; the requester does, audited with the reason
    assert (
        _client(w, "counsellor_a2").get(f"/wellbeing/governance/exports/{req.pk}/file/").status_code
        == 403
    )
    r = me.get(f"/wellbeing/governance/exports/{req.pk}/file/")
    assert r.status_code == 200
    content = b"".join(r.streaming_content) if r.streaming else r.content
    names = [
        v
        for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
        for v in row
    ]
    assert "林小雨" in names
    log = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("id")
    assert log.actor == w.users["counsellor"] and log.changes["reason"][1] == "转介医院需要名单"
    # it expires: refused afterwards, and the retention job deletes the file
    with time_machine.travel(timezone.now() + dt.timedelta(hours=49), tick=False):
        assert (
            _client(w, "counsellor")
            .get(f"/wellbeing/governance/exports/{req.pk}/file/")
            .status_code
            == 410
        )
        name = req.file.name
        governance.apply_retention()
    req.refresh_from_db()
    assert req.status == "expired" and not req.file
    assert not req.file.storage.exists(name)


def test_export_request_refuses_bad_input(setup):
    w, _c, _p, a = setup
    me = _client(w, "counsellor")
    r = me.post(
        "/wellbeing/governance/exports/", {"org_unit": a.pk, "what": "alerts", "reason": " "}
    )
    assert r.status_code == 200 and ExportRequest.objects.count() == 0
    b = w.schools["school_b"].org_unit
    r = me.post(
        "/wellbeing/governance/exports/", {"org_unit": b.pk, "what": "alerts", "reason": "看看"}
    )
    assert r.status_code == 200 and "您的范围内没有这个对象。" in r.content.decode()
    assert ExportRequest.objects.count() == 0


def test_export_pages_matrix(setup):
    w, _c, _p, a = setup
    req = _request(w, a)
    pages = [
        ("/wellbeing/governance/exports/", [LOGIN, 403, 403, 403, 403, 200, 200]),
        (f"/wellbeing/governance/exports/{req.pk}/", [LOGIN, 404, 404, 404, 404, 404, 200]),
        (f"/wellbeing/governance/exports/{req.pk}/file/", [LOGIN, 404, 404, 404, 404, 404, 410]),
    ]
    for url, expected in pages:
        for who, want in zip(WHO, expected, strict=True):
            _check(_client(w, who).get(url), want, who, url)
    listing = _client(w, "counsellor_b").get("/wellbeing/governance/exports/").content.decode()
    assert "转介医院需要名单" not in listing


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_export_decisions_are_refused_to_all_but_a_second_holder(setup, action):
    w, _c, _p, a = setup
    req = _request(w, a)
    url = f"/wellbeing/governance/exports/{req.pk}/{action}/"
    for who in WHO:
        r = _client(w, who).post(url)
        if who == "anonymous":
            assert r.status_code == 302 and "/accounts/login/" in r["Location"]
        elif who == "counsellor":
            assert r.status_code == 302  # refused with a message: their own request
        else:
            assert r.status_code == 404, (who, r.status_code)
        req.refresh_from_db()
        assert req.status == "pending", who
    r = _client(w, "counsellor_a2").post(url)
    req.refresh_from_db()
    assert (
        req.status == ("approved" if action == "approve" else "rejected") or req.status == "ready"
    )
    assert AuditLog.objects.filter(object_id=req.pk, action=AuditLog.Action.STATUS).exists()


# --- retention -----------------------------------------------------------------------------------


def test_retention_deidentifies_old_answers_notes_and_names_keeping_aggregates(
    setup, django_capture_on_commit_callbacks
):
    w, c, p, _a = setup
    services.close_campaign(actor=w.counsellor, campaign=c)
    alert = Alert.objects.get(participation=p)
    services.handle_alert(
        actor=w.counsellor, alert=alert, note="已约谈家长，转介医院", expected_version=None
    )
    p.refresh_from_db()
    risk, status = p.risk, p.status
    assert p.answers
    with time_machine.travel(timezone.now() + dt.timedelta(days=365 * 5 - 30), tick=False):
        assert governance.apply_retention()["participations"] == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=365 * 5 + 30), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            started = schedule_due()
        assert "wellbeing.retention" in started
        job = Job.objects.filter(kind="wellbeing.retention").latest("id")
        assert job.status == "succeeded" and job.result["participations"] >= 1
    p.refresh_from_db()
    assert p.answers == {} and p.risk == risk and p.status == status
    student = Student.objects.get(pk=p.student_id)
    assert student.name == "" and student.key == "A0701" and student.grade == 7
    alert.refresh_from_db()
    assert alert.note == "" and alert.status == "handled"
    log = AuditLog.objects.filter(object_id=c.pk, action=AuditLog.Action.UPDATE).latest("id")
    assert "answers_removed" in log.changes
    # a second run changes nothing
    with time_machine.travel(timezone.now() + dt.timedelta(days=365 * 5 + 31), tick=False):
        assert governance.apply_retention()["participations"] == 0


def test_retention_keeps_the_name_of_a_student_screened_again(setup):
    w, c, p, a = setup
    services.close_campaign(actor=w.counsellor, campaign=c)
    later = timezone.now() + dt.timedelta(days=365 * 4)
    with time_machine.travel(later, tick=False):
        start, end = window()
        c2 = services.create_campaign(
            actor=w.counsellor,
            org_unit=a,
            name="复测",
            scales=["phq9"],
            schools=[a],
            starts_at=start,
            ends_at=end,
        )
        services.open_campaign(actor=w.counsellor, campaign=c2)
    with time_machine.travel(timezone.now() + dt.timedelta(days=365 * 5 + 30), tick=False):
        governance.apply_retention()
    # the open alert and the newer screening both keep the name
    assert Student.objects.get(key="A0701").name == "林小雨"
    assert Participation.objects.get(pk=p.pk).answers == {}


def test_retention_clears_what_an_old_closed_follow_up_said_and_keeps_an_open_ones_name(setup):
    from jiaoyan.wellbeing import services_followup as fs
    from jiaoyan.wellbeing.models import FollowUpCase, FollowUpEntry

    w, c, p, _a = setup
    alert = Alert.objects.get(participation=p)
    case = fs.record_interview(
        actor=w.counsellor,
        alert=alert,
        on=timezone.localdate(),
        assessment="情绪低落，睡眠差",
        plan="每两周约谈一次",
        level="attention",
    )
    services.close_campaign(actor=w.counsellor, campaign=c)
    far = timezone.now() + dt.timedelta(days=365 * 5 + 30)
    # the case is still open: its texts and the student's name stay
    with time_machine.travel(far, tick=False):
        assert governance.apply_retention()["cases"] == 0
    entry = FollowUpEntry.objects.get(case=case, kind="interview")
    assert entry.assessment == "情绪低落，睡眠差"
    assert Student.objects.get(pk=p.student_id).name == "林小雨"
    fs.close_case(actor=w.counsellor, case=case, reason="recovered", note="复查正常")
    with time_machine.travel(far, tick=False):
        assert governance.apply_retention()["cases"] == 1
        assert governance.apply_retention()["cases"] == 0  # a second run changes nothing
    entries = FollowUpEntry.objects.filter(case=case).order_by("pk")
    assert [e.kind for e in entries] == ["interview", "close"]
    assert all(
        (e.assessment, e.plan, e.note, e.institution, e.outcome) == ("", "", "", "", "")
        for e in entries
    )
    case = FollowUpCase.objects.get(pk=case.pk)
    assert case.status == "closed" and case.level == "attention"
    assert Student.objects.get(pk=p.student_id).name == ""
    log = AuditLog.objects.filter(object_id=case.pk, action=AuditLog.Action.UPDATE).latest("id")
    assert log.changes == {"entries_cleared": [None, 2]}


# --- the wellbeing permission on core's grants page ---------------------------------------------


def test_wellbeing_permission_is_granted_and_revoked_on_the_core_page(setup):
    w, _c, _p, a = setup
    url = "/permissions/wellbeing/"
    for who, want in zip(WHO, [LOGIN, 200, 200, 200, 200, 200, 200], strict=True):
        _check(_client(w, who).get(url), want, who, url)
    data = {"username": "principal", "unit_code": a.code, "reason": "校级心理工作负责人"}
    for who in ("teacher", "principal", "counsellor_b", "counsellor"):
        assert _client(w, who).post(url, data).status_code == 403, who
    assert not WellbeingPermission.objects.filter(user=w.users["principal"]).exists()
    admin = _client(w, "city_admin")
    r = admin.post(url, data)
    assert r.status_code == 302
    perm = WellbeingPermission.objects.get(user=w.users["principal"])
    assert AuditLog.objects.filter(action=AuditLog.Action.GRANT, object_id=perm.pk).exists()
    assert "校级心理工作负责人" in admin.get(url).content.decode()
    assert "校级心理工作负责人" not in _client(w, "counsellor_b").get(url).content.decode()
    # no one but the admin revokes
    for who in ("teacher", "counsellor_b", "counsellor"):
        r = _client(w, who).post(f"{url}{perm.pk}/revoke/")
        assert r.status_code in (403, 404), who
    assert admin.post(f"{url}{perm.pk}/revoke/").status_code == 302
    perm.refresh_from_db()
    assert perm.revoked_at is not None
    assert _client(w, "city_admin").get("/permissions/nonsense/").status_code == 404


def test_the_alert_list_leads_to_the_read_audit_and_the_exports(setup):
    w, _c, _p, _a = setup
    html = _client(w, "counsellor").get("/wellbeing/alerts/").content.decode()
    assert "/wellbeing/governance/reads/" in html and "/wellbeing/governance/exports/" in html
