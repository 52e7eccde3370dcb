"""Helpers shared by the tests (not fixtures: those live in conftest.py).

* ``DATA``: the real-world sample sheets of ``shared/data`` (see its README.md), found
  beside the checkout as CI lays it out, or through ``JIAOYAN_SAMPLE_DATA``.
* ``zh(msgid)``: what a message id reads in the UI language (zh-Hans). Tests compare
  pages and errors with it, so they check the message the user is shown.
* ``import_sample`` / ``import_bytes``: run the import service the CLI and pages use.
* ``bulk_schools`` / ``bulk_people``: many rows at once, for query-count tests.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext

ROOT = Path(__file__).resolve().parent.parent


def _data_dir() -> Path:
    candidates = [
        os.environ.get("JIAOYAN_SAMPLE_DATA", ""),
        ROOT.parent / "shared" / "data",
        "/work/shared/data",
    ]
    for c in candidates:
        if c and (Path(c) / "schools.xlsx").exists():
            return Path(c)
    raise RuntimeError(
        "The sample sheets (shared/data) were not found beside the checkout; "
        "set JIAOYAN_SAMPLE_DATA to their folder."
    )


DATA = _data_dir()

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(msgid: str, **params) -> str:
    """``msgid`` as the UI shows it (zh-Hans), with %-parameters filled in."""
    with translation.override("zh-hans"):
        text = gettext(msgid)
    return text % params if params else text


def no_such(model) -> str:
    """The scoped resolver's one message (zh-Hans) for a reference to ``model`` that names
    nothing the user may see — the same for an absent and an out-of-scope object."""
    from jiaoyan.core.resolve import unresolved

    with translation.override("zh-hans"):
        return unresolved(model, field=None).text


def catalogue_translated() -> bool:
    """True once the zh_Hans catalogues carry translations (they are filled separately)."""
    return zh("Log in") != "Log in"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def import_bytes(kind: str, data: bytes, filename: str, *, actor=None, **options):
    """Run an import through the service (``jiaoyan.core.sheets.run_import``)."""
    from jiaoyan.core import context
    from jiaoyan.core.sheets import get_kind, run_import

    with context.write_context("cli" if actor is None else "web"):
        return run_import(get_kind(kind)(actor=actor), data, filename, **options)


def import_sample(kind: str, name: str, *, actor=None, **options):
    return import_bytes(kind, sample(name), name, actor=actor, **options)


def load_org_units_and_schools() -> None:
    """org_units.xlsx, then the 55 valid schools: what people.xlsx refers to."""
    units = import_sample("org_units", "org_units.xlsx")
    assert units.ok and units.created + units.updated + units.unchanged == 14, units.errors
    schools = import_sample("schools", "schools.xlsx", valid_only=True)
    assert schools.ok and len(schools.errors) == 5, schools.errors[:8]


def error_cells(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


def xlsx_bytes(rows, *, merges=(), sheet_title="Sheet1") -> bytes:
    """A workbook written by openpyxl (another writer than ours): rows of cell values."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    for row in rows:
        ws.append(list(row))
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as typed with a quote
    for rng in merges:
        ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sparse_xlsx(header=("姓名", "工号")) -> bytes:
    """A 5 KB workbook whose only other cell is at XFD1048576: read densely, it asks for
    half a terabyte and aborts the process that reads it."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    ws["XFD1048576"] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(content: bytes) -> list[list]:
    """The cells of a workbook's first sheet, as openpyxl reads them."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def header_row(content: bytes, first_header: str) -> list[str]:
    for row in read_xlsx(content):
        if row and row[0] == first_header:
            return [c for c in row if c is not None]
    raise AssertionError(f"no header row starting with {first_header}")


# --- many rows at once -------------------------------------------------------------


