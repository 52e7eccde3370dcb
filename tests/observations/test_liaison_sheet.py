"""Import and export of liaison schools (联点联校) through the sheet framework."""

import io

from openpyxl import Workbook, load_workbook

from jiaoyan.core.sheets import export_xlsx, run_import
from jiaoyan.observations.models import LiaisonAssignment
from jiaoyan.observations.sheets import LiaisonSheet
from jiaoyan.people.models import Person
from tests.support import no_such

HEADER = ["教研员工号", "教研员姓名", "联系学校代码", "开始日期", "备注"]


def sheet(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["2024年联点联校安排"])  # a title row above the header, as people write
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_is_checked_then_idempotent(world):
    admin = world.users["city_admin"]
    data = sheet(
        [
            ["R001", "韩梅", "6105020001、6105020002", "2024-09-01", "初中数学"],
            ["X999", "无此人", "6105020001", None, None],
            ["T002", "张老师", "6105020001", None, None],
            ["R001", "韩梅", "6105020001", None, None],
        ]
    )
    result = run_import(LiaisonSheet(actor=admin), data, "liaison.xlsx")
    assert not result.written
    assert [(e.row, e.column) for e in result.errors] == [
        (4, "教研员工号"),
        (5, "教研员工号"),
        (6, "教研员工号"),
    ]
    assert result.errors[0].message == no_such(Person)
    assert "不是在岗教研员" in result.errors[1].message
    assert not LiaisonAssignment.objects.exists()
    good = sheet([["R001", "韩梅", "6105020001、6105020002", "2024-09-01", "初中数学"]])
    first = run_import(LiaisonSheet(actor=admin), good, "liaison.xlsx")
    assert first.ok and first.created == 1
    assert LiaisonAssignment.objects.filter(is_active=True).count() == 2
    again = run_import(LiaisonSheet(actor=admin), good, "liaison.xlsx")
    assert again.ok and again.unchanged == 1 and again.created == again.updated == 0
    fewer = sheet([["R001", "韩梅", "6105020001", None, None]])
    third = run_import(LiaisonSheet(actor=admin), fewer, "liaison.xlsx")
    assert third.updated == 1
    assert list(
        LiaisonAssignment.objects.filter(is_active=True).values_list("school__code", flat=True)
    ) == ["6105020001"]


def test_outside_scope_and_export(world):
    data = sheet([["R001", "韩梅", "6105020001", None, None]])
    result = run_import(LiaisonSheet(actor=world.users["outsider"]), data, "x.xlsx")
    # R001 (临渭区's researcher) is beyond the outsider's scope: as unknown as no one.
    assert [e.message for e in result.errors] == [no_such(Person)]
    run_import(
        LiaisonSheet(actor=world.users["city_admin"]),
        sheet([["R001", "韩梅", "6105020001、6105020002", None, None]]),
        "x.xlsx",
    )
    content = export_xlsx(LiaisonSheet(actor=world.users["city_admin"]))
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("教研员工号", "教研员姓名", "联系学校代码")
    assert rows[2][:3] == ("R001", "韩梅", "6105020001、6105020002")
    # The export imports back unchanged.
    back = run_import(LiaisonSheet(actor=world.users["city_admin"]), content, "back.xlsx")
    assert back.ok and back.unchanged == 1
