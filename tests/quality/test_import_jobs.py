"""Score, item-score and balance-input imports as background import jobs: the exam page's
upload creates a job, the job page shows its phases and progress, then the report (rows
imported, errors by row and column, the dropped 姓名 column, the way back to the exam); the
exam's parameters are checked against the importer's scope; ``jiaoyan import scores FILE
--param exam=ID`` and its exit status. The immediate task backend runs the job when the
request's transaction commits."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.imports import start_import
from jiaoyan.core.models import ImportJob, Job
from jiaoyan.quality.models import BalanceInput, Candidate, Exam, ItemScore
from tests.quality.helpers import dataset, header, make_exam, xlsx_bytes

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def exam(world):
    return make_exam(world)


def _sheet(world, *, with_name=True, rows=None):
    rows = dataset(world) if rows is None else rows
    if not with_name:
        return xlsx_bytes([header(), *rows])
    return xlsx_bytes([header(with_name=True), *[[*r[:5], "某某", *r[5:]] for r in rows]])


def _items_sheet(exam_numbers):
    head = ["考号", "姓名", "题1", "题2", "题3"]
    rows = [[no, "某某", 2, 1, ""] for no in exam_numbers]
    return xlsx_bytes([head, ["满分", "", 2, 2, 1], *rows])


def _phases(queries, job_id: int) -> list[str]:
    """The phases an import's job stored, in order (read from the UPDATEs it issued)."""
    seen: list[str] = []
    for q in queries:
        sql = q["sql"]
        if not sql.startswith("UPDATE") or "core_job" not in sql:
            continue
        if not re.search(rf"""["`]?id["`]?\s*=\s*{job_id}\b""", sql):
            continue  # the analysis job the import queues
        m = re.search(r"""["`]?phase["`]?\s*=\s*'(\w+)'""", sql)
        if m and (not seen or seen[-1] != m[1]):
            seen.append(m[1])
    return seen


def error_rows(html: str) -> list[tuple[int, str]]:
    return [
        (int(r), c)
        for r, c in re.findall(r'<tr data-testid="error-row"><td>(\d+)</td><td>([^<]*)</td>', html)
    ]


# --- the exam page's upload -------------------------------------------------------------


