"""The real-world sample sheets (shared/data/README.md) through the import service.

Exactly what the README promises: which rows and columns are wrong, what is tolerated and
how it is cleaned, what a normal import, a valid-rows-only import and a re-import write.
"""

from __future__ import annotations

import pytest

from jiaoyan.core.models import AuditLog
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import Honour, Person, RoleAssignment
from tests.support import error_cells, import_sample, load_org_units_and_schools, no_such, zh

SCHOOL_ERRORS = [
    (11, "学校代码"),
    (18, "学校代码"),
    (24, "所属区划代码"),
    (30, "学生数"),
    (36, "城乡类型"),
]
PEOPLE_ERRORS = [
    (12, "手机号"),
    (17, "所属单位代码"),
    (23, "工号"),
    (28, "姓名"),
    (29, "所属单位代码"),
    (33, "岗位"),
    (35, "所属单位代码"),
]
CSV_ERROR_ROWS = [11, 16, 22, 27, 28, 32, 34]


@pytest.fixture
def units(db):
    result = import_sample("org_units", "org_units.xlsx")
    assert result.ok, result.errors
    return result


@pytest.fixture
def schools_loaded(db):
    load_org_units_and_schools()


def test_org_units_import_creates_the_14_units(db):
    result = import_sample("org_units", "org_units.xlsx")
    assert result.ok and result.errors == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (14, 14, 0, 0)
    assert OrgUnit.objects.count() == 14
    linwei = OrgUnit.objects.get(code="610502")
    assert linwei.parent.code == "610500" and linwei.level == "county"
    assert OrgUnit.objects.get(code="610502902").kind == "institute"
    assert OrgUnit.objects.get(code="610502001").path.startswith(linwei.path)
    assert AuditLog.objects.filter(action="import_create").count() == 14


def test_org_units_reimport_changes_nothing(units):
    logs = AuditLog.objects.count()
    again = import_sample("org_units", "org_units.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 14)
    assert AuditLog.objects.count() == logs


def test_schools_normal_import_reports_the_five_errors_and_writes_nothing(units):
    result = import_sample("schools", "schools.xlsx")
    assert error_cells(result) == SCHOOL_ERRORS
    assert not result.ok and not result.written
    assert result.rows == 60 and result.created == 0
    assert School.objects.count() == 0
    assert OrgUnit.objects.filter(kind="school").count() == 0
    messages = {e.row: e.message for e in result.errors}
    assert messages[11] == zh("is required but empty")
    assert messages[18] == zh("duplicates row %(row)d (“%(value)s”)", row=17, value="6105020015")
    assert messages[24] == no_such(OrgUnit)  # 619999: no such region
    assert messages[30] == zh("must not be negative")
    assert "城乡结合部" in messages[36] and "城区" in messages[36]


def test_schools_valid_only_writes_55_and_twice_leaves_55(units):
    first = import_sample("schools", "schools.xlsx", valid_only=True)
    assert first.ok and first.written
    assert error_cells(first) == SCHOOL_ERRORS
    assert (first.created, first.updated, first.unchanged) == (55, 0, 0)
    assert School.objects.count() == 55
    logs = AuditLog.objects.count()

    second = import_sample("schools", "schools.xlsx", valid_only=True)
    assert second.ok and not second.written
    assert (second.created, second.updated, second.unchanged) == (0, 0, 55)
    assert School.objects.count() == 55
    assert AuditLog.objects.count() == logs
    # The rejected rows' schools do not exist.
    assert not OrgUnit.objects.filter(code__in=["6105030022", "6105030028", "6105220034"]).exists()
    assert OrgUnit.objects.get(code="6105020015").name == "临渭区育才中学"  # row 17, not row 18


def test_schools_tolerated_cells_are_cleaned(units):
    import_sample("schools", "schools.xlsx", valid_only=True)
    school = School.objects.select_related("org_unit")
    assert school.get(org_unit__code="6105020003").org_unit.name == "临渭区第三小学"  # row 5
    assert school.get(org_unit__code="6105020004").student_count == 1234  # row 6: １２３４
    assert school.get(org_unit__code="6105020005").teacher_count == 56  # row 7: "56 "
    nine_year = school.get(org_unit__code="6105030024")  # 学段 小学、初中
    assert sorted(nine_year.stages.values_list("code", flat=True)) == ["junior", "primary"]
    weak = school.get(org_unit__code="6105020007")
    assert weak.is_weak and weak.kind == "senior" and weak.location == "township"
    assert weak.org_unit.parent.code == "610502"


def test_schools_dry_run_counts_but_writes_nothing(units):
    result = import_sample("schools", "schools.xlsx", dry_run=True)
    assert not result.ok  # errors: a dry run says the file would not import
    assert School.objects.count() == 0


def test_people_normal_import_reports_the_seven_errors(schools_loaded):
    result = import_sample("people", "people.xlsx")
    assert error_cells(result) == PEOPLE_ERRORS
    assert not result.ok and not result.written and result.created == 0
    assert Person.objects.count() == 0
    messages = {e.row: e.message for e in result.errors}
    assert messages[12] == zh("must be an 11-digit mobile number (found %(n)d digits)", n=10)
    assert messages[23] == zh("duplicates row %(row)d (“%(value)s”)", row=22, value="T2023019")
    assert messages[29] == no_such(OrgUnit)  # 6105030028: no such unit
    assert "门卫" in messages[33]


def test_people_valid_only_writes_56_and_a_reimport_changes_nothing(schools_loaded):
    first = import_sample("people", "people.xlsx", valid_only=True)
    assert first.ok and error_cells(first) == PEOPLE_ERRORS
    assert (first.created, first.updated, first.unchanged) == (56, 0, 0)
    assert Person.objects.count() == 56
    assert RoleAssignment.objects.filter(is_active=True).count() == 56
    logs = AuditLog.objects.count()
    honours = Honour.objects.count()

    second = import_sample("people", "people.xlsx", valid_only=True)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 56)
    assert not second.written
    assert Person.objects.count() == 56
    assert RoleAssignment.objects.count() == 56
    assert Honour.objects.count() == honours
    assert AuditLog.objects.count() == logs


