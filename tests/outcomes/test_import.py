"""Outcomes import (成果名单): the template's columns are the export's, so an exported list
imports back unchanged; the unit, the authors, the project and the community are found
through the scoped resolver (absent and out of reach look the same); hostile or malformed
cells give a Chinese report by row and column and nothing is written."""

from __future__ import annotations

import pytest

from jiaoyan.core.audit import AuditLog
from jiaoyan.core.sheets import export_xlsx, run_import
from jiaoyan.outcomes.models import Outcome
from jiaoyan.outcomes.sheets import OutcomeSheet
from tests.projects.conftest import apply, approve, experts, make_call, today  # noqa: F401
from tests.support import xlsx_bytes

from .conftest import make_outcome

pytestmark = pytest.mark.usefixtures("chinese")
HEADER = [
    "提交单位代码",
    "成果类别",
    "成果名称",
    "年份",
    "作者工号",
    "课题立项编号",
    "共同体编号",
    "摘要",
]


def _file(*rows) -> bytes:
    return xlsx_bytes([HEADER, *rows])


def test_import_then_reimport_changes_nothing(world):
    actor = world.users["district_researcher"]
    data = _file(
        ["6105020001", "典型案例", "分层作业的典型案例", 2025, "T002、T001", "", "", "九年级数学"],
        ["６１０５０２０００２", "论文", "  乡村小学阅读教学  ", "2025", "T101", "", "", ""],
    )
    result = run_import(OutcomeSheet(actor=actor), data, "成果.xlsx")
    assert result.ok and (result.created, result.updated) == (2, 0), result.errors
    case = Outcome.objects.get(title="分层作业的典型案例")
    assert case.kind == "case" and case.org_unit == world.schools["school_a"].org_unit
    assert sorted(p.staff_no for p in case.authors.all()) == ["T001", "T002"]
    assert Outcome.objects.filter(title="乡村小学阅读教学", org_unit__code="6105020002").exists()
    again = run_import(OutcomeSheet(actor=actor), data, "成果.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # The export is the template: it imports back unchanged.
    exported = export_xlsx(OutcomeSheet(actor=actor))
    back = run_import(OutcomeSheet(actor=actor), exported, "export.xlsx")
    assert back.ok and (back.created, back.updated, back.unchanged) == (0, 0, 2), back.errors
    # A changed summary updates the outcome.
    changed = _file(
        ["6105020001", "典型案例", "分层作业的典型案例", 2025, "T002、T001", "", "", "修订后的摘要"]
    )
    r = run_import(OutcomeSheet(actor=actor), changed, "成果.xlsx")
    assert (r.created, r.updated) == (0, 1)
    case.refresh_from_db()
    assert case.summary == "修订后的摘要"


def test_a_project_is_named_by_its_number_through_the_resolver(world, today, experts):  # noqa: F811
    w = world
    p = approve(w, apply(w, make_call(w)), experts)
    actor = w.users["principal"]
    data = _file(["6105020001", "典型案例", "课题中的案例", 2025, "T002", p.number, "", ""])
    r = run_import(OutcomeSheet(actor=actor), data, "成果.xlsx")
    assert r.ok, r.errors
    assert Outcome.objects.get(title="课题中的案例").project == p


def test_hostile_and_malformed_cells_are_reported_and_nothing_is_written(world):
    make_outcome(world, title="已有成果")
    before = (Outcome.objects.count(), AuditLog.objects.count())
    actor = world.users["district_researcher"]
    data = _file(
        # 华州区's school: out of reach, reported as if it did not exist
        ["6105030001", "典型案例", "越界的成果", 2025, "", "", "", ""],
        ["9999999999", "典型案例", "不存在的单位", 2025, "", "", "", ""],
        ["6105020001", "诗歌", "未知类别", 2025, "", "", "", ""],
        ["6105020001", "论文", "", 2025, "", "", "", ""],
        ["6105020001", "论文", "年份不对", "明年", "", "", "", ""],
        ["6105020001", "论文", "年份越界", 1899, "", "", "", ""],
        ["6105020001", "论文", "作者越界", 2025, "H101", "", "", ""],
        ["6105020001", "论文", "没有这个课题", 2025, "", "610500901-2025-9999", "", ""],
        ["6105020001", "论文", '=HYPERLINK("http://x","点我")' + "长" * 130, 2025, "", "", "", ""],
        ["6105020001", "论文", "<script>alert(1)</script>", 2025, "", "", "", "摘" * 4001],
    )
    r = run_import(OutcomeSheet(actor=actor), data, "成果.xlsx")
    assert not r.ok and not r.written
    assert (Outcome.objects.count(), AuditLog.objects.count()) == before
    by_row = {(e.row, e.column): e.message for e in r.errors}
    rows = sorted({e.row for e in r.errors})
    unit_msgs = {m for (row, col), m in by_row.items() if col == "提交单位代码"}
    # Out of reach and absent: one and the same message.
    assert len(unit_msgs) == 1
    cols = list(by_row)
    for row, col in [
        (rows[0], "提交单位代码"),
        (rows[1], "提交单位代码"),
        (rows[2], "成果类别"),
        (rows[3], "成果名称"),
        (rows[4], "年份"),
        (rows[5], "年份"),
        (rows[6], "作者工号"),
        (rows[7], "课题立项编号"),
        (rows[8], "成果名称"),
        (rows[9], "摘要"),
    ]:
        assert (row, col) in by_row, (row, col, cols)
    for message in by_row.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    # Every row is bad: the valid-only mode writes nothing either; a good row alone is
    # stored (a title that looks like markup is text).
    good = _file(["6105020001", "论文", "<script>alert(1)</script>", 2025, "", "", "", ""])
    run_import(OutcomeSheet(actor=actor), data, "成果.xlsx", valid_only=True)
    assert not Outcome.objects.exclude(title="已有成果").exists()
    r = run_import(OutcomeSheet(actor=actor), good, "成果.xlsx")
    assert r.ok and Outcome.objects.filter(title="<script>alert(1)</script>").exists()


def test_a_teacher_may_not_import_for_another_school(world):
    data = _file(["6105020002", "论文", "别校的成果", 2025, "", "", "", ""])
    r = run_import(OutcomeSheet(actor=world.users["teacher"]), data, "成果.xlsx")
    assert not r.ok and not Outcome.objects.filter(title="别校的成果").exists()
    assert [e.column for e in r.errors] == ["提交单位代码"]


def test_the_lists_export_is_the_template_and_reimports(world, client_for):
    make_outcome(world, title="列表导出的案例")
    actor = world.users["district_researcher"]
    page = client_for(actor).get("/outcomes/").content.decode()
    assert "?kind=outcomes" in page  # the import, from the list
    exported = client_for(actor).get("/outcomes/?export=xlsx").content
    r = run_import(OutcomeSheet(actor=actor), exported, "成果.xlsx")
    assert r.ok and (r.created, r.updated, r.unchanged) == (0, 0, 1), r.errors