def test_score_upload_is_a_job_with_phases_progress_and_report(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    c = client_for(world.users["city_admin"])
    rows = dataset(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = c.post(
            f"/quality/{exam.pk}/scores/",
            {"file": SimpleUploadedFile("成绩.xlsx", _sheet(world)), "valid_only": ""},
        )
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    assert job.kind == "scores" and job.params == {"exam": exam.pk}
    assert job.target == exam.name and job.org_unit == exam.org_unit
    assert job.created_by == world.users["city_admin"] and not Candidate.objects.exists()

    # Queued: the page polls and says it waits for the worker.
    html = c.get(r["Location"]).content.decode()
    assert 'data-status="pending"' in html and 'hx-trigger="every 1s"' in html
    assert "等待后台任务" in html and "考试成绩" in html and exam.name in html
    # Halfway through checking, the bar and the count say how far it got.
    Job.objects.filter(pk=job.job_id).update(
        status=Job.Status.RUNNING, phase="validating", done=2000, total=8000
    )
    html = c.get(r["Location"], headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="import-status"')
    assert "正在逐行检查" in html and "2000 / 8000" in html and 'style="width: 28%"' in html
    Job.objects.filter(pk=job.job_id).update(status=Job.Status.QUEUED, phase="", done=0, total=0)

    # The worker runs it: reading, checking, writing, done.
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),  # the analysis it queues
    ):
        for callback in callbacks:
            callback()
    assert _phases(queries.captured_queries, job.job_id) == [
        "reading",
        "validating",
        "writing",
        "done",
    ]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and job.percent == 100
    assert job.result["imported"] == len(rows) and job.result["created"] == len(rows)
    assert set(job.result["seconds"]) == {"reading", "validating", "writing"}
    assert Candidate.objects.filter(exam=exam).count() == len(rows)

    html = c.get(r["Location"]).content.decode()
    assert 'data-status="succeeded"' in html and "hx-trigger" not in html
    assert f"已导入 {len(rows)} 行" in html
    assert "已删除“姓名”列" in html  # the dropped name column
    assert "考试分析正在后台计算" in html
    assert (
        f'href="/quality/{exam.pk}/" class="btn btn-primary" data-testid="back-to-target"' in html
    )
    # The analysis was queued when the job's write committed (and ran: immediate backend).
    exam.refresh_from_db()
    assert exam.analysis_status == Exam.Status.READY and exam.names_dropped

    # The exam page and the imports list show the job.
    page = c.get(f"/quality/{exam.pk}/").content.decode()
    assert 'data-testid="exam-imports"' in page and f'href="/imports/{job.pk}/"' in page
    listing = c.get("/imports/").content.decode()
    assert "成绩.xlsx" in listing and exam.name in listing


def test_rejected_scores_then_the_valid_rows_only(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    a = world.schools["school_a"].org_unit.code
    rows = [
        header(),
        ["1", a, "1班", "", "", 100, 90, 80],
        ["2", "9999999", "1班", "", "", 100, 90, 80],
        ["3", a, "1班", "", "", 121, 90, 80],
        ["4", a, "2班", "", "", 1, 2, 3],
    ]
    c = client_for(world.users["city_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", xlsx_bytes(rows))}
        )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    html = c.get(r["Location"]).content.decode()
    assert error_rows(html) == [(3, "学校代码"), (4, "语文")]
    assert "不是渭南市的学校" in html and "超过满分" in html and "未写入任何数据" in html
    assert 'data-testid="import-valid-only"' in html
    assert not Candidate.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        retry = c.post(f"/imports/{job.pk}/retry/")
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert retry["Location"] == f"/imports/{again.pk}/"
    assert again.valid_only and again.params == {"exam": exam.pk}
    assert again.status == ImportJob.Status.SUCCEEDED and again.result["imported"] == 2
    assert sorted(Candidate.objects.values_list("exam_no", flat=True)) == ["1", "4"]
    done = c.get(retry["Location"]).content.decode()
    assert "已导入 2 行" in done and "跳过了 2 行" in done
    assert error_rows(done) == [(3, "学校代码"), (4, "语文")]


def test_item_upload_is_a_job_for_one_subject(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    c = client_for(world.users["city_admin"])
    rows = dataset(world)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", _sheet(world))})
    english = exam.subjects.get(name="英语")
    numbers = [r[0] for r in rows[:10]]
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            f"/quality/{exam.pk}/items/",
            {
                "items-subject": english.pk,
                "items-file": SimpleUploadedFile("英语小题.xlsx", _items_sheet(numbers)),
            },
        )
    job = ImportJob.objects.get(kind="item_scores")
    assert r["Location"] == f"/imports/{job.pk}/"
    assert job.params == {"exam": exam.pk, "subject": "英语"}
    assert job.target == f"{exam.name} · 英语" and job.status == ImportJob.Status.SUCCEEDED
    assert ItemScore.objects.filter(subject=english).count() == 10
    html = c.get(r["Location"]).content.decode()
    assert "已导入 10 行" in html and "小题得分" in html and "姓名" in html
    assert "小题得分 · 英语" in c.get(f"/quality/{exam.pk}/").content.decode()


def test_balance_upload_is_a_job(world, client_for, django_capture_on_commit_callbacks):
    a = world.schools["school_a"].org_unit.code
    data = xlsx_bytes([["学校代码", "学生数", "县级及以上骨干教师数"], [a, 900, 12]])
    c = client_for(world.users["city_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/quality/balance/", {"file": SimpleUploadedFile("均衡.xlsx", data)})
    job = ImportJob.objects.get()
    assert r["Location"] == f"/imports/{job.pk}/" and job.kind == "balance_inputs"
    assert job.status == ImportJob.Status.SUCCEEDED and job.result["created"] == 1
    assert BalanceInput.objects.get().values == {"key_teachers": 12.0}
    html = c.get(r["Location"]).content.decode()
    assert 'href="/quality/balance/"' in html
    # the generic import page offers it too, with a template of its columns
    assert 'value="balance_inputs"' in c.get("/imports/new/").content.decode()
    assert c.get("/imports/templates/balance_inputs.xlsx").status_code == 200
    # a principal may not
    r = client_for(world.users["principal"]).post(
        "/quality/balance/", {"file": SimpleUploadedFile("均衡.xlsx", data)}
    )
    assert r.status_code == 403 and ImportJob.objects.count() == 1


def test_exam_kinds_are_not_offered_without_their_exam(world, client_for):
    c = client_for(world.users["city_admin"])
    form = c.get("/imports/new/").content.decode()
    assert 'value="scores"' not in form and 'value="item_scores"' not in form
    assert c.get("/imports/templates/scores.xlsx").status_code == 404
    r = c.post(
        "/imports/new/",
        {"kind": "scores", "mode": "all", "file": SimpleUploadedFile("s.xlsx", b"x")},
    )
    assert r.status_code == 200 and not ImportJob.objects.exists()


# --- scope and parameters ---------------------------------------------------------------


def test_a_job_for_an_exam_outside_the_scope_is_refused(world, client_for, api_for):
    linwei = make_exam(
        world,
        owner=world.units["linwei"],
        name="临渭区期末",
        actor=world.users["district_researcher"],
    )
    city = make_exam(world, name="全市中考")
    data = _sheet(world, with_name=False)
    outsider = world.users["outsider"]  # 华州区's admin
    # 临渭区's exam is not even seen: a 404 on the page, "no such exam" elsewhere.
    r = client_for(outsider).post(
        f"/quality/{linwei.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", data)}
    )
    assert r.status_code == 404
    with pytest.raises(ServiceError) as e:
        start_import(
            actor=outsider, kind="scores", filename="s.xlsx", data=data, params={"exam": linwei.pk}
        )
    assert e.value.text == f"您的范围内没有编号为 {linwei.pk} 的考试。"
    # The city's exam is seen (its schools take part) but not theirs to import into.
    with pytest.raises(PermissionDenied):
        start_import(
            actor=outsider, kind="scores", filename="s.xlsx", data=data, params={"exam": city.pk}
        )
    r = client_for(world.users["principal"]).post(
        f"/quality/{city.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", data)}
    )
    assert r.status_code == 403
    api = api_for(outsider)
    r = api.post(
        "/api/v1/imports/scores",
        {"file": SimpleUploadedFile("s.xlsx", data), "params": f'{{"exam": {linwei.pk}}}'},
    )
    assert r.status_code == 400 and str(linwei.pk) in r.json()["detail"]
    r = api.post(
        "/api/v1/imports/scores",
        {"file": SimpleUploadedFile("s.xlsx", data), "params": f'{{"exam": {city.pk}}}'},
    )
    assert r.status_code == 403
    assert not ImportJob.objects.exists() and not Candidate.objects.exists()


