"""The API contract: paths, field names, semantics, 202 until the analysis is ready,
the student-level endpoint behind the permission (audited)."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.core.models import AuditLog
from jiaoyan.quality import analysis, services
from jiaoyan.quality.models import Exam, GroupStat, Level
from tests.quality.helpers import dataset, header, make_exam, xlsx_bytes

EXAM_IN = {
    "name": "2025年中考",
    "kind": "zhongkao",
    "date": "2025-06-20",
    "grade": 9,
    "stage": "junior",
    "subjects": [
        {"name": "语文", "full_marks": 120},
        {"name": "数学", "full_marks": 120},
        {"name": "英语", "full_marks": 100},
    ],
    "cutoffs": {"excellent": 0.85, "good": 0.7, "pass": 0.6, "low": 0.4},
}


def _upload(api, url, data, name="s.xlsx", **extra):
    return api.post(url, {"file": SimpleUploadedFile(name, data), **extra})


@pytest.fixture
def api_exam(world, api_for):
    api = api_for(world.users["city_admin"])
    r = api.post(
        "/api/v1/exams",
        {**EXAM_IN, "org_unit": world.units["city_bureau"].pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    return api, r.json()


def test_create_exam(world, api_exam):
    _api, body = api_exam
    assert body["org_unit"] == world.units["city"].pk  # the bureau stands for its region
    assert [s["name"] for s in body["subjects"]] == ["语文", "数学", "英语"]
    assert body["cutoffs"] == {"excellent": 0.85, "good": 0.7, "pass": 0.6, "low": 0.4}
    assert body["analysis_status"] == "empty"


def test_create_exam_refused_out_of_scope_and_bad_input(world, api_for):
    r = api_for(world.users["principal"]).post(
        "/api/v1/exams", {**EXAM_IN, "org_unit": world.units["city"].pk}, "application/json"
    )
    assert r.status_code in (403, 422)
    r = api_for(world.users["outsider"]).post(
        "/api/v1/exams", {**EXAM_IN, "org_unit": world.units["linwei"].pk}, "application/json"
    )
    # A unit the outsider does not see: an unresolved reference, as if it did not exist.
    assert r.status_code == 422 and r.json()["field"] == "org_unit"
    bad = {**EXAM_IN, "org_unit": world.units["city"].pk, "subjects": []}
    r = api_for(world.users["city_admin"]).post("/api/v1/exams", bad, "application/json")
    assert r.status_code == 422
    dup = {**EXAM_IN, "org_unit": world.units["city"].pk}
    dup["subjects"] = [{"name": "语文", "full_marks": 100}, {"name": "语文", "full_marks": 100}]
    r = api_for(world.users["city_admin"]).post("/api/v1/exams", dup, "application/json")
    assert r.status_code == 400 and "语文" in r.json()["detail"]
    assert not Exam.objects.exists()


def test_scores_then_202_until_the_analysis_is_ready(world, api_exam):
    api, exam = api_exam
    url = f"/api/v1/exams/{exam['id']}"
    assert api.get(f"{url}/analysis").status_code == 404  # no scores yet
    rows = dataset(world)
    r = _upload(api, f"{url}/scores", xlsx_bytes([header(), *rows]))
    assert r.status_code == 200, r.content
    assert r.json()["imported"] == len(rows) and r.json()["errors"] == []
    # the task runs on commit; in this test the transaction never commits
    r = api.get(f"{url}/analysis?level=school&subject=total")
    assert r.status_code == 202
    assert r.json()["status"] == "pending"
    analysis.run_analysis(exam["id"])
    r = api.get(f"{url}/analysis?level=school&subject=total")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    item = body["items"][0]
    for key in [
        "org_unit",
        "school_code",
        "n",
        "absent",
        "mean",
        "sd",
        "max",
        "min",
        "median",
        "excellent_rate",
        "good_rate",
        "pass_rate",
        "low_rate",
        "all_pass_rate",
        "z",
        "t",
        "rank",
    ]:
        assert key in item
    assert [i["rank"] for i in body["items"]] == sorted(i["rank"] for i in body["items"])
    row = GroupStat.objects.get(pk=item["id"])
    assert item["mean"] == row.mean and item["t"] == 50 + 10 * item["z"]  # unrounded
    assert 0 <= item["pass_rate"] <= 1
    # classes: class_name; the small class (3 students) is suppressed for the admin
    body = api.get(f"{url}/analysis?level=class&subject=数学").json()
    small = [i for i in body["items"] if i["n"] < 10]
    assert small and all(i["suppressed"] and i["mean"] is None for i in small)
    assert all(not i["suppressed"] and i["mean"] is not None for i in body["items"] if i["n"] >= 10)
    assert api.get(f"{url}/analysis?level=county").json()["count"] == 2
    assert api.get(f"{url}/analysis?level=nation").status_code == 400
    assert api.get(f"{url}/analysis?subject=体育").status_code == 404


def test_scores_errors_and_valid_only(world, api_exam):
    api, exam = api_exam
    a = world.schools["school_a"].org_unit.code
    rows = [header(), ["1", a, "1班", "", "", 100, 90, 80], ["2", "nope", "1班", "", "", 1, 2, 3]]
    url = f"/api/v1/exams/{exam['id']}/scores"
    r = _upload(api, url, xlsx_bytes(rows))
    assert r.status_code == 400
    assert r.json()["imported"] == 0
    assert r.json()["errors"] == [
        {"row": 3, "column": "学校代码", "message": r.json()["errors"][0]["message"]}
    ]
    r = _upload(api, url + "?valid_only=true", xlsx_bytes(rows))
    assert r.status_code == 200 and r.json()["imported"] == 1
    r = _upload(api, url, b"garbage", name="s.xlsx")
    assert r.status_code == 400 and r.json()["errors"][0]["row"] == 0


def test_items_endpoints(world, api_exam):
    api, exam = api_exam
    rows = dataset(world)
    url = f"/api/v1/exams/{exam['id']}"
    _upload(api, f"{url}/scores", xlsx_bytes([header(), *rows]))
    rng = np.random.default_rng(1)
    body = [[r[0], *rng.integers(0, 2, 5).tolist()] for r in rows]
    head = ["考号", "题1", "题2", "题3", "题4", "题5"]
    r = _upload(
        api, f"{url}/items?subject=英语", xlsx_bytes([head, ["满分", 1, 1, 1, 1, 1], *body])
    )
    assert r.status_code == 200 and r.json()["imported"] == len(rows), r.content
    assert api.get(f"{url}/items?subject=英语").status_code == 202
    analysis.run_analysis(exam["id"])
    r = api.get(f"{url}/items?subject=英语")
    data = r.json()
    assert (
        data["count"] == 5
        and data["kr20"] is not None
        and data["alpha"] == pytest.approx(data["kr20"])
    )
    for i in data["items"]:
        assert {"difficulty", "discrimination", "item_total_r"} <= set(i)
    assert api.get(f"{url}/items?subject=数学").status_code == 404
    assert (
        api.post(
            f"{url}/items?subject=体育", {"file": SimpleUploadedFile("a.xlsx", b"x")}
        ).status_code
        == 404
    )


def test_balance_endpoints(world, api_exam):
    api, exam = api_exam
    _upload(api, f"/api/v1/exams/{exam['id']}/scores", xlsx_bytes([header(), *dataset(world)]))
    analysis.run_analysis(exam["id"])
    r = api.get(f"/api/v1/exams/{exam['id']}/balance?subject=total&indicator=mean")
    body = r.json()
    rows = GroupStat.objects.filter(exam_id=exam["id"], level=Level.SCHOOL, subject=None)
    n = np.array([x.n for x in rows], float)
    x = np.array([x.mean for x in rows])
    mean = (n * x).sum() / n.sum()
    sd = np.sqrt(((n / n.sum()) * (x - mean) ** 2).sum())
    assert body["cv"] == pytest.approx(sd / mean)
    assert body["schools"] == 3 and body["threshold"] == 0.45 and body["met"] == (sd / mean <= 0.45)
    r = api.get(f"/api/v1/exams/{exam['id']}/balance?subject=数学&indicator=pass_rate")
    assert r.status_code == 200
    assert api.get(f"/api/v1/exams/{exam['id']}/balance?indicator=median").status_code == 400
    head = ["学校代码", "学生数", "县级及以上骨干教师数"]
    a, b = (world.schools[k].org_unit.code for k in ("school_a", "school_b"))
    r = _upload(api, "/api/v1/balance/inputs", xlsx_bytes([head, [a, 900, 9], [b, 200, 4]]))
    assert r.json()["imported"] == 2
    # school_b is primary, school_a junior: one school each
    r = api.get("/api/v1/balance?indicator=key_teachers&stage=primary")
    assert r.json() == {
        "cv": 0.0,
        "weighted_mean": pytest.approx(2.0),
        "sd": 0.0,
        "schools": 1,
        "threshold": 0.5,
        "met": True,
    }
    assert api.get("/api/v1/balance?indicator=nope").status_code == 400


def test_value_added_202_then_figures(world, api_for):
    admin = world.users["city_admin"]
    entry = make_exam(world, name="入学", grade=7)
    exit_exam = make_exam(world, name="中考")
    for exam, seed in ((entry, 1), (exit_exam, 2)):
        services.import_scores(
            actor=admin,
            exam=exam,
            data=xlsx_bytes([header(), *dataset(world, seed=seed)]),
            filename="s.xlsx",
        )
        analysis.run_analysis(exam.pk)
    api = api_for(admin)
    url = f"/api/v1/value-added?entry={entry.pk}&exit={exit_exam.pk}&level=school"
    assert api.get(url).status_code == 404  # not asked for: a GET creates nothing
    from jiaoyan.quality.models import ValueAddedLink

    assert not ValueAddedLink.objects.exists()
    pair = {"entry": entry.pk, "exit": exit_exam.pk}
    r = api.post("/api/v1/value-added", pair, content_type="application/json")
    assert r.status_code == 403  # linking needs the student-data permission on both
    services.grant_student_data(
        actor=admin, user=admin, org_unit=world.units["city"], reason="增值评价"
    )
    r = api.post("/api/v1/value-added", pair, content_type="application/json")
    assert r.status_code == 202 and r.json()["current"] is False
    r = api.get(url)
    assert r.status_code == 202
    analysis.run_value_added(ValueAddedLink.objects.get().pk)
    r = api.get(url)
    assert r.status_code == 200
    items = r.json()["items"]
    assert {"n_linked", "mean_z_gain", "mean_residual", "org_unit"} <= set(items[0])
    assert any(i["few_linked"] for i in items)  # fewer than 30 linked in these schools
    # 华州区 sees the city's pair, but only its own school
    items = api_for(world.users["outsider"]).get(url).json()["items"]
    assert [i["org_unit"] for i in items] == [world.schools["school_c"].pk]
    assert api_for(world.users["principal"]).get(url).json()["count"] == 1


def test_students_need_the_permission_and_reads_are_audited(world, api_exam, api_for):
    api, exam = api_exam
    _upload(api, f"/api/v1/exams/{exam['id']}/scores", xlsx_bytes([header(), *dataset(world)]))
    school = world.schools["school_a"].pk
    url = f"/api/v1/exams/{exam['id']}/students?school={school}"
    assert api.get(url).status_code == 403  # the admin has no permission yet
    services.grant_student_data(
        actor=world.users["city_admin"],
        user=world.users["district_researcher"],
        org_unit=world.units["linwei"],
        reason="教研分析",
    )
    researcher = api_for(world.users["district_researcher"])
    before = AuditLog.objects.filter(action=AuditLog.Action.VIEW).count()
    r = researcher.get(url)
    assert r.status_code == 400 and r.json()["detail"]  # a reason is required
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW).count() == before
    r = researcher.get(url + "&reason=教研分析")
    assert r.status_code == 200
    assert r.json()["count"] == 26
    assert set(r.json()["items"][0]["scores"]) == {"语文", "数学", "英语"}
    log = AuditLog.objects.filter(action=AuditLog.Action.VIEW).latest("timestamp")
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW).count() == before + 1
    assert log.actor == world.users["district_researcher"]
    assert log.unit_path == world.schools["school_a"].org_unit.path
    assert log.changes["reason"] == [None, "教研分析"]
    # the permission is on 临渭区: a 华州区 school is not reachable
    c = world.schools["school_c"].pk
    r = researcher.get(f"/api/v1/exams/{exam['id']}/students?school={c}&reason=教研分析")
    assert r.status_code == 404
