"""Malformed and hostile input: a clear Chinese message, nothing written, never a 500.

Every bad file goes through the service, the upload page and the API. Tolerated oddities
(title rows above the header, merged cells, date cells) are read as a person reads them.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from jiaoyan.core import cells
from jiaoyan.core.models import ImportJob
from jiaoyan.orgs.models import OrgUnit, School
from tests.support import import_bytes, read_xlsx, sample, sparse_xlsx, xlsx_bytes, zh

SCHOOL_HEADER = [
    "学校代码",
    "学校名称",
    "所属区划代码",
    "办学类型",
    "学段",
    "城乡类型",
    "是否薄弱学校",
    "学生数",
    "教师数",
    "地址",
]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + b"\x00" * 40


def school_row(code="6105020099", name="临渭区测试小学", division="610502001", **over):
    row = dict(
        zip(
            SCHOOL_HEADER,
            [code, name, division, "小学", "小学", "乡村", "否", 300, 20, "某路1号"],
            strict=True,
        )
    )
    row.update(over)
    return [row[h] for h in SCHOOL_HEADER]


def _malformed() -> dict[str, tuple[bytes, str | None]]:
    """file name -> (bytes, the message id of the expected file-level error or None)."""
    rnd = random.Random(20240630)
    return {
        "empty.xlsx": (b"", "The file is empty."),
        "picture.xlsx": (PNG, "The file is not a valid spreadsheet (it may be damaged)."),
        "truncated.xlsx": (
            sample("schools.xlsx")[:400],
            "The file is not a valid spreadsheet (it may be damaged).",
        ),
        "random.csv": (bytes(rnd.randrange(256) for _ in range(3000)), None),
        "nul.csv": (b"\x00\x01\x02" * 100, None),
        "no_headers.csv": (
            "名称,代码\n某小学,1\n".encode(),
            None,  # "No header row …; missing: 学校代码、…"
        ),
        "sparse.xlsx": (sparse_xlsx(SCHOOL_HEADER), None),  # refused before a dense read
        "header_only.xlsx": (
            xlsx_bytes([SCHOOL_HEADER]),
            "The sheet has a header row but no data rows.",
        ),
    }


MALFORMED = _malformed()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_service_reports_a_file_level_error(world, name):
    data, msgid = MALFORMED[name]
    before = OrgUnit.objects.count()
    result = import_bytes("schools", data, name, actor=world.city_admin, valid_only=True)
    assert not result.ok and not result.written
    assert len(result.errors) == 1 and result.errors[0].row == 0
    if msgid:
        assert result.errors[0].message == zh(msgid)
    assert OrgUnit.objects.count() == before


def test_missing_headers_are_named(world):
    result = import_bytes("schools", "名称,代码\n某小学,1\n".encode(), "x.csv")
    message = result.errors[0].message
    assert "学校代码" in message and "所属区划代码" in message and "城乡类型" in message


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_upload_page_never_500(world, client_for, django_capture_on_commit_callbacks, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data, _msgid = MALFORMED[name]
    client = client_for(world.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/imports/new/",
            {"kind": "schools", "mode": "valid_only", "file": SimpleUploadedFile(name, data)},
        )
    assert resp.status_code in (200, 302)
    if resp.status_code == 200:  # refused by the form: the message is on the page
        assert 'data-testid="file-error"' in resp.content.decode() or "form-errors" in (
            resp.content.decode()
        )
    else:
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.REJECTED
        page = client.get(resp["Location"])
        assert page.status_code == 200
        assert 'data-testid="error-row"' in page.content.decode()
        assert job.errors[0]["row"] == 0
    assert not School.objects.exclude(pk__in=[s.pk for s in world.schools.values()]).exists()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_api_upload_never_500(world, api_for, django_capture_on_commit_callbacks, name):
    data, _msgid = MALFORMED[name]
    api = api_for(world.city_admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post("/api/v1/imports/schools", {"file": SimpleUploadedFile(name, data)})
    assert resp.status_code in (202, 400), resp.content
    if resp.status_code == 400:
        assert resp.json()["detail"]
    else:
        job = api.get(f"/api/v1/import-jobs/{resp.json()['id']}").json()
        assert job["status"] == "rejected"
        assert job["errors"][0]["row"] == 0 and job["errors"][0]["message"]


def test_wrong_extension_is_refused_on_the_page(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = client_for(world.city_admin).post(
        "/imports/new/",
        {"kind": "schools", "mode": "all", "file": SimpleUploadedFile("a.txt", b"hello")},
    )
    assert resp.status_code == 200
    assert zh("Upload an Excel (.xlsx, .xls), OpenDocument (.ods) or CSV file.") in (
        resp.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_header_below_two_title_rows(world):
    data = xlsx_bytes(
        [
            ["临渭区学校信息表"],
            ["填表单位：临渭区教育局", None, None, "填表日期：2024年6月30日"],
            SCHOOL_HEADER,
            school_row(),
        ],
        merges=["A1:J1"],
    )
    result = import_bytes("schools", data, "titled.xlsx", actor=world.city_admin)
    assert result.ok and result.created == 1, result.errors
    assert OrgUnit.objects.get(code="6105020099").parent == world.units["renmin"]


def test_merged_cells_are_filled_with_their_value(world):
    """A region written once in a merged cell spanning three rows applies to all three."""
    rows = [
        ["学校表"],
        SCHOOL_HEADER,
        school_row("6105020101", "甲小学"),
        school_row("6105020102", "乙小学", division=None),
        school_row("6105020103", "丙小学", division=None),
    ]
    data = xlsx_bytes(rows, merges=["A1:J1", "C3:C5"])
    result = import_bytes("schools", data, "merged.xlsx", actor=world.city_admin)
    assert result.ok and result.created == 3, result.errors
    parents = set(
        OrgUnit.objects.filter(code__in=["6105020101", "6105020102", "6105020103"]).values_list(
            "parent__code", flat=True
        )
    )
    assert parents == {"610502001"}


def test_a_date_cell_in_a_number_column_is_a_row_error(world):
    rows = [SCHOOL_HEADER, school_row(), school_row("6105020100", "另一小学")]
    rows[1][SCHOOL_HEADER.index("学生数")] = dt.datetime(2024, 6, 30)
    data = xlsx_bytes(rows)
    result = import_bytes("schools", data, "dates.xlsx", actor=world.city_admin)
    assert [(e.row, e.column) for e in result.errors] == [(2, "学生数")]
    assert result.errors[0].message == zh("is not a whole number")
    assert not OrgUnit.objects.filter(code__in=["6105020099", "6105020100"]).exists()


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dt.datetime(2024, 6, 30, 8, 0), dt.date(2024, 6, 30)),
        (dt.date(2024, 6, 30), dt.date(2024, 6, 30)),
        (45473, dt.date(2024, 6, 30)),  # an Excel serial
        (45473.0, dt.date(2024, 6, 30)),
        ("45473", dt.date(2024, 6, 30)),
        ("2024年6月30日", dt.date(2024, 6, 30)),
        ("2024/9/30", dt.date(2024, 9, 30)),
        ("2024.12.31", dt.date(2024, 12, 31)),
        ("２０２４-０６-３０", dt.date(2024, 6, 30)),
        ("2024-06-30 12:00:00", dt.date(2024, 6, 30)),
        ("20240630", dt.date(2024, 6, 30)),
        ("  ", None),
        (None, None),
    ],
)
def test_date_cells(raw, expected):
    assert cells.date(raw) == expected


@pytest.mark.parametrize("raw", ["长期", "2024-02-30", "明天", True, -3, "2024年13月1日"])
def test_bad_dates_say_why(raw):
    with pytest.raises(cells.CellError) as e:
        cells.date(raw)
    assert str(e.value)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("１２３４", 1234),
        ("56 ", 56),
        (56.0, 56),
        ("1,200", 1200),
        (" ", None),
    ],
)
def test_integer_cells(raw, expected):
    assert cells.integer(raw, minimum=0) == expected


@pytest.mark.parametrize("raw", ["12.5", "abc", "-5", True, 3.5, "=1+1"])
def test_bad_integers(raw):
    with pytest.raises(cells.CellError):
        cells.integer(raw, minimum=0)


FORMULA = "=cmd|' /C calc'!A0"


def test_formula_like_name_is_stored_as_text_and_exported_as_text(world, client_for):
    rows = [SCHOOL_HEADER, school_row(name=FORMULA, address="@SUM(1+1)*cmd|' /C calc'!A0")]
    result = import_bytes("schools", xlsx_bytes(rows), "hostile.xlsx", actor=world.city_admin)
    assert result.ok, result.errors
    unit = OrgUnit.objects.get(code="6105020099")
    assert unit.name == FORMULA
    resp = client_for(world.city_admin).get("/orgs/schools/?export=xlsx&q=6105020099")
    assert resp.status_code == 200
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == FORMULA)
    assert cell.data_type == "s"  # a string, never a formula Excel would run
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_formula_in_a_code_column_is_a_row_error(world):
    rows = [SCHOOL_HEADER, school_row(code="=1+2")]
    result = import_bytes("schools", xlsx_bytes(rows), "hostile.xlsx", actor=world.city_admin)
    assert [(e.row, e.column) for e in result.errors] == [(2, "学校代码")]
    assert not result.written


def test_script_in_a_name_is_escaped_on_the_pages(world, client_for):
    name = "<script>alert(1)</script>小学"
    rows = [SCHOOL_HEADER, school_row(name=name)]
    result = import_bytes("schools", xlsx_bytes(rows), "hostile.csv.xlsx", actor=world.city_admin)
    assert result.ok
    school = School.objects.get(org_unit__code="6105020099")
    client = client_for(world.city_admin)
    for url in [f"/orgs/schools/{school.pk}/", "/orgs/schools/?q=6105020099", "/orgs/"]:
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
    detail = client.get(f"/orgs/schools/{school.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;小学" in detail
    api = client.get(f"/api/v1/schools/{school.pk}").json()
    assert api["name"] == name  # data is data: the API returns it as written


def test_very_long_names_are_row_errors(world):
    rows = [SCHOOL_HEADER, school_row(name="长" * 101), school_row("6105020100")]
    result = import_bytes("schools", xlsx_bytes(rows), "long.xlsx", actor=world.city_admin)
    assert [(e.row, e.column) for e in result.errors] == [(2, "学校名称")]
    assert result.errors[0].message == zh("is longer than 100 characters")
    assert not OrgUnit.objects.filter(code="6105020100").exists()  # nothing written

    people = [
        ["工号", "姓名", "所属单位代码", "岗位"],
        ["X001", "名" * 51, "6105020001", "教师"],
    ]
    result = import_bytes("people", xlsx_bytes(people), "p.xlsx", actor=world.city_admin)
    assert [(e.row, e.column) for e in result.errors] == [(2, "姓名")]


def test_a_huge_cell_does_not_crash(world):
    rows = [SCHOOL_HEADER, school_row(code="9" * 5000, address="址" * 100000)]
    result = import_bytes("schools", xlsx_bytes(rows), "huge.xlsx", actor=world.city_admin)
    assert [(e.row, e.column) for e in result.errors] == [(2, "学校代码")]
    assert len(result.errors[0].value) <= 100


def test_duplicate_header_is_a_file_level_error(world):
    rows = [[*SCHOOL_HEADER, "学校代码"], school_row()]
    result = import_bytes("schools", xlsx_bytes(rows), "dup.xlsx", actor=world.city_admin)
    assert [e.row for e in result.errors] == [0]
    assert "学校代码" in result.errors[0].message


def test_extra_columns_are_ignored_with_a_notice(world):
    rows = [[*SCHOOL_HEADER, "备注"], [*school_row(), "新建"]]
    result = import_bytes("schools", xlsx_bytes(rows), "extra.xlsx", actor=world.city_admin)
    assert result.ok and result.ignored_headers == ["备注"]
    assert any("备注" in n for n in result.notices)


def test_exported_error_report_lists_rows_and_columns(world, client_for):
    """The error report of a rejected upload is itself a readable workbook."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    rows = [SCHOOL_HEADER, school_row(code=""), school_row(division="000000")]
    client = client_for(world.city_admin)
    resp = client.post(
        "/imports/new/",
        {
            "kind": "schools",
            "mode": "all",
            "file": SimpleUploadedFile("bad.xlsx", xlsx_bytes(rows)),
        },
    )
    job = ImportJob.objects.get()
    assert resp.status_code == 302
    # The job runs after the upload's transaction commits; run it as the worker would.
    from jiaoyan.core.jobs import run_job

    with transaction.atomic():
        run_job.call(job.job_id)
    report = client.get(f"/imports/{job.pk}/errors.xlsx")
    assert report.status_code == 200
    data = read_xlsx(report.content)
    assert [(r[0], r[1]) for r in data[2:]] == [(2, "学校代码"), (3, "所属区划代码")]
