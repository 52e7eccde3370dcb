"""Attendance sheets: export per activity, import (also as a correction after the
finish), idempotent re-import, every error by row and column, nothing written on error."""

from __future__ import annotations

import io

import openpyxl
import pytest

from jiaoyan.activities import services
from jiaoyan.activities.models import Participation
from jiaoyan.activities.sheets import AttendanceSheet
from jiaoyan.core.sheets import export_xlsx, run_import
from jiaoyan.hours.models import HoursRecord


def _sheet(rows, title=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["签到表（测试）"])
    ws.append(["活动编号", "会场", "工号", "姓名", "单位", "报名状态", "签到状态", "签到时间"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def started(world, published):
    return services.start_activity(actor=world.users["district_researcher"], activity=published)


def test_import_marks_attendance_and_adds_walk_ins(world, started):
    a = started
    day = a.starts_at.astimezone().strftime("%Y-%m-%d")
    data = _sheet(
        [
            [a.pk, "一中分会场", "T002", "张老师", "", "", "出席", f"{day} 09:01"],
            [a.pk, "", "T101", "刘老师", "", "", "迟到", "09:40"],
            [a.pk, "", "T001", "", "", "", "请假", None],
        ]
    )
    sheet = AttendanceSheet(actor=world.users["district_researcher"])
    result = run_import(sheet, data, "签到.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    marks = dict(
        Participation.objects.filter(activity=a).values_list("person__staff_no", "attendance")
    )
    assert marks == {"T002": "present", "T101": "late", "T001": "excused", "H101": ""}
    a.refresh_from_db()
    assert a.checked_in_count == 2 and a.participant_count == 4
    again = run_import(AttendanceSheet(actor=world.users["district_researcher"]), data, "签到.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (
        a.participations.get(person__staff_no="T002").checked_in_at.astimezone().strftime("%H:%M")
        == "09:01"
    )


def test_export_imports_back_unchanged(world, started):
    qs = (
        AttendanceSheet(actor=world.users["district_researcher"])
        .export_queryset()
        .filter(activity=started)
    )
    content = export_xlsx(AttendanceSheet(actor=world.users["district_researcher"]), qs)
    result = run_import(
        AttendanceSheet(actor=world.users["district_researcher"]), content, "导出.xlsx"
    )
    assert result.ok and result.created == 0 and result.updated == 0


def test_errors_are_reported_by_row_and_column_and_nothing_is_written(world, started, published):
    other = __import__("tests.activities.conftest", fromlist=["make_activity"]).make_activity(world)
    data = _sheet(
        [
            [started.pk, "", "T002", "", "", "", "出席", "09:00"],
            [started.pk, "", "NOPE", "", "", "", "出席", ""],
            [999999, "", "T001", "", "", "", "出席", ""],
            [started.pk, "不存在的会场", "T003", "", "", "", "出席", ""],
            [started.pk, "", "T101", "", "", "", "到过", ""],
            [other.pk, "", "A001", "", "", "", "出席", ""],
            [started.pk, "", "H101", "", "", "", "出席", "25:00"],
        ]
    )
    result = run_import(AttendanceSheet(actor=world.users["district_researcher"]), data, "x.xlsx")
    got = {(e.row, e.column) for e in result.errors}
    assert got == {
        (4, "工号"),
        (5, "活动编号"),
        (6, "会场"),
        (7, "签到状态"),
        (8, "活动编号"),  # a draft: no attendance yet
        (9, "签到时间"),
    }, [str(e) for e in result.errors]
    assert not result.written
    assert not Participation.objects.filter(attendance__in=["present", "late"]).exists()


def test_outsiders_cannot_import_into_an_activity_they_do_not_organise(world, started):
    data = _sheet([[started.pk, "", "T002", "", "", "", "出席", ""]])
    for name in ("outsider", "principal"):
        result = run_import(AttendanceSheet(actor=world.users[name]), data, "x.xlsx")
        assert result.errors and not result.written


def test_a_correction_after_the_finish_moves_the_hours(world, started):
    researcher = world.users["district_researcher"]
    finished = services.finish_activity(actor=researcher, activity=started)
    assert not HoursRecord.objects.exists()  # nobody checked in
    data = _sheet([[finished.pk, "", "T002", "", "", "", "出席", "09:05"]])
    result = run_import(AttendanceSheet(actor=researcher), data, "补录.xlsx")
    assert result.ok
    assert HoursRecord.objects.get().person == world.people["teacher"]
