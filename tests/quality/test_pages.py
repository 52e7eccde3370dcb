"""The pages: who sees what, fixed query counts, exports (.xlsx, .docx), the permission
page, the settings page and its recompute, the status poll, bad uploads."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from jiaoyan.core.models import AuditLog, ImportJob
from jiaoyan.quality import services
from jiaoyan.quality.models import Exam, StudentDataPermission
from tests.quality.helpers import dataset, header, import_and_analyse, make_exam, xlsx_bytes

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def exam(world):
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world))
    return exam


def test_pages_answer_for_every_role(world, exam, client_for):
    a = world.schools["school_a"].pk
    urls = [
        "/quality/",
        f"/quality/{exam.pk}/",
        f"/quality/{exam.pk}/schools/{a}/",
        f"/quality/{exam.pk}/subjects/total/",
        f"/quality/{exam.pk}/subjects/{exam.subjects.first().pk}/?level=class",
        f"/quality/{exam.pk}/balance/",
        f"/quality/{exam.pk}/settings/",
        "/quality/balance/?stage=junior",
        "/quality/value-added/",
        "/quality/permissions/",
    ]
    for name in ("city_admin", "district_researcher", "principal", "teacher", "counsellor"):
        c = client_for(world.users[name])
        for url in urls:
            r = c.get(url)
            assert r.status_code == 200, (name, url, r.status_code)


def test_principal_sees_own_school_only(world, exam, client_for):
    c = client_for(world.users["principal"])
    page = c.get(f"/quality/{exam.pk}/").content.decode()
    assert "临渭区第一初级中学" in page
    assert "临渭区第二小学" not in page and "华州区第一小学" not in page
    assert c.get(f"/quality/{exam.pk}/schools/{world.schools['school_b'].pk}/").status_code == 404
    assert c.get(f"/quality/{exam.pk}/school/").url.endswith(
        f"/schools/{world.schools['school_a'].pk}/"
    )


def test_small_class_is_suppressed_on_the_school_report(world, exam, client_for):
    url = f"/quality/{exam.pk}/schools/{world.schools['school_b'].pk}/"
    page = client_for(world.users["city_admin"]).get(url).content.decode()
    assert "不足 10 人，不显示" in page
    StudentDataPermission.objects.create(
        user=world.users["city_admin"], org_unit=world.units["city"], reason="x"
    )
    page = client_for(world.users["city_admin"]).get(url).content.decode()
    assert "不足 10 人，不显示" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/quality/",
        "/quality/{e}/",
        "/quality/{e}/schools/{a}/",
        "/quality/{e}/subjects/total/",
        "/quality/{e}/subjects/total/?level=class",
        "/quality/{e}/balance/",
    ],
)
def test_query_counts_do_not_grow_with_rows(world, client_for, django_assert_max_num_queries, url):
    """More exams, schools' classes and students than a page holds: a fixed query count."""
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world, n_per_class=(60, 60, 55, 30)))
    for i in range(30):
        make_exam(world, name=f"期末{i}")
    c = client_for(world.users["city_admin"])
    path = url.format(e=exam.pk, a=world.schools["school_a"].pk)
    c.get(path)
    with django_assert_max_num_queries(16):
        assert c.get(path).status_code == 200


