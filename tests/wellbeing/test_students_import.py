"""The roster import (kind ``students``) with ../shared/data/students.xlsx, exactly as its
README says; names are stored encrypted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from jiaoyan.core.models import AuditLog
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.wellbeing.models import Student
from tests.support import error_cells, import_sample, load_org_units_and_schools, no_such, zh

ERRORS = [(13, "学生编号"), (18, "学校代码"), (23, "性别"), (28, "出生日期"), (33, "年级")]


@pytest.fixture
def schools(db):
    load_org_units_and_schools()


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC), tick=False):
        yield


def test_normal_import_reports_exactly_the_five_errors_and_writes_nothing(schools):
    result = import_sample("students", "students.xlsx")
    assert error_cells(result) == ERRORS
    assert not result.ok and not result.written
    assert result.rows == 40
    assert Student.objects.count() == 0
    messages = {e.row: e.message for e in result.errors}
    assert messages[13] == zh("duplicates row %(row)d (“%(value)s”)", row=12, value="S00010010")
    assert messages[18] == no_such(OrgUnit)
    assert "男" in messages[23] and "女" in messages[23]
    assert messages[28] == zh("is in the future")
    assert messages[33] == zh("is not a grade (一年级 … 十二年级, 初一 … 高三)")


def test_valid_rows_write_35_students_and_twice_leaves_35(schools):
    first = import_sample("students", "students.xlsx", valid_only=True)
    assert first.ok and first.written
    assert error_cells(first) == ERRORS
    assert (first.created, first.updated, first.unchanged) == (35, 0, 0)
    assert Student.objects.count() == 35
    logs = AuditLog.objects.count()
    second = import_sample("students", "students.xlsx", valid_only=True)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 35)
    assert Student.objects.count() == 35
    assert AuditLog.objects.count() == logs


def test_tolerated_cells_are_cleaned(schools):
    import_sample("students", "students.xlsx", valid_only=True)
    s = {x.key: x for x in Student.objects.all()}
    assert s["S00050002"].birth_date == dt.date(2013, 3, 5)  # 2013年3月5日, row 4
    assert s["S00180003"].birth_date == dt.date(2016, 11, 20)  # 2016/11/20, row 5
    assert s["S00010001"].birth_date == dt.date(2016, 1, 1)  # a date cell, row 3
    assert s["S00010004"].class_name == "2班"  # （2）班, row 6
    assert s["S00050005"].grade == 7  # 初一, row 7
    assert s["S00180006"].name == "欧阳 一诺"  # trimmed at the ends, row 8
    assert s["S00010001"].gender == Student.Gender.FEMALE
    # The audit rows name the key, never the name.
    assert not AuditLog.objects.filter(changes__icontains="王子涵").exists()
    assert AuditLog.objects.filter(object_repr="S00010001").exists()


def test_a_counsellor_without_the_permission_cannot_import(world, chinese):
    from jiaoyan.core.imports import kinds_for
    from jiaoyan.core.sheets import run_import
    from jiaoyan.wellbeing.sheets import StudentSheet
    from tests.support import xlsx_bytes

    assert StudentSheet in kinds_for(world.counsellor)
    data = xlsx_bytes(
        [
            ["学生编号", "姓名", "性别", "出生日期", "学校代码", "年级", "班级"],
            ["X1", "甲同学", "男", "2012-01-01", "6105020001", "七年级", "1班"],
        ]
    )
    result = run_import(StudentSheet(actor=world.counsellor), data, "r.xlsx")
    assert error_cells(result) == [(2, "学校代码")]
    assert Student.objects.count() == 0


def test_the_command_line_and_the_import_page_offer_the_kind(schools):
    import contextlib
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.test import Client

    from jiaoyan.people.models import User
    from tests.support import DATA

    path = str(DATA / "students.xlsx")
    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    with contextlib.suppress(CommandError, SystemExit):
        call_command("import", "students", path, **quiet)
    assert Student.objects.count() == 0
    call_command("import", "students", path, "--valid-only", **quiet)
    assert Student.objects.count() == 35
    root = User.objects.create_superuser("root2", password="root-password-1")
    client = Client()
    client.force_login(root)
    form = client.get("/imports/new/?kind=students")
    assert form.status_code == 200 and 'value="students" selected' in form.content.decode()
