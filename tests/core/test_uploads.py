"""Every upload goes through one guarded path (core/uploads.py): permission first, before
any byte of the body is read; then the kind's size limit (from the declared length, then
while the file streams in); a malformed multipart body is a 400; a spreadsheet is read
in the reader's child process (core/sheetreader.py).

The import paths are enumerated from the URLconf and the API (every view or operation
declared an upload of kind ``sheet``) and, through them, from the registered sheet kinds:
a new import path or kind is covered without editing this file — or, if it needs a way to
be posted to that this file does not know yet, the enumeration test says which.
"""

from __future__ import annotations

import inspect
import io
import os

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from jiaoyan.core import uploads
from jiaoyan.core.imports import kinds_for
from jiaoyan.core.models import ImportJob
from jiaoyan.core.sheets import kinds
from tests.core.test_jobs_worker import DB_TASKS, SharedDatabase, start_worker, stop, wait_for
from tests.quality.test_api import EXAM_IN
from tests.support import sample, sparse_xlsx, zh

EXTENT = (
    "The sheet has values as far as row %(rows)s, column %(columns)s — beyond what an "
    "import reads (%(max_rows)s rows, %(max_columns)s columns). Delete the cells outside "
    "the table and upload it again."
)
SMALL = 64 * 1024  # the sheet limit the oversized CSV is tried against


def sparse_refusal() -> str:
    return zh(EXTENT, rows=1048576, columns=16384, max_rows=200000, max_columns=2000)


def too_large() -> str:
    with translation.override("zh-hans"):
        return uploads.too_large_message("sheet")


