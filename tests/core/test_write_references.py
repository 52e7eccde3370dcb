"""Every reference a write sets — a parent, a unit, a person, a school … named in a sheet
cell, a form field or an API body — is resolved through the one scoped resolver and the
target checked with the action it implies. For each path: a reference to another
district's object and to one that does not exist are both refused, nothing changes, and
the two answers are the same and name nobody.

The actor is the outsider (bureau admin of 华州区); the hidden objects are 临渭区's (and
the province and city above both districts, which a district admin does not see).
API bodies are covered case by case in ``test_api_references.py``; the test below makes
every reference field of the API document need such a case, so that a new module's
unguarded write fails here.
"""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from openpyxl import Workbook

from jiaoyan.activities import services as activity_services
from jiaoyan.activities.models import Activity, Participation
from jiaoyan.activities.sheets import AttendanceSheet
from jiaoyan.core.models import AuditLog, Notification
from jiaoyan.core.sheets import run_import
from jiaoyan.observations.models import LiaisonAssignment
from jiaoyan.observations.sheets import LiaisonSheet
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.orgs.sheets import OrgUnitSheet, SchoolSheet
from jiaoyan.people.models import Person
from jiaoyan.people.sheets import PersonSheet
from tests.activities.conftest import make_activity
from tests.conftest import make_person, make_unit
from tests.core.test_api_references import CASES
from tests.support import no_such

MISSING_CODE = "619998"
MISSING_STAFF_NO = "NOPE999"
# Names of 临渭区's (and the city's) people and units: no answer to the outsider shows one.
HIDDEN_NAMES = ("临渭区", "渭南市", "陕西省", "张老师", "韩梅", "李校长", "第一初级中学")