def test_school_report_downloads(world, exam, client_for):
    c = client_for(world.users["principal"])
    a = world.schools["school_a"].pk
    r = c.post(f"/quality/{exam.pk}/schools/{a}/?format=docx", follow=True)
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.word")
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "临渭区第一初级中学" in text and "质量分析报告" in text
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells][:3] == ["学科", "参考", "平均分"]
    assert [row.cells[0].text for row in table.rows[1:]] == ["语文", "数学", "英语", "总分"]
    r = c.get(f"/quality/{exam.pk}/schools/{a}/?export=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert [ws.cell(3, i).value for i in (3,)] == ["1班"] or ws.cell(3, 3).value in ("1班", "2班")
    r = c.get(f"/quality/{exam.pk}/subjects/total/?export=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws.cell(2, 1).value == "学校代码"
    assert ws.cell(3, 2).value == "临渭区第一初级中学"
    assert ws.max_row == 3  # the principal's own school only


def test_exports_of_lists(world, exam, client_for):
    c = client_for(world.users["city_admin"])
    for url in (
        "/quality/?export=xlsx",
        f"/quality/{exam.pk}/?export=xlsx&level=class",
        f"/quality/{exam.pk}/?export=xlsx&level=county",
        "/quality/permissions/?export=xlsx",
        f"/quality/{exam.pk}/balance/?export=xlsx",
        "/quality/balance/?export=xlsx",
        f"/quality/{exam.pk}/template.xlsx",
        "/quality/balance/template.xlsx",
    ):
        r = c.get(url)
        assert r.status_code == 200, url
        openpyxl.load_workbook(io.BytesIO(r.content))


def test_permission_page_grant_and_revoke_are_audited(world, client_for):
    c = client_for(world.users["city_admin"])
    r = c.post(
        "/quality/permissions/",
        {
            "username": "district_researcher",
            "unit_code": "610502",
            "reason": "教研分析会议",
        },
    )
    assert r.status_code == 302
    perm = StudentDataPermission.objects.get()
    assert perm.user == world.users["district_researcher"]
    assert AuditLog.objects.filter(action=AuditLog.Action.GRANT, object_id=perm.pk).exists()
    page = client_for(world.users["district_researcher"]).get("/quality/permissions/")
    assert "教研分析会议" in page.content.decode()
    # the 华州区 admin can neither see nor revoke it
    other = client_for(world.users["outsider"])
    assert "教研分析会议" not in other.get("/quality/permissions/").content.decode()
    assert other.post(f"/quality/permissions/{perm.pk}/revoke/").status_code == 404
    # a teacher cannot grant
    r = client_for(world.users["teacher"]).post(
        "/quality/permissions/", {"username": "teacher", "unit_code": "610502", "reason": "x"}
    )
    assert r.status_code == 403
    assert c.post(f"/quality/permissions/{perm.pk}/revoke/").status_code == 302
    perm.refresh_from_db()
    assert perm.revoked_at is not None
    assert AuditLog.objects.filter(action=AuditLog.Action.REVOKE, object_id=perm.pk).exists()
    # a reason is required; an unknown account is refused
    r = c.post(
        "/quality/permissions/",
        {"username": "nobody", "unit_code": "610502", "reason": "x"},
    )
    assert r.status_code == 200 and "没有这个用户名" in r.content.decode()
    r = c.post(
        "/quality/permissions/",
        {
            "username": "teacher",
            "unit_code": "610503",
            "reason": "x",
        },  # 华州区, in the city admin's scope
    )
    assert StudentDataPermission.objects.filter(user=world.users["teacher"]).exists()
    r = client_for(world.users["outsider"]).post(
        "/quality/permissions/", {"username": "teacher", "unit_code": "610502", "reason": "x"}
    )
    assert "没有这个单位" in r.content.decode() or "没有这个用户名" in r.content.decode()


def test_student_rows_page_needs_the_permission_and_is_audited(world, exam, client_for):
    a = world.schools["school_a"].pk
    url = f"/quality/{exam.pk}/students/?school={a}"
    assert client_for(world.users["principal"]).get(url).status_code == 403
    services.grant_student_data(
        actor=world.users["city_admin"],
        user=world.users["principal"],
        org_unit=world.schools["school_a"].org_unit,
        reason="本校质量分析",
    )
    c = client_for(world.users["principal"])
    r = c.get(url)  # the reason is asked first; nothing is shown or audited yet
    assert r.status_code == 200 and 'name="reason"' in r.content.decode()
    assert 'data-testid="student-row"' not in r.content.decode()
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW).exists()
    url += "&reason=本校质量分析"
    r = c.get(url)
    assert r.status_code == 200 and "受限数据" in r.content.decode()
    assert 'data-testid="student-row"' in r.content.decode()
    assert (
        AuditLog.objects.filter(action=AuditLog.Action.VIEW, actor=world.users["principal"]).count()
        == 1
    )
    c.get(url + "&export=xlsx")
    assert (
        AuditLog.objects.filter(
            action=AuditLog.Action.EXPORT, actor=world.users["principal"]
        ).count()
        == 1
    )
    b = world.schools["school_b"].pk
    assert c.get(f"/quality/{exam.pk}/students/?school={b}").status_code == 404


def test_settings_change_recomputes(world, exam, client_for, django_capture_on_commit_callbacks):
    c = client_for(world.users["city_admin"])
    data = {
        "excellent_cut": 0.9,
        "good_cut": 0.75,
        "pass_cut": 0.5,
        "low_cut": 0.3,
        "weight_mean": 0.5,
        "weight_excellent": 0.2,
        "weight_pass": 0.2,
        "weight_low": 0.1,
        "version": exam.version,
    }
    math = exam.subjects.get(name="数学")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            f"/quality/{exam.pk}/settings/", {**data, f"subject_{math.pk}": "0.8/0.7/0.55/0.2"}
        )
    assert r.status_code == 302, r.content.decode()[:2000]
    exam.refresh_from_db()
    assert exam.pass_cut == 0.5 and exam.analysis_status == Exam.Status.READY
    math.refresh_from_db()
    assert math.pass_cut == 0.55
    # the principal cannot change it; stale or rising-wrong cut-offs are refused
    assert (
        client_for(world.users["principal"]).post(f"/quality/{exam.pk}/settings/", data).status_code
        == 403
    )
    r = c.post(f"/quality/{exam.pk}/settings/", {**data, "low_cut": 0.95, "version": exam.version})
    assert r.status_code == 200 and "依次升高" in r.content.decode()
    r = c.post(f"/quality/{exam.pk}/settings/", {**data, "pass_cut": 0.6, "version": 1})
    assert r.status_code == 200


