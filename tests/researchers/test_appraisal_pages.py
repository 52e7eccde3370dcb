"""Pages and API of the self-review and the annual appraisal: the steps on the appraisal
page, the result and the exit-review link on the profile, the table's export, the
self-review form with its evidence, the charts; the API's workflow and its Chinese
refusals."""

from __future__ import annotations

import io

import openpyxl
import pytest

from jiaoyan.researchers import queries_appraisal as aq
from jiaoyan.researchers import services_appraisal
from jiaoyan.researchers.models import Appraisal, AppraisalScheme, Grade, SelfReview

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


@pytest.fixture
def scheme(world, profile) -> AppraisalScheme:
    s = services_appraisal.create_scheme(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        year=2025,
        excellent_quota=0,
    )
    services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=s)
    s.refresh_from_db()
    return s


def test_the_steps_on_the_appraisal_page(world, profile, scheme, client_for):
    a = Appraisal.objects.get(scheme=scheme)
    her = client_for(world.users["district_researcher"])
    admin = client_for(world.users["city_admin"])
    page = her.get(f"/researchers/appraisal/{a.pk}/").content.decode()
    assert 'data-testid="self-assess-form"' in page and 'data-testid="review-form"' not in page
    # The institute cannot review before she assessed herself: no form to do it with.
    assert (
        'data-testid="review-form"'
        not in admin.get(f"/researchers/appraisal/{a.pk}/").content.decode()
    )
    r = her.post(
        f"/researchers/appraisal/{a.pk}/self-assess/",
        {"summary": "全年听课38节，联系学校全覆盖", "self_grade": "excellent"},
    )
    assert r.status_code == 302
    page = admin.get(f"/researchers/appraisal/{a.pk}/").content.decode()
    assert 'data-testid="review-form"' in page and "全年听课38节" in page
    # 优秀 is over the quota (0): refused in Chinese, nothing written.
    r = admin.post(
        f"/researchers/appraisal/{a.pk}/review/",
        {"score_guidance": "20", "score_research": "20", "grade": "excellent"},
        follow=True,
    )
    assert "优秀名额已用完：本方案优秀名额0人，已评优秀0人。" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Appraisal.Status.SELF_ASSESSED
    r = admin.post(
        f"/researchers/appraisal/{a.pk}/review/",
        {"score_guidance": "5", "score_research": "5", "comment_guidance": "指导不足"},
    )
    a.refresh_from_db()
    assert a.status == Appraisal.Status.REVIEWED and a.grade == Grade.UNQUALIFIED
    assert (
        'data-testid="confirm"' not in her.get(f"/researchers/appraisal/{a.pk}/").content.decode()
    )
    admin.post(f"/researchers/appraisal/{a.pk}/confirm/")
    a.refresh_from_db()
    assert a.status == Appraisal.Status.CONFIRMED and a.exit_review
    # The result stays on her profile, with the way into the exit review.
    page = admin.get(f"/researchers/{profile.pk}/").content.decode()
    assert 'data-testid="profile-grade">不合格<' in page
    assert "该考核结果需启动退出审核。" in page
    assert '<option value="appraisal" selected>' in page
    page = her.get(f"/researchers/{profile.pk}/").content.decode()
    assert 'data-testid="profile-grade">不合格<' in page
    assert "exit-review-due" not in page  # she has no exit form


