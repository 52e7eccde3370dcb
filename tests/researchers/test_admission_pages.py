"""Admission pages and API: a bureau opens a round through the form (an uncheckable
requirement refused on the page, nothing written), candidates apply with a file through
the guarded upload path and see only their own application and outcome, reviewers see
the pre-check per requirement; lists export to .xlsx; GET writes nothing; the API answers
the same services (a bad requirement is a 400 with the Chinese message)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.core.roles import Role
from jiaoyan.people.models import RoleAssignment
from jiaoyan.researchers import services_admission as services
from jiaoyan.researchers.models import AdmissionApplication, AdmissionRound
from tests.researchers.admission_helpers import make_round, qualify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]

ROUND_FORM = {
    "title": "2025年临渭区小学语文教研员准入",
    "employment": "full_time",
    "places": "1",
    "opens_on": "2025-06-01",
    "closes_on": "2025-07-15",
    "min_years": "5",
    "min_title": "first",
    "demo_lesson_pass": "80",
    "interview": "on",
}


def test_the_bureau_opens_a_round_through_the_form(world, client_for):
    c = client_for(world.users["city_admin"])
    form = {
        **ROUND_FORM,
        "org_unit": world.units["linwei_bureau"].pk,
        "institute": world.units["linwei_institute"].pk,
    }
    r = c.get("/researchers/admission/new/")
    assert r.status_code == 200
    r = c.post("/researchers/admission/new/", {**form, "honour": "other", "honour_level": "city"})
    assert r.status_code == 200
    assert "平台无法核验“其他荣誉”" in r.content.decode()
    assert not AdmissionRound.objects.exists()
    r = c.post("/researchers/admission/new/", form)
    rnd = AdmissionRound.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/researchers/admission/{rnd.pk}/"
    assert rnd.status == AdmissionRound.Status.DRAFT
    page = c.get(f"/researchers/admission/{rnd.pk}/").content.decode()
    for text in ("教龄不少于5年", "职称为一级或以上", "试讲不低于80分", "面试合格"):
        assert text in page
    r = c.post(f"/researchers/admission/{rnd.pk}/publish/")
    rnd.refresh_from_db()
    assert rnd.status == AdmissionRound.Status.OPEN


def test_teachers_may_not_open_a_round(world, client_for):
    c = client_for(world.users["teacher"])
    assert c.get("/researchers/admission/new/").status_code == 403


def test_a_candidate_applies_with_a_file_and_sees_her_outcome(world, client_for):
    rnd = make_round(world)
    qualify(world.people["teacher"])
    c = client_for(world.users["teacher"])
    page = c.get(f"/researchers/admission/{rnd.pk}/").content.decode()
    assert 'data-testid="apply"' in page
    r = c.post(
        f"/researchers/admission/{rnd.pk}/apply/",
        {
            "statement": "任教初中数学九年",
            "evidence": SimpleUploadedFile("骨干教师证书.pdf", b"%PDF-1.4 certificate"),
        },
    )
    app = AdmissionApplication.objects.get()
    assert (
        r.status_code == 302 and r["Location"] == f"/researchers/admission/applications/{app.pk}/"
    )
    page = c.get(r["Location"]).content.decode()
    assert "骨干教师证书.pdf" in page
    assert "8年（2016-09-01参加教育工作）" in page
    assert "尚未记录" in page
    download = c.get(f"/researchers/admission/evidence/{app.evidence.get().pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 certificate"

    admin = world.users["city_admin"]
    services.record_review(actor=admin, application=app, kind="demo_lesson", score=85)
    services.record_review(actor=admin, application=app, kind="interview", passed=True)
    a = client_for(admin)
    r = a.post(
        f"/researchers/admission/applications/{app.pk}/decide/",
        {"appoint": "yes", "start_date": "2025-06-30", "reasons": "条件全部符合"},
    )
    assert r.status_code == 302
    page = c.get(f"/researchers/admission/applications/{app.pk}/").content.decode()
    assert "已聘任" in page and "自2025-06-30起任临渭区教师发展中心教研员" in page
    assert "条件全部符合" in page
    assert RoleAssignment.objects.filter(
        person=world.people["teacher"], role=Role.RESEARCHER, is_active=True
    ).exists()


def test_the_decision_form_shows_the_refusal_and_writes_nothing(world, client_for):
    rnd = make_round(world)
    app = services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    a = client_for(world.users["city_admin"])
    r = a.post(
        f"/researchers/admission/applications/{app.pk}/decide/",
        {"appoint": "yes", "start_date": "2025-06-30"},
        follow=True,
    )
    assert "请先记录：试讲、面试。" in r.content.decode()
    app.refresh_from_db()
    assert app.status == AdmissionApplication.Status.SUBMITTED


def test_an_application_is_seen_by_its_candidate_and_reviewers_only(world, client_for):
    rnd = make_round(world)
    app = services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    url = f"/researchers/admission/applications/{app.pk}/"
    assert client_for(world.users["teacher"]).get(url).status_code == 200
    assert client_for(world.users["district_researcher"]).get(url).status_code == 200
    for who in ("principal", "counsellor", "outsider"):
        assert client_for(world.users[who]).get(url).status_code == 404, who
    listed = client_for(world.users["principal"]).get("/researchers/admission/applications/")
    assert listed.status_code == 200 and "张老师" not in listed.content.decode()


def test_lists_export_to_xlsx(world, client_for):
    rnd = make_round(world)
    services.apply(actor=world.users["teacher"], round=rnd, statement="申请")
    c = client_for(world.users["city_admin"])
    for url, header, value in (
        ("/researchers/admission/?export=xlsx", "名称", rnd.title),
        ("/researchers/admission/applications/?export=xlsx", "申请人", "张老师"),
    ):
        r = c.get(url)
        assert r.status_code == 200
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        cells = [str(c.value) for row in wb.active.iter_rows() for c in row if c.value]
        assert header in cells and value in cells, cells


def test_list_and_detail_queries_do_not_grow(world, client_for, django_assert_max_num_queries):
    rnd = make_round(world)
    from jiaoyan.people.models import User

    people = []
    for i in range(30):
        from tests.conftest import make_person

        p = make_person(
            f"T9{i:02d}",
            f"申请人{i}",
            world.schools["school_a"].org_unit,
            role="teacher",
            username=f"cand{i}",
        )
        people.append(p)
    for p in people:
        services.apply(actor=User.objects.get(pk=p.user_id), round=rnd, statement="申请")
    c = client_for(world.users["city_admin"])
    with django_assert_max_num_queries(16):
        assert c.get("/researchers/admission/").status_code == 200
    with django_assert_max_num_queries(16):
        assert c.get("/researchers/admission/applications/").status_code == 200
    with django_assert_max_num_queries(20):
        assert c.get(f"/researchers/admission/{rnd.pk}/").status_code == 200


# --- API --------------------------------------------------------------------------------------


def test_api_round_with_an_uncheckable_requirement_is_a_400(world, api_for):
    api = api_for(world.users["city_admin"])
    body = {
        "org_unit": world.units["linwei_bureau"].pk,
        "institute": world.units["linwei_institute"].code,
        "title": "准入",
        "opens_on": "2025-06-01",
        "closes_on": "2025-07-15",
        "requirements": [{"kind": "age", "years": 45}],
    }
    r = api.post("/api/v1/admission-rounds", body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["detail"].startswith("平台无法核验准入条件“age”")
    assert not AdmissionRound.objects.exists()
    body["requirements"] = [{"kind": "title", "title": "senior"}, {"kind": "interview"}]
    r = api.post("/api/v1/admission-rounds", body, content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["org_unit"] == world.units["linwei_bureau"].pk
    assert [x["text"] for x in out["requirements"]] == ["职称为高级或以上", "面试合格"]
    r = api.post(f"/api/v1/admission-rounds/{out['id']}/publish")
    assert r.status_code == 200 and r.json()["status"] == "open"


def test_api_apply_review_decide(world, api_for):
    rnd = make_round(world)
    qualify(world.people["teacher"])
    teacher = api_for(world.users["teacher"])
    r = teacher.post(
        f"/api/v1/admission-rounds/{rnd.pk}/applications",
        {"statement": "申请"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    app = r.json()
    assert {c["kind"]: c["state"] for c in app["checks"]} == {
        "years": "pass",
        "title": "pass",
        "honour": "pass",
        "demo_lesson": "pending",
        "interview": "pending",
    }
    admin = api_for(world.users["city_admin"])
    base = f"/api/v1/admission-applications/{app['id']}"
    r = teacher.post(
        f"{base}/review", {"kind": "interview", "passed": True}, content_type="application/json"
    )
    assert r.status_code == 403
    for body in ({"kind": "demo_lesson", "score": 90}, {"kind": "interview", "passed": True}):
        r = admin.post(f"{base}/review", body, content_type="application/json")
        assert r.status_code == 200, r.content
    r = admin.post(
        f"{base}/decide",
        {"appoint": True, "start_date": "2025-06-30", "reasons": "符合"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["status"] == "appointed" and out["start_date"] == "2025-06-30"
    assert (
        out["role_assignment"]
        == RoleAssignment.objects.get(person=world.people["teacher"], role=Role.RESEARCHER).pk
    )
    # The candidate sees her own; the outsider sees nothing.
    assert teacher.get(base).json()["status"] == "appointed"
    assert api_for(world.users["outsider"]).get(base).status_code == 404
    listed = teacher.get("/api/v1/admission-applications").json()
    assert [a["id"] for a in listed["items"]] == [app["id"]]
    assert dt.date.fromisoformat(out["start_date"]) == dt.date(2025, 6, 30)
