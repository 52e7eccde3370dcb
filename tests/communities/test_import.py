"""Membership import (.xlsx): community code, staff number, role, join date — errors by
row and column, idempotent re-import, the rules checked per row and across rows."""

from __future__ import annotations

import io

import openpyxl
import pytest

from jiaoyan.communities.models import Membership
from jiaoyan.communities.sheets import MembershipSheet
from jiaoyan.core.sheets import export_xlsx, run_import

from .conftest import START

pytestmark = pytest.mark.usefixtures("chinese")


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["共同体编号", "工号", "角色", "加入日期"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_then_reimport_changes_nothing(world, studio):
    data = _xlsx(
        [
            ["MS-LW-001", "T101", "核心成员", START.isoformat()],
            ["ms-lw-001", "T003", "成员", START.isoformat()],
        ]
    )
    actor = world.users["district_researcher"]
    result = run_import(MembershipSheet(actor=actor), data, "members.xlsx")
    assert result.ok and result.created == 2, [str(e) for e in result.errors]
    again = run_import(MembershipSheet(actor=actor), data, "members.xlsx")
    assert again.ok and again.created == 0 and again.unchanged == 2
    assert Membership.objects.get(person=world.people["teacher_b"]).role == "core"
    # The export re-imports unchanged.
    exported = export_xlsx(MembershipSheet(actor=actor))
    back = run_import(MembershipSheet(actor=actor), exported, "export.xlsx")
    assert back.ok and back.created == 0 and back.updated == 0, [str(e) for e in back.errors]


def test_errors_by_row_and_nothing_written(world, studio):
    data = _xlsx(
        [
            ["MS-LW-001", "T101", "成员", START.isoformat()],
            ["MS-NOPE", "T101", "成员", START.isoformat()],
            ["MS-LW-001", "H101", "成员", START.isoformat()],  # beyond 临渭区: unknown to the actor
            ["MS-LW-001", "T003", "成员", "2000-01-01"],  # before the period
            ["MS-LW-001", "T101", "成员", START.isoformat()],  # repeats row 2
        ]
    )
    result = run_import(MembershipSheet(actor=world.users["district_researcher"]), data, "m.xlsx")
    assert not result.ok and not result.written
    rows = {e.row for e in result.errors}
    assert rows == {3, 4, 5, 6}, [str(e) for e in result.errors]
    assert studio.members.count() == 1


def test_other_district_cannot_import_into_it(world, studio):
    data = _xlsx([["MS-LW-001", "H101", "成员", START.isoformat()]])
    result = run_import(MembershipSheet(actor=world.users["outsider"]), data, "m.xlsx")
    assert not result.ok
    assert studio.members.count() == 1