def oversized_csv() -> bytes:
    """A CSV over SMALL (and under SMALL + the form's allowance, so the declared length
    passes and the streaming limit is what stops it)."""
    row = "张三,T0001,临渭区第一初级中学\n".encode()
    return "姓名,工号,学校\n".encode() + row * (3 * SMALL // len(row))


# --- enumeration -------------------------------------------------------------------------


def _walk(patterns, prefix="", ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(x for x in (ns, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
            yield prefix + str(p.pattern), name, p.callback


def declared_uploads() -> dict[str, tuple[uploads.Guard, object]]:
    """Every declared upload: pages by URL name, API operations by route."""
    found: dict[str, tuple[uploads.Guard, object]] = {}
    for route, name, callback in _walk(get_resolver().url_patterns):
        guard = getattr(callback, "upload_guard", None)
        if guard is not None:
            found[name] = (guard, callback)
        path_view = uploads._ninja_path_view(callback)
        for op in getattr(path_view, "operations", ()):
            guard = getattr(op.view_func, "upload_guard", None)
            if guard is not None:
                found[route] = (guard, op)
    return found


def api_operations():
    for route, _name, callback in _walk(get_resolver().url_patterns):
        for op in getattr(uploads._ninja_path_view(callback), "operations", ()):
            yield route, op


def test_every_api_operation_that_takes_a_file_is_a_declared_upload():
    takes_files = []
    for route, op in api_operations():
        params = inspect.signature(op.view_func).parameters.values()
        if any("UploadedFile" in str(p.annotation) for p in params):
            takes_files.append(route)
            assert getattr(op.view_func, "upload_guard", None), f"{route} takes a file unguarded"
    assert len(takes_files) >= 4


def test_a_view_that_declares_no_upload_takes_no_file(world, client_for):
    client = client_for(world.users["city_admin"])
    r = client.post("/i18n/setlang/", {"language": "en", "file": SimpleUploadedFile("a.txt", b"x")})
    assert r.status_code == 400
    assert zh("This address does not take files.") in r.content.decode()


# --- every import path -------------------------------------------------------------------


class Paths:
    """How to post a file to each import path, as the city's bureau admin."""

    def __init__(self, world, api_for, client_for) -> None:
        self.world = world
        self.admin = world.users["city_admin"]
        self.page = client_for(self.admin)
        self.api = api_for(self.admin)
        exam = self.api.post(
            "/api/v1/exams",
            {**EXAM_IN, "org_unit": world.units["city_bureau"].pk},
            content_type="application/json",
        )
        assert exam.status_code == 201, exam.content
        self.exam = exam.json()
        self.subject = self.exam["subjects"][2]
        from tests.training.conftest import make_programme

        programme = make_programme(world, actor="city_admin", unit="city_bureau")
        self.session = programme.sessions.order_by("pk").first().pk
        self.params = {  # the kinds that need parameters
            "training_attendance": {"session": self.session},
            "scores": {"exam": self.exam["id"]},
            "item_scores": {"exam": self.exam["id"], "subject": self.subject["name"]},
        }

    def posts(self, key: str, file):
        """(label, client, url, data) of every post to the path ``key``."""
        e = self.exam["id"]
        if key == "core:import_new":
            for kind in kinds_for(self.admin, standalone=True):
                yield (
                    kind.kind,
                    self.page,
                    "/imports/new/",
                    {
                        "kind": kind.kind,
                        "mode": "all",
                        "file": file(),
                    },
                )
        elif key == "quality:upload_scores":
            yield key, self.page, f"/quality/{e}/scores/", {"file": file()}
        elif key == "quality:upload_items":
            data = {"items-subject": self.subject["id"], "items-file": file()}
            yield key, self.page, f"/quality/{e}/items/", data
        elif key == "training:attendance_upload":
            url = f"/training/sessions/{self.session}/attendance/upload/"
            yield key, self.page, url, {"file": file()}
        elif key == "quality:resource_balance":
            yield key, self.page, "/quality/balance/", {"file": file()}
        elif key == "ledger:import":
            unit = self.world.units["city_bureau"].pk
            yield (
                key,
                self.page,
                "/ledger/import/",
                {"org_unit": unit, "mode": "all", "file": file()},
            )
        elif key == "api/v1/imports/<kind>":
            import json

            for kind in kinds():
                params = json.dumps(self.params.get(kind, {}))
                data = {"file": file(), "params": params}
                yield f"api {kind}", self.api, f"/api/v1/imports/{kind}", data
        elif key == "api/v1/exams/<exam_id>/scores":
            yield key, self.api, f"/api/v1/exams/{e}/scores", {"file": file()}
        elif key == "api/v1/exams/<exam_id>/items":
            url = f"/api/v1/exams/{e}/items?subject={self.subject['name']}"
            yield key, self.api, url, {"file": file()}
        elif key == "api/v1/balance/inputs":
            yield key, self.api, "/api/v1/balance/inputs", {"file": file()}
        else:
            pytest.fail(f"the import path {key} is new: teach Paths.posts how to post to it")

    def all_posts(self, file):
        sheet_paths = [k for k, (g, _v) in declared_uploads().items() if g.kind == "sheet"]
        assert len(sheet_paths) >= 9, sheet_paths
        for key in sorted(sheet_paths):
            yield from self.posts(key, file)


def domain_rows() -> dict[str, int]:
    """Rows of every model an import could write (all apps but core's jobs and logs)."""
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in {"orgs", "people", "quality", "activities", "ledger"}:
            counts[model._meta.label] = model.objects.count()
        if model._meta.app_label == "observations":
            counts[model._meta.label] = model.objects.count()
    return counts


def outcome(response, jobs_before: int) -> str:
    """What the user is told: the refusal's message, or the failed job's first error."""
    if response.status_code in (302, 202):
        job = ImportJob.objects.filter(pk__gt=jobs_before).order_by("-pk").first()
        refused = (ImportJob.Status.REJECTED, ImportJob.Status.FAILED)
        assert job is not None and job.status in refused, (
            job and job.status,
            job and job.errors[:1],
        )
        return job.errors[0]["message"]
    assert response.status_code in (400, 413), (response.status_code, response.content[:300])
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        return body["errors"][0]["message"] if body.get("errors") else body["detail"]
    return response.content.decode()


def _last_job() -> int:
    last = ImportJob.objects.order_by("-pk").first()
    return last.pk if last else 0


def test_the_sparse_workbook_is_refused_on_every_import_path(
    world, api_for, client_for, django_capture_on_commit_callbacks
):
    paths = Paths(world, api_for, client_for)
    before = domain_rows()
    tried = []
    for label, client, url, data in paths.all_posts(
        lambda: SimpleUploadedFile("成绩.xlsx", sparse_xlsx())
    ):
        jobs_before = _last_job()
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(url, data)
        assert sparse_refusal() in outcome(r, jobs_before), label
        tried.append(label)
    # Every kind through the API, every standalone kind through the page, the object pages.
    assert {f"api {k}" for k in kinds()} <= set(tried)
    assert len(tried) >= len(kinds()) * 2
    assert domain_rows() == before
    # The web worker (this process) goes on answering.
    assert paths.page.get("/imports/").status_code == 200


def test_an_oversized_csv_is_refused_on_every_import_path_before_it_is_stored(
    world, api_for, client_for, django_capture_on_commit_callbacks
):
    paths = Paths(world, api_for, client_for)
    data = oversized_csv()
    assert SMALL < len(data) < SMALL + uploads.FORM_BYTES
    before = domain_rows()
    jobs_before = _last_job()
    media = sum(len(files) for _d, _s, files in os.walk(settings.MEDIA_ROOT))
    with override_settings(UPLOAD_LIMITS={**settings.UPLOAD_LIMITS, "sheet": SMALL}):
        message = too_large()
        assert "64 KB" in message
        for label, client, url, form in paths.all_posts(
            lambda: SimpleUploadedFile("名单.csv", data)
        ):
            with django_capture_on_commit_callbacks(execute=True):
                r = client.post(url, form)
            assert r.status_code == 413, (label, r.status_code, r.content[:300])
            assert message in outcome(r, jobs_before), label
    assert _last_job() == jobs_before  # no job, no stored file
    assert sum(len(files) for _d, _s, files in os.walk(settings.MEDIA_ROOT)) == media
    assert domain_rows() == before


# --- permission first, size while streaming ---------------------------------------------


class Body(io.RawIOBase):
    """A request body that counts what is read of it."""

    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = self.stream.read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = self.stream.readline(size)
        self.read_bytes += len(chunk)
        return chunk


def multipart(files: dict[str, tuple[str, bytes]], fields: dict[str, str] | None = None):
    boundary = "----jiaoyan-test-boundary"
    out = io.BytesIO()
    for name, value in (fields or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, content) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def raw_post(client: Client, url: str, body: Body, content_type: str, length: int):
    return client.generic(
        "POST",
        url,
        b"",
        content_type=content_type,
        **{"wsgi.input": body, "CONTENT_LENGTH": str(length), "CONTENT_TYPE": content_type},
    )


def test_a_teachers_huge_post_is_refused_before_its_body_is_read(world, api_for, client_for):
    """Permission comes first: 1 GB declared, nothing read, 403 in a few queries."""
    data, ctype = multipart({"file": ("balance.xlsx", b"x" * 4096)})
    for client, url in (
        (api_for(world.users["teacher"]), "/api/v1/balance/inputs"),
        (api_for(world.users["teacher"]), "/api/v1/imports/people"),
        (client_for(world.users["teacher"]), "/imports/new/"),
        (client_for(world.users["teacher"]), "/quality/balance/"),
    ):
        body = Body(data)
        r = raw_post(client, url, body, ctype, 2**30)
        assert r.status_code == 403, (url, r.status_code, r.content[:200])
        assert body.read_bytes == 0, url
    # Not signed in: the API answers 401, unread.
    body = Body(data)
    r = raw_post(Client(), "/api/v1/balance/inputs", body, ctype, 2**30)
    assert r.status_code == 401 and body.read_bytes == 0


def test_a_declared_length_over_the_limit_is_refused_unread(world, api_for):
    data, ctype = multipart({"file": ("balance.xlsx", b"x" * 4096)})
    body = Body(data)
    r = raw_post(
        api_for(world.users["city_admin"]),
        "/api/v1/balance/inputs",
        body,
        ctype,
        uploads.limit("sheet") + uploads.FORM_BYTES + 1,
    )
    assert r.status_code == 413 and body.read_bytes == 0
    assert r.json()["detail"] == too_large()


def test_a_file_over_the_limit_stops_while_it_streams_in(world, api_for, monkeypatch):
    """A length that understates the file (or room left for form fields): the handler
    counts the file's bytes and stops the parse at the limit, long before its end."""
    monkeypatch.setattr(uploads, "FORM_BYTES", 8 << 20)
    data, ctype = multipart({"file": ("balance.csv", b"1,2,3\n" * (1 << 20))})  # 6 MB
    body = Body(data)
    with override_settings(UPLOAD_LIMITS={**settings.UPLOAD_LIMITS, "sheet": SMALL}):
        r = raw_post(
            api_for(world.users["city_admin"]), "/api/v1/balance/inputs", body, ctype, len(data)
        )
        assert r.status_code == 413 and r.json()["detail"] == too_large()
    assert body.read_bytes < 1 << 20  # stopped within the first megabyte of six


def test_malformed_multipart_is_a_400_on_every_upload_path(world, api_for, client_for):
    paths = Paths(world, api_for, client_for)
    urls = {url: client for _l, client, url, _d in paths.all_posts(lambda: None)}
    urls["/i18n/setlang/"] = paths.page
    for url, client in urls.items():
        for ctype in (
            "multipart/form-data",  # no boundary
            'multipart/form-data; boundary=""',
            "multipart/form-data; boundary=" + "x" * 300,
            "multipart/mixed; boundary=é",
        ):
            r = client.post(
                url, b"--x\r\nContent-Disposition: form-data\r\n\r\n", content_type=ctype
            )
            assert r.status_code == 400, (url, ctype, r.status_code)
            text = r.json()["detail"] if url.startswith("/api/") else r.content.decode()
            assert (
                zh(
                    "The request body is not valid multipart/form-data (no boundary); "
                    "send the file as a form upload."
                )
                in text
            ), (url, ctype)
        # A body cut short after a valid start.
        data, ctype = multipart({"file": ("x.csv", b"a,b\n" * 100)}, {"kind": "people"})
        r = client.post(url, data[:-60], content_type=ctype)
        assert r.status_code < 500, (url, r.status_code)


def test_attachments_and_materials_have_their_own_limits(world, client_for):
    from jiaoyan.ledger import services as ledger
    from tests.activities.conftest import make_activity

    limits = {**settings.UPLOAD_LIMITS, "attachment": 4096, "material": 8192}
    item = ledger.create_item(
        title="上报教研计划",
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        responsible_unit=world.schools["school_a"].org_unit,
        responsible_person=world.people["principal"],
        due_on=__import__("datetime").date(2030, 1, 1),
    )
    activity = make_activity(world)
    principal = client_for(world.users["principal"])
    researcher = client_for(world.users["district_researcher"])
    with override_settings(UPLOAD_LIMITS=limits):
        r = principal.post(
            f"/ledger/items/{item.pk}/report/",
            {"text": "完成", "percent": "50", "files": SimpleUploadedFile("a.pdf", b"x" * 5000)},
        )
        assert r.status_code == 413
        assert item.reports.count() == 0
        r = principal.post(
            f"/ledger/items/{item.pk}/report/",
            {"text": "完成", "percent": "50", "files": SimpleUploadedFile("a.pdf", b"x" * 4000)},
        )
        assert r.status_code == 302 and item.reports.count() == 1
        # A teacher is not the responsible side: refused before the body.
        body = Body(b"")
        r = raw_post(
            client_for(world.users["teacher"]),
            f"/ledger/items/{item.pk}/report/",
            body,
            "multipart/form-data; boundary=x",
            2**30,
        )
        assert r.status_code == 403 and body.read_bytes == 0

        url = f"/activities/{activity.pk}/materials/new/"
        form = {"phase": "before", "kind": "slides", "title": "", "url": ""}
        r = researcher.post(url, {**form, "file": SimpleUploadedFile("课件.pptx", b"x" * 9000)})
        assert r.status_code == 413 and not activity.materials.exists()
        r = researcher.post(url, {**form, "file": SimpleUploadedFile("课件.pptx", b"x" * 8000)})
        assert r.status_code == 302 and activity.materials.count() == 1
        r = client_for(world.users["teacher"]).post(
            url, {**form, "file": SimpleUploadedFile("课件.pptx", b"x")}
        )
        assert r.status_code in (403, 404) and activity.materials.count() == 1


# --- a real task worker ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_refuses_the_sparse_workbook_and_takes_the_next_job(
    world, client_for, tmp_path
):
    """The sparse workbook as an import job, run by a real worker process: the job fails
    with the refusal, the worker lives on and runs the next job."""
    db = SharedDatabase(tmp_path)
    client = client_for(world.users["city_admin"])
    with override_settings(TASKS=DB_TASKS):
        hostile = client.post(
            "/imports/new/",
            {
                "kind": "schools",
                "mode": "all",
                "file": SimpleUploadedFile("学校.xlsx", sparse_xlsx()),
            },
        )
        normal = client.post(
            "/imports/new/",
            {
                "kind": "org_units",
                "mode": "dry_run",
                "file": SimpleUploadedFile("单位.xlsx", sample("org_units.xlsx")),
            },
        )
    assert hostile.status_code == normal.status_code == 302
    first, second = ImportJob.objects.order_by("pk")
    assert first.status == second.status == ImportJob.Status.PENDING

    db.publish()
    worker = start_worker(db)
    try:
        wait_for(db, first.job_id, worker, lambda r: r["status"] == "failed")
        # Checked to its last row: its report, not a crash (the sample has errors here).
        wait_for(db, second.job_id, worker, lambda r: r["status"] in ("succeeded", "failed"))
        assert worker.poll() is None  # alive after both
    finally:
        import signal

        stop(worker, signal.SIGTERM)
    db.collect()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.errors[0]["message"] == sparse_refusal()
    assert second.result["rows"] == 14 and second.status in (
        ImportJob.Status.SUCCEEDED,
        ImportJob.Status.REJECTED,
    )
    with transaction.atomic():
        assert client.get(f"/imports/{second.pk}/").status_code == 200


def test_a_csv_wider_than_the_column_limit_is_refused_before_it_is_split():
    from jiaoyan.core.tabular import TableError, read_table

    wide = "姓名,工号\n张三,T001\n" + "," * 3_000_000 + "\n"
    with pytest.raises(TableError) as e:
        read_table(wide.encode(), "x.csv", headers=["姓名"], required=["姓名"])
    assert str(e.value) == zh(
        "Row %(row)d has more than %(n)s columns; delete the cells outside the table and "
        "upload it again.",
        row=3,
        n=2000,
    )
    ok = read_table("姓名,工号\n张三,T001\n".encode(), "x.csv", headers=["姓名"], required=["姓名"])
    assert [r for _n, r in ok.rows] == [["张三", "T001"]]