def test_the_job_belongs_to_the_exams_owner(world, client_for, django_capture_on_commit_callbacks):
    """A researcher's import into a district exam: seen by them and by the admins over the
    district (the city's), not by another district's admin or the school."""
    exam = make_exam(
        world,
        owner=world.units["linwei"],
        name="临渭区期末",
        actor=world.users["district_researcher"],
    )
    code_a = world.schools["school_a"].org_unit.code
    rows = [r for r in dataset(world) if r[1] == code_a]
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(world.users["district_researcher"]).post(
            f"/quality/{exam.pk}/scores/",
            {"file": SimpleUploadedFile("s.xlsx", _sheet(world, rows=rows))},
        )
    job = ImportJob.objects.get()
    assert job.org_unit == world.units["linwei"] and job.status == ImportJob.Status.SUCCEEDED
    for name, status in (
        ("district_researcher", 200),
        ("city_admin", 200),
        ("outsider", 404),
        ("principal", 404),
    ):
        assert client_for(world.users[name]).get(r["Location"]).status_code == status, name


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("scores", {}, "缺少参数“exam”（考试）"),
        ("scores", {"exam": "第五场"}, "考试应以编号指定"),
        ("scores", {"exam": 999999}, "您的范围内没有编号为 999999 的考试"),
        ("scores", {"exam": "{exam}", "subject": "数学"}, "未知参数“subject”"),
        ("item_scores", {"exam": "{exam}"}, "缺少参数“subject”（学科）"),
        (
            "item_scores",
            {"exam": "{exam}", "subject": "物理"},
            "没有学科“物理”；它的学科是：语文、数学、英语",
        ),
        ("balance_inputs", {"exam": "{exam}"}, "这类数据不需要参数"),
    ],
)
def test_params_are_checked_and_nothing_is_written(world, exam, kind, params, expected):
    params = {k: (v.format(exam=exam.pk) if isinstance(v, str) else v) for k, v in params.items()}
    with pytest.raises(ServiceError) as e:
        start_import(
            actor=world.users["city_admin"],
            kind=kind,
            filename="s.xlsx",
            data=_sheet(world),
            params=params,
        )
    assert expected in e.value.text
    assert not ImportJob.objects.exists() and not Candidate.objects.exists()