def bulk_schools(parent, n: int, *, prefix: str = "88"):
    """``n`` schools under ``parent`` (a region), each with two stages."""
    from jiaoyan.orgs.models import OrgUnit, School, Stage

    units = OrgUnit.objects.bulk_create(
        [
            OrgUnit(
                code=f"{prefix}{i:06d}",
                name=f"批量测试学校{i}",
                parent=parent,
                level=OrgUnit.Level.SCHOOL,
                kind=OrgUnit.Kind.SCHOOL,
            )
            for i in range(n)
        ]
    )
    if units and units[0].pk is None:
        ids = dict(
            OrgUnit.objects.filter(code__in=[u.code for u in units]).values_list("code", "pk")
        )
        for u in units:
            u.pk = ids[u.code]
    for u in units:
        u.path = f"{parent.path}{u.pk}/"
        u.depth = u.path.count("/") - 2
    OrgUnit.objects.bulk_update(units, ["path", "depth"])
    schools = School.objects.bulk_create(
        [
            School(org_unit=u, kind=School.Kind.PRIMARY, location="rural", student_count=100)
            for u in units
        ]
    )
    stages = list(Stage.objects.filter(code__in=["primary", "junior"]))
    Through = School.stages.through
    Through.objects.bulk_create(
        [Through(school_id=s.pk, stage_id=st.pk) for s in schools for st in stages]
    )
    return schools


def bulk_people(unit, n: int, *, prefix: str = "B", role: str = "teacher", scope=None):
    """``n`` people of ``unit``, each with an active role (two subjects) and an honour."""
    from jiaoyan.orgs.models import Stage, Subject
    from jiaoyan.people.models import Honour, Person, RoleAssignment

    Person.objects.bulk_create(
        [
            Person(
                staff_no=f"{prefix}{i:05d}",
                name=f"批量{i}",
                org_unit=unit,
                phone=f"137{i:08d}",
                gender="male",
                professional_title="second",
            )
            for i in range(n)
        ]
    )
    people = list(Person.objects.filter(staff_no__startswith=prefix).order_by("staff_no"))
    target = scope or unit.scope_root
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(person=p, role=role, org_unit=target) for p in people]
    )
    ras = list(RoleAssignment.objects.filter(person__in=people))
    subjects = list(Subject.objects.filter(name__in=["语文", "数学"]))
    stage = Stage.objects.get(code="primary")
    SubThrough = RoleAssignment.subjects.through
    SubThrough.objects.bulk_create(
        [SubThrough(roleassignment_id=ra.pk, subject_id=s.pk) for ra in ras for s in subjects]
    )
    StageThrough = RoleAssignment.stages.through
    StageThrough.objects.bulk_create(
        [StageThrough(roleassignment_id=ra.pk, stage_id=stage.pk) for ra in ras]
    )
    Honour.objects.bulk_create(
        [Honour(person=p, title="key_teacher", level="county", year=2020) for p in people]
    )
    return people


# --- the demo data set --------------------------------------------------------------


def demo_digest() -> str:
    """A fingerprint of the demo data by natural keys and values (not database ids)."""
    import hashlib
    import json

    from django.contrib.auth import get_user_model

    from jiaoyan.orgs.models import OrgUnit, School
    from jiaoyan.people.models import Honour, Person, RoleAssignment

    parts = {
        "units": sorted(
            OrgUnit.objects.values_list("code", "name", "parent__code", "level", "kind", "depth")
        ),
        "schools": sorted(
            (
                s.org_unit.code,
                s.kind,
                s.location,
                s.is_weak,
                s.student_count,
                s.teacher_count,
                s.address,
                sorted(st.code for st in s.stages.all()),
            )
            for s in School.objects.select_related("org_unit").prefetch_related("stages")
        ),
        "people": sorted(
            Person.objects.values_list(
                "staff_no",
                "name",
                "gender",
                "phone",
                "org_unit__code",
                "professional_title",
                "status",
                "user__username",
            ),
            key=lambda r: r[0],
        ),
        "roles": sorted(
            (
                ra.person.staff_no,
                ra.role,
                ra.org_unit.code,
                sorted(s.name for s in ra.subjects.all()),
                sorted(s.code for s in ra.stages.all()),
            )
            for ra in RoleAssignment.objects.select_related("person", "org_unit").prefetch_related(
                "subjects", "stages"
            )
        ),
        "honours": sorted(Honour.objects.values_list("person__staff_no", "title", "level", "year")),
        "accounts": sorted(get_user_model().objects.values_list("username", flat=True)),
    }
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def planner_rows(model) -> int | None:
    """The query planner's row count of ``model``'s table, None when it holds no
    statistics of it: SQLite's ``sqlite_stat1`` (its first figure), PostgreSQL's
    ``reltuples`` (-1 until the table's first ANALYZE)."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            n = cursor.fetchone()[0]
            return None if n < 0 else int(n)
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        row = cursor.fetchone()
        return None if row is None else int(row[0].split()[0])