def xlsx(header: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _state() -> dict:
    """What a refused import must leave as it was."""
    return {
        "units": sorted(OrgUnit.objects.values_list("code", "parent_id", "path")),
        "schools": School.objects.count(),
        "people": sorted(Person.objects.values_list("staff_no", "name", "org_unit_id")),
        "liaisons": LiaisonAssignment.objects.count(),
        "participations": sorted(
            Participation.objects.values_list("activity_id", "person_id", "attendance")
        ),
    }


def _answers(sheet_cls, actor, header, row_for, hidden, missing, **kw):
    """Import one row naming ``hidden``, then one naming ``missing``: the two results."""
    before = _state()
    results = []
    for ref in (hidden, missing):
        result = run_import(sheet_cls(actor=actor, **kw), xlsx(header, [row_for(ref)]), "x.xlsx")
        assert not result.written, ref
        results.append(result)
    assert _state() == before
    return results


def _same_answer(hidden_result, missing_result, column: str) -> str:
    """The errors of the two imports, compared: the same cells, the same message."""
    h = [(e.row, e.column, e.message) for e in hidden_result.errors]
    m = [(e.row, e.column, e.message) for e in missing_result.errors]
    assert h == m, (h, m)
    assert h and h[0][1] == column, h
    for _row, _col, message in h:
        assert not any(name in message for name in HIDDEN_NAMES), message
    return h[0][2]


# --- sheets ------------------------------------------------------------------------------

UNIT_HEADER = ["单位代码", "单位名称", "上级单位代码", "层级", "类型"]


def test_org_unit_import_cannot_reparent_a_district_out_of_its_admins_scope(world):
    """The finding: 华州区's admin re-parented 华州区 (whose change they may make) under a
    unit beyond their scope. Now the new parent is resolved in scope and needs ``add``
    there — the checks ``move_unit`` makes."""
    outsider = world.users["outsider"]
    hidden, missing = _answers(
        OrgUnitSheet,
        outsider,
        UNIT_HEADER,
        lambda parent: ["610503", "华州区", parent, "县", "区域"],
        world.units["province"].code,  # a county may hang under a province: only scope stops it
        MISSING_CODE,
    )
    assert _same_answer(hidden, missing, "上级单位代码") == no_such(OrgUnit)
    assert OrgUnit.objects.get(code="610503").parent == world.units["city"]


def test_org_unit_import_cannot_move_a_unit_under_another_district(world):
    town = make_unit("610503100", "华州镇", world.units["huazhou"], "town")
    hidden, missing = _answers(
        OrgUnitSheet,
        world.users["outsider"],
        UNIT_HEADER,
        lambda parent: ["610503100", "华州镇", parent, "镇", "区域"],
        world.units["linwei"].code,
        MISSING_CODE,
    )
    _same_answer(hidden, missing, "上级单位代码")
    town.refresh_from_db()
    assert town.parent == world.units["huazhou"]


def test_org_unit_import_cannot_add_a_unit_under_another_district(world):
    hidden, missing = _answers(
        OrgUnitSheet,
        world.users["outsider"],
        UNIT_HEADER,
        lambda parent: ["610502199", "新街道", parent, "镇", "区域"],
        world.units["linwei"].code,
        MISSING_CODE,
    )
    _same_answer(hidden, missing, "上级单位代码")


def test_org_unit_import_positive_control(world):
    """In scope, the same rows go through: a new town and 华州区's export re-imported."""
    rows = [
        ["610503100", "华州镇", "610503", "镇", "区域"],
        ["610503", "华州区", world.units["city"].code, "县", "区域"],  # its parent as it is
    ]
    result = run_import(OrgUnitSheet(actor=world.users["outsider"]), xlsx(UNIT_HEADER, rows), "x")
    assert result.ok, [str(e) for e in result.errors]
    assert OrgUnit.objects.get(code="610503100").parent == world.units["huazhou"]


def test_org_unit_import_by_city_admin_moves_within_the_city(world):
    """Someone whose scope holds both ends may move a unit (what move_unit allows)."""
    town = make_unit("610503100", "华州镇", world.units["huazhou"], "town")
    rows = [["610503100", "华州镇", world.units["linwei"].code, "镇", "区域"]]
    result = run_import(OrgUnitSheet(actor=world.users["city_admin"]), xlsx(UNIT_HEADER, rows), "x")
    assert result.ok, [str(e) for e in result.errors]
    town.refresh_from_db()
    assert town.parent == world.units["linwei"]
    assert town.path.startswith(world.units["linwei"].path)


def test_org_unit_import_refuses_a_move_into_the_units_own_subtree(world):
    make_unit("610503100", "华州镇", world.units["huazhou"], "town")
    rows = [["610503", "华州区", "610503100", "县", "区域"]]
    result = run_import(OrgUnitSheet(actor=world.users["city_admin"]), xlsx(UNIT_HEADER, rows), "x")
    assert not result.written and result.errors
    assert OrgUnit.objects.get(code="610503").parent == world.units["city"]


def test_school_import_region(world):
    header = ["学校代码", "学校名称", "所属区划代码", "办学类型", "城乡类型"]
    hidden, missing = _answers(
        SchoolSheet,
        world.users["outsider"],
        header,
        lambda region: ["6105039001", "新学校", region, "小学", "乡村"],
        world.units["renmin"].code,
        MISSING_CODE,
    )
    _same_answer(hidden, missing, "所属区划代码")


def test_people_import_unit(world):
    header = ["工号", "姓名", "所属单位代码", "岗位"]
    hidden, missing = _answers(
        PersonSheet,
        world.users["outsider"],
        header,
        lambda unit: ["H900", "华州老师", unit, "教师"],
        world.schools["school_a"].org_unit.code,
        MISSING_CODE,
    )
    _same_answer(hidden, missing, "所属单位代码")


def test_people_import_of_a_taken_staff_number_names_nobody(world):
    header = ["工号", "姓名", "所属单位代码", "岗位"]
    row = ["T002", "某老师", world.schools["school_c"].org_unit.code, "教师"]
    result = run_import(PersonSheet(actor=world.users["outsider"]), xlsx(header, [row]), "x")
    assert not result.written
    [error] = result.errors
    assert error.column == "工号"
    assert not any(name in error.message for name in HIDDEN_NAMES)
    assert "范围" not in error.message  # not "belongs to a person outside your scope"
    assert Person.objects.get(staff_no="T002").name == "张老师"


LIAISON_HEADER = ["教研员工号", "教研员姓名", "联系学校代码", "开始日期", "备注"]


@pytest.fixture
def huazhou_researcher(world):
    return make_person(
        "H201", "华州教研员", world.units["huazhou_bureau"], role="researcher", subjects=["数学"]
    )


def test_liaison_import_researcher(world, huazhou_researcher):
    school = world.schools["school_c"].org_unit.code
    hidden, missing = _answers(
        LiaisonSheet,
        world.users["outsider"],
        LIAISON_HEADER,
        lambda no: [no, "韩梅" if no == "R001" else "某人", school, None, None],
        world.people["district_researcher"].staff_no,
        MISSING_STAFF_NO,
    )
    _same_answer(hidden, missing, "教研员工号")


def test_liaison_import_school(world, huazhou_researcher):
    hidden, missing = _answers(
        LiaisonSheet,
        world.users["outsider"],
        LIAISON_HEADER,
        lambda code: ["H201", "华州教研员", code, None, None],
        world.schools["school_a"].org_unit.code,
        "6105999999",
    )
    _same_answer(hidden, missing, "联系学校代码")


def test_liaison_import_name_mismatch_does_not_print_the_name(world):
    row = ["R001", "别人", world.schools["school_a"].org_unit.code, None, None]
    result = run_import(
        LiaisonSheet(actor=world.users["city_admin"]), xlsx(LIAISON_HEADER, [row]), "x"
    )
    assert [e.column for e in result.errors] == ["教研员姓名"]
    assert "韩梅" not in result.errors[0].message


ATTENDANCE_HEADER = ["活动编号", "会场", "工号", "姓名", "单位", "报名状态", "签到状态", "签到时间"]


@pytest.fixture
def huazhou_activity(world):
    su = world.users["superuser"]
    a = make_activity(world, actor=su, unit=world.units["huazhou_bureau"], title="华州区教研")
    activity_services.publish_activity(actor=su, activity=a)
    return Activity.objects.get(pk=a.pk)


def test_attendance_import_marks_only_people_on_the_list_or_in_scope(world, huazhou_activity):
    """The finding: any staff number in the system was marked present (and credited hours).
    Now a walk-in must be someone the organiser may see."""
    a = huazhou_activity
    hidden, missing = _answers(
        AttendanceSheet,
        world.users["outsider"],
        ATTENDANCE_HEADER,
        lambda no: [a.pk, "", no, "", "", "", "出席", None],
        world.people["teacher"].staff_no,
        MISSING_STAFF_NO,
    )
    assert _same_answer(hidden, missing, "工号") == no_such(Person)
    # Positive control: 华州区's own teacher is a walk-in the organiser may add.
    row = [a.pk, "", world.people["teacher_c"].staff_no, "", "", "", "出席", None]
    result = run_import(
        AttendanceSheet(actor=world.users["outsider"]), xlsx(ATTENDANCE_HEADER, [row]), "x"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert a.participations.get().person == world.people["teacher_c"]


def test_attendance_import_takes_people_already_invited_from_elsewhere(world, huazhou_activity):
    """Someone on the list (invited through the explicit beyond-scope path) is marked."""
    a = huazhou_activity
    activity_services.invite(
        actor=world.users["superuser"], activity=a, person_ids=[world.people["teacher"].pk]
    )
    row = [a.pk, "", "T002", "", "", "", "出席", None]
    result = run_import(
        AttendanceSheet(actor=world.users["outsider"]), xlsx(ATTENDANCE_HEADER, [row]), "x"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert a.participations.get(person=world.people["teacher"]).attendance == "present"


# --- forms (pages) ----------------------------------------------------------------------


def _form_errors(html: str) -> list[str]:
    return re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+?)\s*<', html)


@pytest.mark.parametrize(
    ("field", "hidden", "missing"),
    [
        ("unit_codes", "6105020001", "6105999999"),
        ("staff_numbers", "T002", MISSING_STAFF_NO),
    ],
)
def test_invitation_page_references(world, client_for, huazhou_activity, field, hidden, missing):
    """The finding: invitations resolved any unit code and staff number, and the preview
    listed another district's staff by name."""
    c = client_for(world.users["outsider"])
    url = f"/activities/{huazhou_activity.pk}/invite/"
    before = _state()
    pages = []
    for ref in (hidden, missing):
        for confirm in ({}, {"confirm": "1"}):
            resp = c.post(url, {field: ref, "roles": ["teacher"], **confirm})
            assert resp.status_code == 200
            pages.append(resp.content.decode())
    assert _state() == before
    for html in pages:
        assert 'data-testid="invite-preview"' not in html
        assert not any(name in html for name in ("张老师", "临渭区第一初级中学")), html
    errors = [_form_errors(html) for html in pages]
    assert errors[0] and errors[0] == errors[2], errors


def test_invitation_page_positive_control(world, client_for, huazhou_activity):
    c = client_for(world.users["outsider"])
    resp = c.post(f"/activities/{huazhou_activity.pk}/invite/", {"staff_numbers": "H101"})
    html = resp.content.decode()
    assert 'data-testid="invite-preview"' in html and "刘" not in html


def test_venue_page_unit_reference(world, client_for, huazhou_activity):
    c = client_for(world.users["outsider"])
    url = f"/activities/{huazhou_activity.pk}/venues/new/"
    before = list(huazhou_activity.venues.values_list("pk", "unit_id"))
    answers = []
    for code in (world.schools["school_a"].org_unit.code, "6105999999"):
        resp = c.post(
            url, {"name": "分会场", "unit_code": code, "address": "校内", "capacity": "30"}
        )
        assert resp.status_code == 200
        assert "临渭区第一初级中学" not in resp.content.decode()
        answers.append(_form_errors(resp.content.decode()))
    assert answers[0] and answers[0] == answers[1]
    assert list(huazhou_activity.venues.values_list("pk", "unit_id")) == before
    # Positive control: 华州区's own school.
    code = world.schools["school_c"].org_unit.code
    resp = c.post(url, {"name": "分会场", "unit_code": code, "address": "校内", "capacity": "30"})
    assert resp.status_code == 302
    assert huazhou_activity.venues.filter(unit=world.schools["school_c"].org_unit).exists()


def test_activity_host_reference(world, client_for):
    c = client_for(world.users["outsider"])
    start = timezone.localtime() + timezone.timedelta(days=3)
    body = {
        "title": "华州区教研",
        "kind": "lesson_prep",
        "org_unit": world.units["huazhou_bureau"].pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timezone.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "mode": "onsite",
        "registration": "invite",
        "hours": "2",
    }
    answers = []
    for ref in ("T002", MISSING_STAFF_NO):
        resp = c.post("/activities/new/", {**body, "host_staff_no": ref})
        assert resp.status_code == 200
        answers.append(_form_errors(resp.content.decode()))
        assert "张老师" not in resp.content.decode()
    assert answers[0] and answers[0] == answers[1]
    assert not Activity.objects.filter(title="华州区教研").exists()


# --- the explicit path for invitations beyond one's scope --------------------------------


def test_invitation_beyond_scope_is_explicit_audited_and_notified(world, api_for):
    """Cross-scope invitation stays possible (DESIGN: invited people see the activity), but
    only when asked for, with the numbers recorded and the invitee told at once — and the
    answer is the same whether a number is held by someone or by no one."""
    from django.contrib.auth import get_user_model

    teacher = world.people["teacher"]
    su = world.users["superuser"]
    a = make_activity(world, actor=su, unit=world.units["huazhou_bureau"], title="华州区教研")
    api = api_for(world.users["outsider"])
    url = f"/api/v1/activities/{a.pk}/invitations"
    # Without the flag: refused like a number nobody holds (test_api_references).
    r = api.post(url, {"staff_numbers": ["T002"]}, content_type="application/json")
    assert r.status_code == 422
    # With it: the same answer for a held number and a free one.
    answers = [
        api.post(
            url,
            {"staff_numbers": [no], "beyond_scope": True},
            content_type="application/json",
        )
        for no in ("T002", MISSING_STAFF_NO)
    ]
    assert [(x.status_code, x.json()) for x in answers] == [
        (200, {"invited": 0, "matched": 0, "beyond_scope": 1})
    ] * 2
    assert a.participations.get().person == teacher
    grants = AuditLog.objects.filter(object_id=a.pk, action=AuditLog.Action.GRANT)
    recorded = [g.changes.get("invited_beyond_scope") for g in grants]
    assert [None, "T002"] in recorded and [None, MISSING_STAFF_NO] in recorded
    assert Notification.objects.filter(
        recipient=world.users["teacher"], title__contains="华州区教研"
    ).exists()  # told at once, though the activity is still a draft
    assert get_user_model().objects.filter(pk=world.users["teacher"].pk).exists()


def test_invite_service_refuses_people_beyond_scope_by_id(world, huazhou_activity):
    with pytest.raises(Exception) as refused:
        activity_services.invite(
            actor=world.users["outsider"],
            activity=huazhou_activity,
            person_ids=[world.people["teacher"].pk],
        )
    assert str(no_such(Person)) in str(refused.value) or refused.value.code == "unresolved"
    assert not huazhou_activity.participations.exists()


# --- student rows (quality): one answer for every school one may not read -----------------


def test_student_rows_answer_alike_for_absent_hidden_and_unpermitted_schools(world, api_for):
    from jiaoyan.quality import services as quality_services
    from tests.core.test_api_references import EXAM

    su = world.users["superuser"]
    r = api_for(su).post(
        "/api/v1/exams",
        {**EXAM, "org_unit": world.units["city_bureau"].pk},
        content_type="application/json",
    )
    exam = r.json()["id"]
    quality_services.grant_student_data(
        actor=su,
        user=world.users["district_researcher"],
        org_unit=world.schools["school_a"].org_unit,
        reason="教研分析",
    )
    researcher = api_for(world.users["district_researcher"])
    answers = {
        name: researcher.get(f"/api/v1/exams/{exam}/students?school={pk}&reason=教研分析")
        for name, pk in {
            "in scope, not permitted": world.schools["school_b"].org_unit.pk,
            "out of scope": world.schools["school_c"].org_unit.pk,
            "absent": 10**9,
            "not a school": world.units["linwei"].pk,
        }.items()
    }
    assert {(x.status_code, x.content) for x in answers.values()} == {
        (404, answers["absent"].content)
    }
    # Without the permission anywhere: the same 403 whatever the id names.
    admin = api_for(world.users["city_admin"])
    refusals = {
        (x.status_code, x.content)
        for x in (
            admin.get(f"/api/v1/exams/{exam}/students?school={pk}")
            for pk in (world.schools["school_a"].org_unit.pk, 10**9)
        )
    }
    assert len(refusals) == 1 and next(iter(refusals))[0] == 403


# --- the API: every reference field of the document has its case -------------------------

# Body fields that look like references but are not: what the write creates, not a
# reference to something that exists.
NOT_REFERENCES = {
    ("post", "/api/v1/people", "staff_no"): "the new person's own staff number (unique)",
    ("post", "/api/v1/programmes/{}/sessions", "link"): "a meeting link (tests/core/test_links)",
    ("post", "/api/v1/resources", "video_link"): "a video link (tests/core/test_links)",
    ("patch", "/api/v1/resources/{}", "video_link"): "a video link (tests/core/test_links)",
    ("post", "/api/v1/wellbeing/alerts/{}/interview", "plan"): "the interview's plan (text)",
}
REFERENCE_NAME = re.compile(
    r"(^|_)(org_unit|parent|units?|unit_codes|person|people|teacher|researcher|host|schools?"
    r"|staff_numbers?|staff_no|collaborators|exam|activity|theme|venue|rubric|round|plan|user"
    r"|grantee|link|item|observation|ids?)$|_ids?$|_exam$|_unit$|_person$"
)


def _reference_fields(doc: dict) -> set[tuple[str, str, str]]:
    comps = doc["components"]["schemas"]

    def deref(s):
        while "$ref" in s:
            s = comps[s["$ref"].split("/")[-1]]
        return s

    def props(schema, prefix=""):
        s = deref(schema)
        for name, p in (s.get("properties") or {}).items():
            for sub in [deref(x) for x in p.get("anyOf", [])] or [deref(p)]:
                if sub.get("properties"):
                    yield from props(sub, f"{prefix}{name}.")
                elif sub.get("type") in ("integer", "string", "array"):
                    yield prefix + name

    found = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("post", "put", "patch"):
                continue
            for content in op.get("requestBody", {}).get("content", {}).values():
                for name in props(content["schema"]):
                    if REFERENCE_NAME.search(name.rsplit(".", 1)[-1]):
                        found.add((method, _template(path), name))
    return found


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}|(?<=/)\d+(?=/|$)", "{}", path)


def test_every_reference_field_of_the_api_has_a_case():
    """A new API write that takes a reference (a field named like ``org_unit``,
    ``*_unit``, ``person``, ``*_id`` …) needs a case in test_api_references.CASES, where
    an out-of-scope and a missing object must get the same 422."""
    from jiaoyan.core.api import api

    class Ids(dict):
        def __missing__(self, key):
            return 7

    covered = {(method, _template(url(Ids())), field) for _n, method, url, _k, field, _b in CASES}
    fields = _reference_fields(api.get_openapi_schema())
    assert len(fields) > 30  # the finder finds them
    missing = sorted(fields - covered - NOT_REFERENCES.keys())
    assert not missing, f"API reference fields without a case in test_api_references: {missing}"