def test_a_job_whose_exam_went_away_is_rejected(
    world, exam, client_for, django_capture_on_commit_callbacks
):
    c = client_for(world.users["city_admin"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        c.post(f"/quality/{exam.pk}/scores/", {"file": SimpleUploadedFile("s.xlsx", _sheet(world))})
    pk = exam.pk
    exam.delete()
    for callback in callbacks:
        callback()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert job.errors[0]["message"] == f"您的范围内没有编号为 {pk} 的考试。"
    assert not Candidate.objects.exists()


def test_the_api_starts_a_job_with_params(world, exam, api_for, django_capture_on_commit_callbacks):
    api = api_for(world.users["city_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(
            "/api/v1/imports/scores",
            {
                "file": SimpleUploadedFile("s.xlsx", _sheet(world)),
                "params": f'{{"exam": {exam.pk}}}',
            },
        )
    assert r.status_code == 202 and r.json()["params"] == {"exam": exam.pk}
    body = api.get(f"/api/v1/import-jobs/{r.json()['id']}").json()
    assert body["status"] == "succeeded" and body["created"] == len(dataset(world))
    r = api.post(
        "/api/v1/imports/scores", {"file": SimpleUploadedFile("s.xlsx", b"x"), "params": "[5]"}
    )
    assert r.status_code == 400 and "JSON" in r.json()["detail"]


# --- the command line -------------------------------------------------------------------


def jiaoyan(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as e:
        return int(e.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_cli_imports_scores_items_and_balance_with_exit_codes(world, exam, tmp_path):
    a = world.schools["school_a"].org_unit.code
    good = tmp_path / "成绩.xlsx"
    good.write_bytes(_sheet(world))
    n = len(dataset(world))
    bad = tmp_path / "错误.xlsx"
    bad.write_bytes(
        xlsx_bytes(
            [
                header(),
                ["1", a, "1班", "", "", 100, 90, 80],
                ["2", "9999999", "1班", "", "", 1, 2, 3],
            ]
        )
    )

    code, out, err = jiaoyan("import", "scores", str(bad), "--param", f"exam={exam.pk}")
    assert code == 1 and "第3行「学校代码」" in err and "未写入任何数据" in out
    assert not Candidate.objects.exists()
    code, out, err = jiaoyan(
        "import", "scores", str(good), "--param", f"exam={exam.pk}", "--dry-run"
    )
    assert code == 0 and f"将导入 {n} 行" in out and not Candidate.objects.exists()
    code, out, err = jiaoyan("import", "scores", str(good), "--param", f"exam={exam.pk}")
    assert code == 0 and err == "" and f"新增 {n}" in out and "姓名" in out
    assert Candidate.objects.filter(exam=exam).count() == n
    code, out, _err = jiaoyan("import", "scores", str(good), "--param", f"exam={exam.pk}")
    assert code == 0 and f"未变 {n}" in out  # the same file again changes nothing
    code, out, err = jiaoyan(
        "import", "scores", str(bad), "--param", f"exam={exam.pk}", "--valid-only"
    )
    assert code == 0 and Candidate.objects.filter(exam=exam).count() == 1

    items = tmp_path / "小题.xlsx"
    items.write_bytes(_items_sheet(["1"]))
    args = ("import", "item_scores", str(items), "--param", f"exam={exam.pk}")
    with pytest.raises(CommandError, match="缺少参数“subject”"):
        jiaoyan(*args)
    code, out, err = jiaoyan(*args, "--param", "subject=英语")
    assert code == 0 and "导入 1 行" in out and ItemScore.objects.count() == 1

    balance = tmp_path / "均衡.xlsx"
    balance.write_bytes(xlsx_bytes([["学校代码", "学生数", "教学仪器设备值"], [a, 900, 100000]]))
    assert jiaoyan("import", "balance_inputs", str(balance))[0] == 0
    assert BalanceInput.objects.get().values == {"equipment_value": 100000.0}


def test_cli_refuses_missing_unknown_and_out_of_scope_params(world, exam, tmp_path):
    good = tmp_path / "成绩.xlsx"
    good.write_bytes(_sheet(world))
    with pytest.raises(CommandError, match="缺少参数“exam”"):
        jiaoyan("import", "scores", str(good))
    with pytest.raises(CommandError, match="没有编号为 999999 的考试"):
        jiaoyan("import", "scores", str(good), "--param", "exam=999999")
    with pytest.raises(CommandError, match="名称=值"):
        jiaoyan("import", "scores", str(good), "--param", "exam")
    with pytest.raises(CommandError, match="给了两次"):
        jiaoyan("import", "scores", str(good), "--param", "exam=1", "--param", "exam=2")
    with pytest.raises(CommandError, match="无权"):
        jiaoyan("import", "scores", str(good), "--param", f"exam={exam.pk}", "--as", "outsider")
    assert not Candidate.objects.exists()


def test_cli_exports_balance_inputs_and_refuses_exam_kinds(world, exam, tmp_path):
    a = world.schools["school_a"].org_unit.code
    sheet = tmp_path / "均衡.xlsx"
    sheet.write_bytes(xlsx_bytes([["学校代码", "学生数", "教学仪器设备值"], [a, 900, 100000]]))
    assert jiaoyan("import", "balance_inputs", str(sheet))[0] == 0
    back = tmp_path / "导出.xlsx"
    code, out, _err = jiaoyan("export", "balance_inputs", str(back))
    assert code == 0 and "已导出 1 行" in out
    code, out, _err = jiaoyan("import", "balance_inputs", str(back))
    assert code == 0 and "未变 1" in out  # the export imports back unchanged
    with pytest.raises(CommandError, match="只能导入"):
        jiaoyan("export", "scores", str(tmp_path / "x.xlsx"))
