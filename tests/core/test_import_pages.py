"""The import flow in the browser's pages (and the API's upload), with the immediate task
backend: upload, the job page with its error table, "import the valid rows only", and who
may import where."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.core.models import ImportJob
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import Person
from tests.support import load_org_units_and_schools, no_such, sample, xlsx_bytes, zh

PEOPLE_ERROR_ROWS = [12, 17, 23, 28, 29, 33, 35]


@pytest.fixture
def samples(world):
    load_org_units_and_schools()
    return world


def upload(client, capture, kind, name, data, mode="all"):
    with capture(execute=True):
        resp = client.post(
            "/imports/new/", {"kind": kind, "mode": mode, "file": SimpleUploadedFile(name, data)}
        )
    return resp


def error_rows(html: str) -> list[int]:
    rows = re.findall(r'<tr data-testid="error-row"><td>(\d+|—)</td>', html)
    return [int(r) for r in rows if r != "—"]


def test_upload_people_shows_the_error_table(
    samples, client_for, django_capture_on_commit_callbacks
):
    client = client_for(samples.city_admin)
    people_before = Person.objects.count()
    form = client.get("/imports/new/?kind=people")
    assert form.status_code == 200
    assert 'value="people" selected' in form.content.decode()

    resp = upload(
        client, django_capture_on_commit_callbacks, "people", "people.xlsx", sample("people.xlsx")
    )
    assert resp.status_code == 302
    job = ImportJob.objects.get()
    assert resp["Location"] == f"/imports/{job.pk}/"
    assert job.status == ImportJob.Status.REJECTED and job.created_by == samples.city_admin

    page = client.get(resp["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="error-table"' in html
    assert error_rows(html) == PEOPLE_ERROR_ROWS
    assert "所属单位代码" in html and "门卫" in html
    assert 'data-testid="import-valid-only"' in html
    assert 'data-status="rejected"' in html
    assert Person.objects.count() == people_before

    # "Import the valid rows only" runs the same file again.
    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(f"/imports/{job.pk}/retry/")
    assert retry.status_code == 302
    new_job = ImportJob.objects.exclude(pk=job.pk).get()
    assert retry["Location"] == f"/imports/{new_job.pk}/"
    assert new_job.valid_only and new_job.status == ImportJob.Status.SUCCEEDED
    assert new_job.result["created"] == 56
    assert Person.objects.count() == people_before + 56
    done = client.get(retry["Location"]).content.decode()
    assert 'data-testid="import-ok"' in done
    assert re.search(r'data-testid="created">56<', done)
    assert error_rows(done) == PEOPLE_ERROR_ROWS  # the skipped rows are still reported
    assert 'data-testid="import-valid-only"' not in done


def test_job_page_polls_until_finished(samples, client_for):
    """An unfinished job's status fragment asks to be reloaded; HTMX gets the fragment."""
    client = client_for(samples.city_admin)
    upload(client, lambda execute: _nothing(), "people", "people.xlsx", sample("people.xlsx"))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PENDING
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    fragment = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="import-status"')


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_upload_with_valid_only_mode(samples, client_for, django_capture_on_commit_callbacks):
    client = client_for(samples.city_admin)
    resp = upload(
        client,
        django_capture_on_commit_callbacks,
        "people",
        "people_gb18030.csv",
        sample("people_gb18030.csv"),
        mode="valid_only",
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED and job.result["created"] == 33
    html = client.get(resp["Location"]).content.decode()
    assert error_rows(html) == [11, 16, 22, 27, 28, 32, 34]


def test_dry_run_mode_writes_nothing(samples, client_for, django_capture_on_commit_callbacks):
    client = client_for(samples.city_admin)
    before = Person.objects.count()
    upload(
        client,
        django_capture_on_commit_callbacks,
        "people",
        "people.xlsx",
        sample("people.xlsx"),
        mode="dry_run",
    )
    job = ImportJob.objects.get()
    assert job.dry_run and job.status == ImportJob.Status.REJECTED
    assert Person.objects.count() == before


def test_import_list_shows_the_jobs(samples, client_for, django_capture_on_commit_callbacks):
    client = client_for(samples.city_admin)
    upload(
        client, django_capture_on_commit_callbacks, "people", "people.xlsx", sample("people.xlsx")
    )
    html = client.get("/imports/").content.decode()
    assert "people.xlsx" in html
    assert 'data-testid="template-people"' in html


def test_teacher_cannot_import(world, client_for, api_for):
    client = client_for(world.teacher)
    assert client.get("/imports/new/").status_code == 403
    resp = client.post(
        "/imports/new/",
        {"kind": "schools", "mode": "all", "file": SimpleUploadedFile("s.xlsx", b"x")},
    )
    assert resp.status_code == 403
    home = client.get("/").content.decode()
    assert 'data-nav="imports"' not in home
    assert 'data-nav="imports"' in client_for(world.city_admin).get("/").content.decode()
    api = api_for(world.teacher).post(
        "/api/v1/imports/schools", {"file": SimpleUploadedFile("s.csv", b"a,b\n1,2\n")}
    )
    assert api.status_code == 403 and api.json()["detail"]
    assert not ImportJob.objects.exists()


def test_principal_imports_attendance_only(world, client_for):
    """A principal organises school activities: attendance sheets, nothing of the tree."""
    client = client_for(world.principal)
    html = client.get("/imports/new/").content.decode()
    assert 'value="activity_attendance"' in html
    for kind in ("org_units", "schools", "people"):
        assert f'value="{kind}"' not in html
    resp = client.post(
        "/imports/new/",
        {"kind": "people", "mode": "all", "file": SimpleUploadedFile("p.csv", b"a,b\n")},
    )
    assert resp.status_code == 200
    assert not ImportJob.objects.exists()


SCHOOL_HEADER = ["学校代码", "学校名称", "所属区划代码", "办学类型", "城乡类型"]


def test_district_admin_importing_into_another_district_gets_a_row_error(
    world, client_for, django_capture_on_commit_callbacks
):
    """The outsider (bureau admin of 华州区) may import schools of 华州区 only."""
    data = xlsx_bytes(
        [
            SCHOOL_HEADER,
            ["6105030099", "华州区新建小学", "610503", "小学", "乡村"],
            ["6105020099", "临渭区新建小学", "610502001", "小学", "乡村"],
            ["6105020001", "改名的临渭区学校", "610503", "初级中学", "城区"],
        ]
    )
    client = client_for(world.outsider)
    resp = upload(client, django_capture_on_commit_callbacks, "schools", "s.xlsx", data)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "所属区划代码"), (4, "学校代码")]
    # 人民街道 is 临渭区's: as unknown to the outsider as a code that exists nowhere.
    assert job.errors[0]["message"] == no_such(OrgUnit)
    assert job.errors[1]["message"] == zh("this school is outside your scope")
    html = client.get(resp["Location"]).content.decode()
    assert error_rows(html) == [3, 4]
    assert not OrgUnit.objects.filter(code__in=["6105030099", "6105020099"]).exists()
    assert School.objects.get(pk=world.school_a.pk).org_unit.name == "临渭区第一初级中学"

    # The valid row (its own district) is imported on request.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/retry/")
    assert OrgUnit.objects.get(code="6105030099").parent == world.units["huazhou"]
    assert not OrgUnit.objects.filter(code="6105020099").exists()


