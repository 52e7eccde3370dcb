"""参加教育工作时间 (``Person.teaching_since``) in the people sheet: the template and the
export carry the same columns; an import writes the date, a blank cell leaves it as it is
(none for a new person), and a malformed or future date is refused in Chinese with the row
not written."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine

from jiaoyan.core.sheets import export_xlsx, template_xlsx
from jiaoyan.people.models import Person
from jiaoyan.people.sheets import PersonSheet
from tests.people.test_people_import_writes import HEADERS, do_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]

COLUMNS = [*HEADERS, "参加教育工作时间"]


def _sheet(rows) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("教职工")
    ws.write_row(0, 0, COLUMNS)
    for r, row in enumerate(rows, 1):
        ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


def _header(data: bytes) -> list[str]:
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1)) if c.value]


def _row(world, staff_no, name, since):
    a = world.school_a.org_unit
    return [staff_no, name, "女", "", a.code, "教师", "数学", "初中", "一级", "", since]


@time_machine.travel(dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.UTC), tick=False)
def test_teaching_since_is_imported_kept_when_blank_and_exported(world):
    result = do_import(
        _sheet([_row(world, "T201", "王老师", "2016-09-01"), _row(world, "T202", "赵老师", "")])
    )
    assert result.errors == []
    assert Person.objects.get(staff_no="T201").teaching_since == dt.date(2016, 9, 1)
    assert Person.objects.get(staff_no="T202").teaching_since is None

    # Again: a blank cell leaves her date as it is; a new date replaces it.
    result = do_import(
        _sheet([_row(world, "T201", "王老师", ""), _row(world, "T202", "赵老师", "2010年9月1日")])
    )
    assert result.errors == []
    assert Person.objects.get(staff_no="T201").teaching_since == dt.date(2016, 9, 1)
    assert Person.objects.get(staff_no="T202").teaching_since == dt.date(2010, 9, 1)

    # The template and the export have the same columns, the date among them.
    sheet = PersonSheet(actor=None)
    assert _header(template_xlsx(sheet))[: len(COLUMNS)] == COLUMNS
    exported = openpyxl.load_workbook(io.BytesIO(export_xlsx(sheet))).worksheets[0]
    rows = list(exported.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r and r[0] == "工号")  # below the title
    header = list(rows[at])
    assert header[: len(COLUMNS)] == COLUMNS
    col = header.index("参加教育工作时间")
    by_staff = {r[0]: r[col] for r in rows[at + 1 :]}
    assert by_staff["T201"] == "2016-09-01"
    assert by_staff["T202"] == "2010-09-01"


@time_machine.travel(dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("bad", ["2016-13-01", "去年九月", "2030-09-01"])
def test_a_malformed_date_is_refused_and_the_row_not_written(world, bad):
    result = do_import(_sheet([_row(world, "T301", "钱老师", bad)]))
    assert [e.column for e in result.errors] == ["参加教育工作时间"]
    message = result.errors[0].message
    assert any(w in message for w in ("日期", "今天")), message
    assert not Person.objects.filter(staff_no="T301").exists()