def test_upload_page_flow(world, client_for, django_capture_on_commit_callbacks):
    """The exam page's upload starts an import job (see test_import_jobs.py for the job
    itself); its page reports the import, then the analysis is there."""
    exam = make_exam(world)
    c = client_for(world.users["city_admin"])
    rows = dataset(world)
    data = xlsx_bytes([header(with_name=True), *[[*r[:5], "某某", *r[5:]] for r in rows]])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", data)})
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "姓名" in page and "已导入" in page and f'href="/quality/{exam.pk}/"' in page
    exam.refresh_from_db()
    assert exam.analysis_status == Exam.Status.READY and exam.names_dropped
    assert "已删除" in c.get(f"/quality/{exam.pk}/").content.decode()
    bad = xlsx_bytes([header(), ["1", "nope", "1班", "", "", 1, 2, 300]])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", bad)})
    page = c.get(r["Location"]).content.decode()
    assert "学校代码" in page and "超过满分" in page and "未写入任何数据" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", b"junk")})
    job = ImportJob.objects.order_by("-pk").first()
    assert r["Location"] == f"/imports/{job.pk}/" and job.status == ImportJob.Status.REJECTED
    # a file of the wrong type never becomes a job
    r = c.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.txt", data)})
    assert r.status_code == 302 and r["Location"] == f"/quality/{exam.pk}/"
    assert ImportJob.objects.count() == 3
    # the status poll refreshes the page when a running analysis is done
    r = c.get(f"/quality/{exam.pk}/status/?was=busy", HTTP_HX_REQUEST="true")
    assert r["HX-Refresh"] == "true"
    # a teacher sees no upload form and cannot post one
    t = client_for(world.users["teacher"])
    assert "score-upload" not in t.get(f"/quality/{exam.pk}/").content.decode()
    r = t.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", data)})
    assert r.status_code == 403
    assert ImportJob.objects.count() == 3


def test_create_exam_page(world, client_for):
    c = client_for(world.users["district_researcher"])
    r = c.get("/quality/new/")
    assert r.status_code == 200
    r = c.post(
        "/quality/new/",
        {
            "name": "临渭区八年级期末",
            "kind": "term",
            "date": "2025-01-10",
            "stage": "junior",
            "grade": 8,
            "org_unit": world.units["linwei"].pk,
            "subjects": "语文 120\n数学：120\n英语,100",
        },
    )
    assert r.status_code == 302
    exam = Exam.objects.get(name="临渭区八年级期末")
    assert list(exam.subjects.values_list("name", "full_marks")) == [
        ("语文", 120),
        ("数学", 120),
        ("英语", 100),
    ]
    r = c.post("/quality/new/", {"name": "x", "subjects": "语文"})
    assert r.status_code == 200
    assert client_for(world.users["teacher"]).get("/quality/new/").status_code == 403