def test_district_admin_people_import_outside_scope(
    world, client_for, django_capture_on_commit_callbacks
):
    data = xlsx_bytes(
        [
            ["工号", "姓名", "所属单位代码", "岗位"],
            ["H900", "华州老师", "6105030001", "教师"],
            ["L900", "临渭老师", "6105020001", "教师"],
            ["T002", "改名的张老师", "6105030001", "教师"],  # the teacher of 临渭区, moved over
        ]
    )
    upload(client_for(world.outsider), django_capture_on_commit_callbacks, "people", "p.xlsx", data)
    job = ImportJob.objects.get()
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "所属单位代码"), (4, "工号")]
    assert job.errors[0]["message"] == no_such(OrgUnit)
    # T002 is taken (staff numbers are unique), and the message says no more than that.
    assert job.errors[1]["message"] == zh("The staff number “%(no)s” is already in use.", no="T002")
    assert "张老师" not in job.errors[1]["message"]
    assert not Person.objects.filter(staff_no__in=["H900", "L900"]).exists()
    assert Person.objects.get(staff_no="T002").name == "张老师"


def test_someone_elses_job_is_404(world, client_for, django_capture_on_commit_callbacks):
    upload(
        client_for(world.outsider),
        django_capture_on_commit_callbacks,
        "schools",
        "s.csv",
        "学校代码\n1\n".encode(),
    )
    job = ImportJob.objects.get()
    for who in ("teacher", "district_researcher"):
        client = client_for(world.users[who])
        assert client.get(f"/imports/{job.pk}/").status_code == 404
        assert client.get(f"/imports/{job.pk}/errors.xlsx").status_code == 404
        assert client.get(f"/imports/{job.pk}/file/").status_code == 404
    assert client_for(world.city_admin).get(f"/imports/{job.pk}/").status_code == 200


def test_api_upload_and_report(samples, api_for, django_capture_on_commit_callbacks):
    api = api_for(samples.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(
            "/api/v1/imports/people",
            {
                "file": SimpleUploadedFile("people.xlsx", sample("people.xlsx")),
                "valid_only": "true",
            },
        )
    assert resp.status_code == 202
    body = resp.json()
    assert body["kind"] == "people" and body["valid_only"] is True and "org_unit" in body
    job = api.get(f"/api/v1/import-jobs/{body['id']}").json()
    assert job["status"] == "succeeded" and job["created"] == 56
    assert [e["row"] for e in job["errors"]] == PEOPLE_ERROR_ROWS
    bad_kind = api.post("/api/v1/imports/nonsense", {"file": SimpleUploadedFile("a.csv", b"a")})
    assert bad_kind.status_code == 400 and bad_kind.json()["detail"]