def test_people_tolerated_cells_and_honours(schools_loaded):
    import_sample("people", "people.xlsx", valid_only=True)
    by_no = {p.staff_no: p for p in Person.objects.all()}
    assert by_no["T2023001"].name == "张\u3000伟"  # row 4: inner full-width space kept
    assert by_no["T2023002"].gender == "male"  # row 5: "男 "
    assert by_no["T2023003"].phone == "13800138001"  # row 6: "138 0013 8001"
    assert by_no["T2023000"].phone == "13800000000"  # a number cell
    assert by_no["R2023001"].name == "韩\u3000梅"

    honour = Honour.objects.get(person=by_no["T2023000"])
    assert (honour.title, honour.level) == (Honour.Title.KEY_TEACHER, Honour.Level.CITY)
    leader = Honour.objects.get(person=by_no["R2023001"])
    assert (leader.title, leader.level) == (Honour.Title.SUBJECT_LEADER, Honour.Level.CITY)
    master = Honour.objects.get(person=by_no["R2023002"])
    assert (master.title, master.level) == (Honour.Title.MASTER_TEACHER, Honour.Level.PROVINCE)
    assert Honour.objects.filter(title="key_teacher", level="city").count() == 6

    # A researcher of an institute governs the institute's region; school staff their school.
    ra = RoleAssignment.objects.get(person=by_no["R2023001"])
    assert (ra.role, ra.org_unit.code) == ("researcher", "610502")
    assert [s.name for s in ra.subjects.all()] == ["数学"]
    assert [s.code for s in ra.stages.all()] == ["junior"]
    counsellor = RoleAssignment.objects.get(person=by_no["C2023001"])
    assert (counsellor.role, counsellor.org_unit.code) == ("counsellor", "6105020004")
    assert by_no["T2023000"].professional_title == "second"
    assert by_no["R2023002"].professional_title == "senior_plus"


def test_people_gb18030_csv(schools_loaded):
    result = import_sample("people", "people_gb18030.csv")
    assert [e.row for e in result.errors] == CSV_ERROR_ROWS
    assert [c for _r, c in error_cells(result)] == [c for _r, c in PEOPLE_ERRORS]
    assert result.rows == 40 and result.valid_rows == 33
    assert Person.objects.count() == 0

    written = import_sample("people", "people_gb18030.csv", valid_only=True)
    assert written.created == 33
    assert Person.objects.get(staff_no="T2023001").name == "张\u3000伟"
    assert Person.objects.get(staff_no="T2023003").phone == "13800138001"


def test_people_from_csv_then_xlsx_updates_nothing_twice(schools_loaded):
    """The CSV is the first 40 rows of the workbook: the workbook adds the rest."""
    import_sample("people", "people_gb18030.csv", valid_only=True)
    result = import_sample("people", "people.xlsx", valid_only=True)
    assert (result.created, result.updated, result.unchanged) == (23, 0, 33)


def test_import_audit_rows_name_the_file_and_changed_fields(units):
    import_sample("schools", "schools.xlsx", valid_only=True)
    log = AuditLog.objects.filter(action="import_create", object_repr="临渭区第三小学").get()
    assert "schools.xlsx" in log.message
    assert log.changes["name"] == [None, "临渭区第三小学"]
    assert log.changes["student_count"] == [None, 411]
    assert log.source == "cli"
