"""A workbook that would abort the process reading it (calamine lays a sheet out densely:
a 5 KB .xlsx with a cell at XFD1048576 asks for half a terabyte) is read in a child
process (``core.sheetreader``): the upload is refused with a clear message on every import
path, and the web or task worker that received it goes on serving."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiaoyan.core import sheetreader
from jiaoyan.core.models import ImportJob
from jiaoyan.core.tabular import TableError, read_table
from tests.quality.test_api import EXAM_IN
from tests.support import sparse_xlsx, xlsx_bytes, zh

EXTENT = (
    "The sheet has values as far as row %(rows)s, column %(columns)s — beyond what an "
    "import reads (%(max_rows)s rows, %(max_columns)s columns). Delete the cells outside "
    "the table and upload it again."
)


def _refusal() -> str:
    return zh(EXTENT, rows=1048576, columns=16384, max_rows=200000, max_columns=2000)


def test_the_reader_refuses_a_sparse_workbook_before_reading_it():
    with pytest.raises(TableError) as e:
        read_table(sparse_xlsx(), "x.xlsx", headers=["姓名"], required=["姓名"])
    assert str(e.value) == _refusal()


def test_an_abort_in_the_reader_ends_only_its_child():
    """Past the extent check (limits raised), the dense read hits the child's memory cap
    and the child aborts: the caller gets a refusal and carries on."""
    huge = sheetreader.Limits(rows=10**8, columns=10**6, memory_mb=512, seconds=60)
    with pytest.raises(sheetreader.SheetRefused) as e:
        sheetreader.read_rows(sparse_xlsx(), (), huge)
    assert e.value.code == "aborted"
    rows, _merged, sheet = sheetreader.read_rows(xlsx_bytes([["姓名"], ["张三"]]), ())
    assert rows == [["姓名"], ["张三"]] and sheet == "Sheet1"


def test_formatted_empty_cells_far_away_are_not_values():
    """Whole columns formatted in Excel write styled, empty cells down to row 1048576;
    they hold no value and do not count towards the sheet's extent."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "工号"])
    ws.append(["张三", "T001"])
    ws["B1048576"].font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "x.xlsx", headers=["姓名", "工号"], required=["姓名"])
    assert next(r for _n, r in table.rows)[:2] == ["张三", "T001"]


def test_quality_uploads_refuse_it(world, api_for, client_for, django_capture_on_commit_callbacks):
    api = api_for(world.users["city_admin"])
    exam = api.post(
        "/api/v1/exams",
        {**EXAM_IN, "org_unit": world.units["city_bureau"].pk},
        content_type="application/json",
    )
    assert exam.status_code == 201, exam.content
    exam_id = exam.json()["id"]
    for url in (
        f"/api/v1/exams/{exam_id}/scores",
        f"/api/v1/exams/{exam_id}/items?subject=英语",
        "/api/v1/balance/inputs",
    ):
        with django_capture_on_commit_callbacks(execute=True):
            r = api.post(url, {"file": SimpleUploadedFile("s.xlsx", sparse_xlsx())})
        assert r.status_code in (400, 202), (url, r.content)
        body = r.json()
        if r.status_code == 400:
            assert body["errors"][0]["message"] == _refusal(), url
        else:
            job = ImportJob.objects.get(pk=body["id"])
            assert job.errors[0]["message"] == _refusal(), url
    # The server is still up: the next request is answered.
    assert api.get(f"/api/v1/exams/{exam_id}").status_code == 200


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 20])
def test_the_extent_is_the_same_whatever_the_chunks(size):
    """The sheet's XML arrives in chunks that may cut a cell anywhere."""
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(sparse_xlsx())).read("xl/worksheets/sheet1.xml")
    extent = sheetreader._Extent()
    for i in range(0, len(xml), size):
        extent.feed(xml[i : i + size])
    extent.feed(b"", last=True)
    assert (extent.rows, extent.columns) == (1048576, 16384)