def test_the_table_exports_and_its_chart(world, profile, scheme, client_for):
    admin = client_for(world.users["city_admin"])
    page = admin.get("/researchers/appraisal/").content.decode()
    assert page.count('data-testid="appraisal-row"') == 1 and "韩梅" in page
    r = admin.get("/researchers/appraisal/?export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any("韩梅" in [str(v) for v in row] for row in rows)
    assert any("待自评" in [str(v) for v in row] for row in rows)
    # 华州区 sees no row.
    outsider = client_for(world.users["outsider"]).get("/researchers/appraisal/").content.decode()
    assert "韩梅" not in outsider


def test_the_self_review_form_and_the_charts(world, profile, client_for):
    her = client_for(world.users["district_researcher"])
    page = her.get(f"/researchers/appraisal/researcher/{profile.pk}/self-review/?year=2024")
    assert page.status_code == 200 and "课程理解" in page.content.decode()
    standard = aq.standard_for(profile)
    data = {f"rate_{s['code']}": "3" for _d, s in standard.statements()}
    data["rate_curriculum1"] = ""
    r = her.post(
        f"/researchers/appraisal/researcher/{profile.pk}/self-review/?year=2024",
        {**data, "submit": "1"},
    )
    assert "提交前请对每条标准作出评价（已评11条，共12条）。" in r.content.decode()
    assert not SelfReview.objects.exists()
    data["rate_curriculum1"] = "4"
    r = her.post(
        f"/researchers/appraisal/researcher/{profile.pk}/self-review/?year=2024",
        {**data, "reflection": "加强课题研究", "submit": "1"},
    )
    review = SelfReview.objects.get()
    assert r.status_code == 302 and review.status == SelfReview.Status.SUBMITTED
    assert review.ratings["curriculum1"] == 4
    # The admin cannot write it for her.
    admin = client_for(world.users["city_admin"])
    assert (
        admin.get(
            f"/researchers/appraisal/researcher/{profile.pk}/self-review/?year=2025"
        ).status_code
        == 403
    )
    page = admin.get("/researchers/appraisal/self-reviews/?year=2024").content.decode()
    assert "chart-self-reviews" in page and "已提交1份自评" in page
    page = admin.get(f"/researchers/{profile.pk}/").content.decode()
    assert "chart-development" in page


# --- the API ---------------------------------------------------------------------------------


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_the_api_workflow(world, profile, api_for):
    admin, her = api_for(world.users["city_admin"]), api_for(world.users["district_researcher"])
    r = _post(
        admin,
        "/api/v1/appraisal-schemes",
        {"org_unit": "610500901", "year": 2025, "excellent_quota": 1},
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert [i["code"] for i in r.json()["indicators"]][:2] == ["observed", "liaison"]
    assert _post(admin, f"/api/v1/appraisal-schemes/{sid}/open").status_code == 200
    aid = admin.get("/api/v1/appraisals?year=2025").json()["items"][0]["id"]
    r = _post(her, f"/api/v1/appraisals/{aid}/review", {"scores": {"guidance": 20, "research": 20}})
    assert r.status_code == 403
    r = _post(
        admin, f"/api/v1/appraisals/{aid}/review", {"scores": {"guidance": 20, "research": 20}}
    )
    assert r.status_code == 400 and r.json()["detail"] == "教研员尚未完成自评。"
    r = _post(her, f"/api/v1/appraisals/{aid}/self-assessment", {"summary": "完成年度任务"})
    assert r.status_code == 200 and r.json()["status"] == "self_assessed"
    r = _post(
        admin,
        f"/api/v1/appraisals/{aid}/review",
        {"scores": {"guidance": 20, "research": 20}, "grade": "excellent"},
    )
    assert r.status_code == 200 and r.json()["grade"] == "excellent"
    assert _post(her, f"/api/v1/appraisals/{aid}/confirmation").status_code == 403
    r = _post(admin, f"/api/v1/appraisals/{aid}/confirmation")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    # 华州区 neither sees nor touches it.
    outsider = api_for(world.users["outsider"])
    assert outsider.get(f"/api/v1/appraisals/{aid}").status_code == 404
    assert outsider.get("/api/v1/appraisals").json()["count"] == 0


def test_the_api_self_review(world, profile, api_for):
    her = api_for(world.users["district_researcher"])
    standard = aq.standard_for(profile)
    ratings = {s["code"]: 3 for _d, s in standard.statements()}
    r = _post(
        her,
        f"/api/v1/researchers/{profile.pk}/self-reviews",
        {"year": 2024, "ratings": ratings, "evidence": {"guidance": ["observation:999999"]}},
    )
    assert r.status_code == 400
    assert r.json()["detail"] == "“observation:999999”不在你2024年的工作纪实中。"
    r = _post(
        her,
        f"/api/v1/researchers/{profile.pk}/self-reviews",
        {"year": 2024, "ratings": ratings, "submit": True},
    )
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    admin = api_for(world.users["city_admin"])
    assert admin.get("/api/v1/self-reviews?year=2024").json()["count"] == 1
    r = _post(
        admin, f"/api/v1/researchers/{profile.pk}/self-reviews", {"year": 2025, "ratings": ratings}
    )
    assert r.status_code == 403
