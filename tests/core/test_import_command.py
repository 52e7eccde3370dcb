"""``jiaoyan import KIND FILE [--dry-run] [--valid-only]`` and ``jiaoyan export KIND FILE``.

Exit status 0 only when the command wrote what it was asked to; errors on stderr by row and
column. Run in-process (call_command) against the test database, and once as a real
process against a fresh SQLite database to see the real exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import Person
from tests.support import DATA, load_org_units_and_schools, read_xlsx


def jiaoyan(*args) -> tuple[int, str, str]:
    """Run ``jiaoyan import|export`` in-process: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as e:
        return int(e.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_import_org_units_exits_0(db):
    code, out, err = jiaoyan("import", "org_units", str(DATA / "org_units.xlsx"))
    assert code == 0 and err == ""
    assert "共 14 行" in out and "新增 14" in out
    assert OrgUnit.objects.count() == 14


def test_normal_import_with_errors_exits_1_and_writes_nothing(db):
    jiaoyan("import", "org_units", str(DATA / "org_units.xlsx"))
    code, out, err = jiaoyan("import", "schools", str(DATA / "schools.xlsx"))
    assert code == 1
    assert School.objects.count() == 0
    lines = err.strip().splitlines()
    assert len(lines) == 5
    for row, column, line in zip(
        [11, 18, 24, 30, 36],
        ["学校代码", "学校代码", "所属区划代码", "学生数", "城乡类型"],
        lines,
        strict=True,
    ):
        assert str(row) in line and f"「{column}」" in line
    assert "未写入任何数据" in out


def test_valid_only_exits_0_and_writes_the_valid_rows(db):
    jiaoyan("import", "org_units", str(DATA / "org_units.xlsx"))
    code, out, err = jiaoyan("import", "schools", str(DATA / "schools.xlsx"), "--valid-only")
    assert code == 0
    assert len(err.strip().splitlines()) == 5  # the skipped rows are still listed
    assert School.objects.count() == 55
    code, out, _err = jiaoyan("import", "schools", str(DATA / "schools.xlsx"), "--valid-only")
    assert code == 0 and "未变 55" in out
    assert School.objects.count() == 55


def test_dry_run_never_writes(db):
    code, out, _err = jiaoyan("import", "org_units", str(DATA / "org_units.xlsx"), "--dry-run")
    assert code == 0 and "将新增 14" in out
    assert OrgUnit.objects.count() == 0
    jiaoyan("import", "org_units", str(DATA / "org_units.xlsx"))
    code, _out, err = jiaoyan("import", "schools", str(DATA / "schools.xlsx"), "--dry-run")
    assert code == 1 and len(err.strip().splitlines()) == 5
    assert School.objects.count() == 0


def test_people_import_through_the_command(db):
    load_org_units_and_schools()
    code, _out, err = jiaoyan("import", "people", str(DATA / "people.xlsx"))
    assert code == 1 and len(err.strip().splitlines()) == 7
    assert Person.objects.count() == 0
    code, _out, _err = jiaoyan("import", "people", str(DATA / "people.xlsx"), "--valid-only")
    assert code == 0 and Person.objects.count() == 56
    code, out, _err = jiaoyan("import", "people", str(DATA / "people_gb18030.csv"), "--dry-run")
    assert code == 1 and "未变 33" in out


def test_unknown_kind_and_missing_file_are_command_errors(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("import", "nonsense", str(DATA / "schools.xlsx"))
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import", "schools", str(tmp_path / "missing.xlsx"))


def test_a_broken_file_exits_1_with_a_file_level_error(db, tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    code, _out, err = jiaoyan("import", "schools", str(bad), "--valid-only")
    assert code == 1 and err.strip()
    assert OrgUnit.objects.count() == 0


@pytest.mark.parametrize("kind", ["org_units", "schools", "people"])
def test_export_round_trip_changes_nothing(db, tmp_path, kind):
    load_org_units_and_schools()
    jiaoyan("import", "people", str(DATA / "people.xlsx"), "--valid-only")
    target = tmp_path / f"{kind}.xlsx"
    code, out, _err = jiaoyan("export", kind, str(target))
    assert code == 0 and target.exists()
    expected = {"org_units": 14, "schools": 55, "people": 56}[kind]
    assert f"已导出 {expected} 行" in out
    code, out, err = jiaoyan("import", kind, str(target))
    assert code == 0, err
    assert f"共 {expected} 行" in out
    assert "新增 0，更新 0" in out and f"未变 {expected}" in out


def test_exported_people_keep_phones_honours_and_roles(db, tmp_path):
    load_org_units_and_schools()
    jiaoyan("import", "people", str(DATA / "people.xlsx"), "--valid-only")
    target = tmp_path / "people.xlsx"
    jiaoyan("export", "people", str(target))
    rows = read_xlsx(target.read_bytes())
    header = rows[1]
    assert header == [
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
        "参加教育工作时间",
    ]
    by_no = {r[0]: dict(zip(header, r, strict=False)) for r in rows[2:]}
    assert by_no["T2023003"]["手机号"] == "13800138001"
    assert by_no["R2023001"]["荣誉称号"] == "学科带头人（市级）"
    assert by_no["R2023001"]["岗位"] == "教研员" and by_no["R2023001"]["学科"] == "数学"


def test_export_as_a_user_exports_what_they_see(world, tmp_path):
    target = tmp_path / "schools.xlsx"
    code, out, _err = jiaoyan("export", "schools", str(target), "--as", "principal")
    assert code == 0 and "已导出 1 行" in out
    codes = [r[0] for r in read_xlsx(target.read_bytes())[2:]]
    assert codes == ["6105020001"]


def test_the_real_command_exit_codes(tmp_path):
    """The console script itself, on a fresh embedded database."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env["JIAOYAN_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "jiaoyan.settings"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "jiaoyan", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("migrate", "--noinput", "-v", "0").returncode == 0
    assert run("import", "org_units", str(DATA / "org_units.xlsx"), "--dry-run").returncode == 0
    assert run("import", "org_units", str(DATA / "org_units.xlsx")).returncode == 0
    normal = run("import", "schools", str(DATA / "schools.xlsx"))
    assert normal.returncode == 1
    assert len(normal.stderr.strip().splitlines()) == 5 and "学校代码" in normal.stderr
    assert run("import", "schools", str(DATA / "schools.xlsx"), "--dry-run").returncode == 1
    assert run("import", "schools", str(DATA / "schools.xlsx"), "--valid-only").returncode == 0
    again = run("import", "schools", str(DATA / "schools.xlsx"), "--valid-only")
    assert again.returncode == 0 and "未变 55" in again.stdout
    export = run("export", "schools", str(tmp_path / "s.xlsx"))
    assert export.returncode == 0 and "已导出 55 行" in export.stdout
    back = run("import", "schools", str(tmp_path / "s.xlsx"))
    assert back.returncode == 0 and "新增 0，更新 0，未变 55" in back.stdout
