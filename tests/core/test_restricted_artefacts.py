"""Finding 1 of the hardening issue: what an import of restricted data leaves behind — its
original file, its report's cell values, its error report — carries the restriction of the
data (core/artefacts.py).

The old shape: a bureau admin who saw a score-import job read every cell value its report
quoted on the job's page and in ``GET /api/v1/import-jobs/{id}``, downloaded the error
report and the original file (every student's row), without the student-data permission
and without an audit row; and the original stayed on disk for good. Each test below
reproduces one of those reads and sees it refused, redacted, or audited.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.html import escape

from jiaoyan.core import artefacts, jobs
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.imports import gone_message, retry_valid_only
from jiaoyan.core.models import AuditLog, ImportJob, Job
from jiaoyan.core.sheets import kinds
from jiaoyan.core.tasks import PURGE_RESTRICTED_IMPORTS
from jiaoyan.quality import services
from jiaoyan.quality.models import Candidate
from tests.quality.helpers import dataset, header, make_exam, xlsx_bytes

#: cell values the bad rows carry, and that only the permission may read back
BAD_SCHOOL = "9999999"
BAD_SCORE = 131
BAD_EXAM_NO = "2025X0042"
REASON = "核对成绩导入错误"


pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def exam(world):
    return make_exam(world)


def _rejected_sheet(world) -> bytes:
    a = world.schools["school_a"].org_unit.code
    return xlsx_bytes(
        [
            [*header()[:5], "姓名", *header()[5:]],
            ["20250001", a, "1班", "男", "G1", "张三丰", 100, 90, 80],
            [BAD_EXAM_NO, BAD_SCHOOL, "1班", "女", "G2", "李四娘", 100, 90, 80],
            ["20250003", a, "1班", "男", "G3", "王五哥", BAD_SCORE, 90, 80],
        ]
    )


def _upload(client, exam, data, capture, name="成绩.xlsx") -> ImportJob:
    with capture(execute=True):
        r = client.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile(name, data)})
    assert r.status_code == 302, r.content
    return ImportJob.objects.order_by("-pk").first()


def _grant(world, user, unit):
    return services.grant_student_data(
        actor=world.users["superuser"], user=user, org_unit=unit, reason="质量分析"
    )


def _reads() -> list[AuditLog]:
    return list(
        AuditLog.objects.filter(action__in=[AuditLog.Action.VIEW, AuditLog.Action.EXPORT]).order_by(
            "id"
        )
    )


def _leaks(text: str) -> list[str]:
    return [v for v in (BAD_SCHOOL, str(BAD_SCORE), BAD_EXAM_NO, "李四娘") if v in text]


# --- without the permission ---------------------------------------------------------------


def test_a_score_jobs_artefacts_stay_closed_without_the_student_data_permission(
    world, exam, client_for, api_for, django_capture_on_commit_callbacks
):
    admin = world.users["city_admin"]  # admin over the exam's owner, and the uploader
    c = client_for(admin)
    job = _upload(c, exam, _rejected_sheet(world), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.REJECTED
    # The values are in the stored report (what used to be shown) …
    stored = " ".join(f"{e['message']} {e['value']}" for e in job.errors)
    assert BAD_SCHOOL in stored and str(BAD_SCORE) in stored

    # … but the job's page gives row, column and rule only.
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-status="rejected"' in html and 'data-testid="error-table"' in html
    assert "不是渭南市的学校" in html and "超过满分" in html  # the rules
    assert "<td>3</td><td>学校代码</td>" in html and "<td>4</td><td>语文</td>" in html
    assert _leaks(html) == []
    assert 'data-testid="restricted-report"' in html and 'data-testid="reason-form"' not in html
    assert 'data-testid="error-report"' not in html and 'data-testid="import-file"' not in html
    # A reason does not open anything without the permission.
    assert _leaks(c.get(f"/imports/{job.pk}/?reason={REASON}").content.decode()) == []
    # The polling fragment neither.
    fragment = c.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="import-status"') and _leaks(fragment) == []

    # No error report, no original file (with or without a reason).
    for url in (f"/imports/{job.pk}/errors.xlsx", f"/imports/{job.pk}/file/"):
        for query in ("", f"?reason={REASON}"):
            r = c.get(url + query)
            assert r.status_code == 403, url
            assert _leaks(r.content.decode(errors="replace")) == []

    # The API: status and counts as before, errors without their values.
    api = api_for(admin)
    body = api.get(f"/api/v1/import-jobs/{job.pk}").json()
    assert body["status"] == "rejected" and body["total_rows"] == 3
    assert body["restricted"] == "student_data" and body["values_shown"] is False
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "学校代码"), (4, "语文")]
    assert all(e["value"] == "" for e in body["errors"])
    assert _leaks(str(body)) == []
    r = api.get(f"/api/v1/import-jobs/{job.pk}?reason={REASON}")
    assert r.status_code == 403 and _leaks(r.content.decode()) == []

    # The retry still runs the file (no value is shown for it either).
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{job.pk}/retry/")
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert again.status == ImportJob.Status.SUCCEEDED and again.result["imported"] == 1
    assert _leaks(c.get(f"/imports/{again.pk}/").content.decode()) == []
    assert _reads() == []  # nothing was read, so nothing was audited


def test_a_permission_elsewhere_does_not_open_a_city_exams_job(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    """The file may hold every school of the exam's owner: a permission on one district
    is not enough."""
    admin = world.users["city_admin"]
    _grant(world, admin, world.units["linwei"])
    c = client_for(admin)
    job = _upload(c, exam, _rejected_sheet(world), django_capture_on_commit_callbacks)
    assert c.get(f"/imports/{job.pk}/file/?reason={REASON}").status_code == 403
    assert c.get(f"/imports/{job.pk}/errors.xlsx?reason={REASON}").status_code == 403
    assert _leaks(c.get(f"/imports/{job.pk}/?reason={REASON}").content.decode()) == []
    assert _reads() == []


# --- with the permission --------------------------------------------------------------------


def test_with_the_permission_and_a_reason_every_artefact_is_read_and_audited(
    world, exam, client_for, api_for, django_capture_on_commit_callbacks
):
    admin = world.users["city_admin"]
    _grant(world, admin, world.units["city"])
    c = client_for(admin)
    data = _rejected_sheet(world)
    job = _upload(c, exam, data, django_capture_on_commit_callbacks)

    # Without a reason: still redacted, and the page asks why.
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert _leaks(html) == [] and 'data-testid="reason-form"' in html
    assert _reads() == []
    # A reason too short is refused, and said so.
    html = c.get(f"/imports/{job.pk}/?reason=x").content.decode()
    assert _leaks(html) == [] and "请说明" in html and _reads() == []

    # With a reason: the values, and one audited read naming the reason.
    html = c.get(f"/imports/{job.pk}/?reason={REASON}").content.decode()
    assert BAD_SCHOOL in html and str(BAD_SCORE) in html
    assert 'data-testid="error-report"' in html and 'data-testid="import-file"' in html
    [read] = _reads()
    assert read.action == AuditLog.Action.VIEW and read.actor == admin
    assert read.changes["reason"] == [None, REASON] and read.object_id == job.pk
    assert read.unit_path == exam.org_unit.path

    # The error report: a reason first, then the values, audited as an export.
    page = c.get(f"/imports/{job.pk}/errors.xlsx")
    assert page.status_code == 200 and 'data-testid="reason-form"' in page.content.decode()
    assert len(_reads()) == 1
    r = c.get(f"/imports/{job.pk}/errors.xlsx?reason={REASON}")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = {str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert BAD_SCHOOL in cells and str(BAD_SCORE) in cells
    assert _reads()[-1].action == AuditLog.Action.EXPORT

    # The original file: the same bytes, audited.
    r = c.get(f"/imports/{job.pk}/file/?reason={REASON}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == data
    assert _reads()[-1].action == AuditLog.Action.EXPORT and len(_reads()) == 3

    # The API: redacted without a reason, the values with one (audited), 400 for a bad one.
    api = api_for(admin)
    body = api.get(f"/api/v1/import-jobs/{job.pk}").json()
    assert body["values_shown"] is False and _leaks(str(body)) == [] and len(_reads()) == 3
    body = api.get(f"/api/v1/import-jobs/{job.pk}?reason={REASON}").json()
    assert body["values_shown"] is True and BAD_SCHOOL in [e["value"] for e in body["errors"]]
    assert len(_reads()) == 4
    assert api.get(f"/api/v1/import-jobs/{job.pk}?reason=x").status_code == 400

    # A revoked permission closes it all again.
    services.revoke_student_data(actor=world.users["superuser"], permission=_active_grant(admin))
    assert c.get(f"/imports/{job.pk}/file/?reason={REASON}").status_code == 403
    assert _leaks(c.get(f"/imports/{job.pk}/?reason={REASON}").content.decode()) == []


def _active_grant(user):
    from jiaoyan.quality.models import StudentDataPermission

    return StudentDataPermission.objects.get(user=user, revoked_at=None)


# --- retention ------------------------------------------------------------------------------


def test_the_original_of_a_succeeded_score_import_is_deleted(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    admin = world.users["city_admin"]
    _grant(world, admin, world.units["city"])
    c = client_for(admin)
    rows = dataset(world)
    before = _stored_files()
    job = _upload(c, exam, xlsx_bytes([header(), *rows]), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert Candidate.objects.filter(exam=exam).count() == len(rows)
    assert job.file.name == "" and not artefacts.file_kept(job)
    assert _stored_files() == before  # stored, then deleted
    deleted = AuditLog.objects.get(action=AuditLog.Action.DELETE, object_id=job.pk)
    assert deleted.changes["file"] == [job.original_name, None]
    assert deleted.unit_path == exam.org_unit.path
    # Asking for it says it is gone (the permission is checked first).
    r = c.get(f"/imports/{job.pk}/file/?reason={REASON}", follow=True)
    assert escape(gone_message(job)) in r.content.decode()
    assert client_for(world.users["outsider"]).get(f"/imports/{job.pk}/file/").status_code == 404


def _stored_files() -> set[str]:
    out: set[str] = set()
    if not default_storage.exists("imports"):
        return out
    for year in default_storage.listdir("imports")[0]:
        for month in default_storage.listdir(f"imports/{year}")[0]:
            out.update(default_storage.listdir(f"imports/{year}/{month}")[1])
    return out


def test_a_rejected_score_import_keeps_its_file_for_the_retry_window_only(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    admin = world.users["city_admin"]
    _grant(world, admin, world.units["city"])
    c = client_for(admin)
    now = timezone.now()
    # Uploaded 23 hours ago (the pages are asked now: a session does not survive a jump
    # forward in time).
    with time_machine.travel(now - dt.timedelta(hours=23), tick=False):
        job = _upload(c, exam, _rejected_sheet(world), django_capture_on_commit_callbacks)
        second = _upload(c, exam, _rejected_sheet(world), django_capture_on_commit_callbacks)
    name, second_name = job.file.name, second.file.name
    assert job.status == ImportJob.Status.REJECTED and default_storage.exists(name)

    # Within the window: nothing is purged, and the retry runs the file; the file moves to
    # the new job (the rejected job's copy is deleted), which deletes it on success.
    assert artefacts.purge() == artefacts.Purged(files=0, reports=0)
    assert 'data-testid="import-valid-only"' in c.get(f"/imports/{job.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{job.pk}/retry/")
    job.refresh_from_db()
    retried = ImportJob.objects.get(valid_only=True)
    assert retried.status == ImportJob.Status.SUCCEEDED and retried.file.name == ""
    assert job.file.name == "" and not default_storage.exists(name)
    assert 'data-testid="import-valid-only"' not in c.get(f"/imports/{job.pk}/").content.decode()

    # After it: the periodic job deletes the other file and blanks the report's values.
    with time_machine.travel(now + dt.timedelta(hours=2), tick=False):
        out = jobs.start_job(PURGE_RESTRICTED_IMPORTS, defer=False)
    assert out.status == Job.Status.SUCCEEDED and out.result["files"] == 1
    second.refresh_from_db()
    assert second.file.name == "" and not default_storage.exists(second_name)
    assert second.errors and all(e["value"] == "" for e in second.errors)
    assert _leaks(str(second.errors)) == [] and "不是渭南市的学校" in str(second.errors)
    # Even with the permission and a reason the values are gone; the retry says why.
    html = c.get(f"/imports/{second.pk}/?reason={REASON}").content.decode()
    assert _leaks(html) == [] and 'data-testid="import-valid-only"' not in html
    gone = gone_message(second)
    assert "24" in gone
    with pytest.raises(ServiceError) as refused:
        retry_valid_only(actor=admin, job=second)
    assert refused.value.text == gone
    r = c.post(f"/imports/{second.pk}/retry/", follow=True)
    assert escape(gone) in r.content.decode()
    assert ImportJob.objects.count() == 3  # nothing was started
    # A second run changes nothing.
    with time_machine.travel(now + dt.timedelta(hours=3), tick=False):
        assert artefacts.purge() == artefacts.Purged(files=0, reports=0)


@override_settings(RESTRICTED_IMPORT_KEEP_HOURS=2)
def test_the_retry_window_is_a_setting(world, exam, client_for, django_capture_on_commit_callbacks):
    c = client_for(world.users["city_admin"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        job = _upload(c, exam, _rejected_sheet(world), django_capture_on_commit_callbacks)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        assert artefacts.purge().files == 1
    job.refresh_from_db()
    assert not artefacts.file_kept(job)


def test_the_retention_job_is_scheduled_periodically(world):
    assert PURGE_RESTRICTED_IMPORTS in jobs._periodic
    assert PURGE_RESTRICTED_IMPORTS in jobs.schedule_due()


# --- kinds without restricted data ----------------------------------------------------------


def test_a_kind_without_restricted_data_behaves_as_before(
    world, client_for, api_for, django_capture_on_commit_callbacks
):
    admin = world.users["city_admin"]  # no student-data permission anywhere
    c = client_for(admin)
    data = xlsx_bytes(
        [
            ["工号", "姓名", "性别", "手机号", "所属单位代码", "岗位"],
            ["P900", "测试甲", "男", "", "6105020001", "门卫"],
            ["P901", "测试乙", "女", "", "6105020001", "教师"],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            "/imports/new/",
            {"kind": "people", "mode": "valid_only", "file": SimpleUploadedFile("p.xlsx", data)},
        )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED and artefacts.restriction_of(job) is None
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert "门卫" in html and 'data-testid="restricted-report"' not in html
    assert 'data-testid="error-report"' in html
    ws = openpyxl.load_workbook(io.BytesIO(c.get(f"/imports/{job.pk}/errors.xlsx").content))
    assert "门卫" in {v for row in ws.active.iter_rows(values_only=True) for v in row}
    # The file is kept and downloads without a reason.
    r = c.get(f"/imports/{job.pk}/file/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == data
    body = api_for(admin).get(f"/api/v1/import-jobs/{job.pk}").json()
    assert body["restricted"] is None and body["values_shown"] is True
    assert body["file_kept"] is True and body["errors"][0]["value"] == "门卫"
    assert _reads() == []
    assert artefacts.purge() == artefacts.Purged(files=0, reports=0)


def test_the_exam_sheets_declare_student_data():
    declared = {k: cls.restricted for k, cls in kinds().items() if cls.restricted}
    assert declared == {
        "scores": "student_data",
        "item_scores": "student_data",
        "students": "wellbeing",
    }


# --- the redaction ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            {
                "row": 3,
                "column": "学校代码",
                "message": "“9999999”不是渭南市的学校",
                "value": "9999999",
            },
            "“…”不是渭南市的学校",
        ),
        (
            {"row": 5, "column": "考号", "message": "与第 2 行重复（“A17”）", "value": "A17"},
            "与第 2 行重复（“…”）",
        ),
        # A value echoed without quotes is blanked all the same.
        (
            {"row": 7, "column": "班级", "message": "班级 七年级3班 不存在", "value": "七年级3班"},
            "班级 … 不存在",
        ),
        # The rule's own figures stay.
        (
            {"row": 4, "column": "语文", "message": "超过满分（120）", "value": "131"},
            "超过满分（120）",
        ),
        # An error about the whole file quotes no cell.
        ({"row": 0, "column": "", "message": "缺少列：“语文”", "value": ""}, "缺少列：“语文”"),
    ],
)
def test_redact_error_keeps_row_column_and_rule(error, message):
    out = artefacts.redact_error(error)
    assert out == {**error, "message": message, "value": ""}


# --- documents rendered under the permission --------------------------------------------------


def _docx_text(content: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_a_report_rendered_under_the_permission_is_not_handed_out_after_it_is_withdrawn(
    world, client_for
):
    """A school report (.docx) is rendered as its reader sees it: with the student-data
    permission a class of 3 students is shown. The stored document used to be handed out
    again after the permission was revoked."""
    from jiaoyan.quality.tasks import SCHOOL_REPORT
    from tests.quality.helpers import import_and_analyse

    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world))
    admin = world.users["city_admin"]
    grant = _grant(world, admin, world.units["city"])
    c = client_for(admin)
    url = f"/quality/{exam.pk}/schools/{world.schools['school_b'].pk}/?format=docx"
    shown = _docx_text(c.post(url, follow=True).content)  # prepared, then served
    assert _docx_text(c.get(url).content) == shown  # the stored one, while nothing changed
    assert Job.objects.filter(kind=SCHOOL_REPORT).count() == 1
    services.revoke_student_data(actor=world.users["superuser"], permission=grant)
    after = client_for(admin)
    # The stored document is not handed out: the page offers to prepare a new one …
    assert after.get(url)["Content-Type"].startswith("text/html")
    # … which is rendered as the reader now sees it.
    hidden = _docx_text(after.post(url, follow=True).content)
    assert Job.objects.filter(kind=SCHOOL_REPORT).count() == 2
    # The class of 3 (2班): its figures under the permission, a dash without it.
    assert "2班\n3\n—" in hidden and "2班\n3\n—" not in shown and "2班\n3\n" in shown
