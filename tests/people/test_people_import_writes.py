"""The people import's bulk write path: what it writes, in one slice or in many.

The write reads what exists as plain values and sends prepared statements
(``jiaoyan.core.bulk``), in slices of ``WRITE_SLICE`` rows; these tests pin down that the
result is the same as row-by-row logic would give: created, updated and unchanged people,
roles and their subjects, honours, versions and audit rows.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import xlsxwriter
from django.conf import settings

from jiaoyan.core import context
from jiaoyan.core.models import AuditLog
from jiaoyan.core.sheets import run_import
from jiaoyan.people import sheets as people_sheets
from jiaoyan.people.models import Honour, Person, RoleAssignment
from jiaoyan.people.sheets import PersonSheet

HEADERS = [
    "工号",
    "姓名",
    "性别",
    "手机号",
    "所属单位代码",
    "岗位",
    "学科",
    "学段",
    "职称",
    "荣誉称号",
]
SAMPLES = Path(settings.ROOT_DIR).parent / "shared" / "data"


def sheet(rows) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("教职工")
    ws.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, 1):
        ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


def do_import(data, actor=None, **kw):
    with context.write_context("cli"):
        return run_import(PersonSheet(actor=actor), data, "people.xlsx", **kw)


@pytest.fixture(params=[5000, 2], ids=["one-slice", "many-slices"])
def slice_size(request, monkeypatch):
    monkeypatch.setattr(people_sheets, "WRITE_SLICE", request.param)
    return request.param


def test_new_and_changed_people_are_written_once_each(world, slice_size):
    a = world.school_a.org_unit
    b = world.school_b.org_unit
    rows = [
        # unchanged: the teacher as the world made her
        ["T002", "张老师", "女", "13900000004", a.code, "教师", "数学", "初中", "一级", ""],
        # changed phone, title and a new honour
        [
            "T101",
            "刘老师",
            "女",
            "13911112222",
            b.code,
            "教师",
            "语文",
            "小学",
            "高级",
            "骨干教师（县级，2021）",
        ],
        # moved to another school, new subject
        ["T003", "周晓", "女", "13900000005", b.code, "心理教师", "语文", "小学", "一级", ""],
        # new people
        ["N001", "新老师", "男", "13700000001", a.code, "教师", "数学", "初中", "二级", ""],
        ["N002", "新老师二", "女", "", b.code, "教师", "语文、数学", "小学", "", "名师（市级）"],
    ]
    before_versions = dict(Person.objects.values_list("staff_no", "version"))
    result = do_import(sheet(rows), actor=world.city_admin)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 2, 1)

    liu = Person.objects.get(staff_no="T101")
    assert (liu.phone, liu.professional_title) == ("13911112222", "senior")
    assert liu.version == before_versions["T101"] + 1
    assert list(liu.honours.values_list("title", "level", "year")) == [
        ("key_teacher", "county", 2021)
    ]
    zhou = Person.objects.get(staff_no="T003")
    assert zhou.org_unit == b and zhou.version == before_versions["T003"] + 1
    assert Person.objects.get(staff_no="T002").version == before_versions["T002"]

    n2 = Person.objects.get(staff_no="N002")
    ra = n2.roles.get(is_active=True)
    assert (ra.role, ra.org_unit_id) == ("teacher", b.pk)
    assert sorted(ra.subjects.values_list("name", flat=True)) == ["数学", "语文"]
    assert list(ra.stages.values_list("code", flat=True)) == ["primary"]
    assert list(n2.honours.values_list("title", "level")) == [("master_teacher", "city")]

    logs = AuditLog.objects.filter(message__contains="people.xlsx")
    assert logs.filter(action="import_create").count() == 2
    updates = {log.object_repr: log.changes for log in logs.filter(action="import_update")}
    assert set(updates) == {"刘老师", "周晓"}
    assert updates["刘老师"]["professional_title"] == ["first", "senior"]
    assert updates["刘老师"]["honours"] == [None, ["骨干教师（县级，2021）"]]
    assert updates["周晓"]["org_unit"] == [a.name, b.name]
    # 周晓 is a counsellor at her new school now: a new role there.
    assert "roles" in updates["周晓"]
    assert RoleAssignment.objects.filter(person=zhou, role="counsellor", org_unit=b).exists()

    again = do_import(sheet(rows), actor=world.city_admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_changed_subjects_replace_the_old_ones(world, slice_size):
    a = world.school_a.org_unit
    row = ["T002", "张老师", "女", "13900000004", a.code, "教师", "物理", "初中", "一级", ""]
    result = do_import(sheet([row]))
    assert (result.updated, result.errors) == (1, [])
    ra = world.people["teacher"].roles.get(is_active=True)
    assert list(ra.subjects.values_list("name", flat=True)) == ["物理"]
    log = AuditLog.objects.get(action="import_update", object_id=world.people["teacher"].pk)
    assert log.changes["subjects"] == [["数学"], ["物理"]]


def test_honour_year_is_updated_in_place(world, slice_size):
    Honour.objects.create(
        person=world.people["teacher"], title="key_teacher", level="city", year=2019
    )
    a = world.school_a.org_unit
    row = [
        "T002",
        "张老师",
        "女",
        "13900000004",
        a.code,
        "教师",
        "数学",
        "初中",
        "一级",
        "骨干教师（市级，2022）",
    ]
    result = do_import(sheet([row]))
    assert result.updated == 1
    assert list(world.people["teacher"].honours.values_list("year", flat=True)) == [2022]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/data is not beside the checkout")
def test_the_sample_sheet_imports_as_documented(db, slice_size):
    with context.write_context("cli"):
        from jiaoyan.orgs.sheets import OrgUnitSheet, SchoolSheet

        units = run_import(OrgUnitSheet(), (SAMPLES / "org_units.xlsx").read_bytes(), "o.xlsx")
        assert units.errors == []
        run_import(
            SchoolSheet(), (SAMPLES / "schools.xlsx").read_bytes(), "s.xlsx", valid_only=True
        )
    data = (SAMPLES / "people.xlsx").read_bytes()
    strict = do_import(data)
    assert sorted({e.row for e in strict.errors}) == [12, 17, 23, 28, 29, 33, 35]
    assert Person.objects.count() == 0
    first = do_import(data, valid_only=True)
    assert (first.created, first.updated) == (56, 0)
    second = do_import(data, valid_only=True)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 56)
