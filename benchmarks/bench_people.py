"""Benchmarks of people: the list with its filters, a profile, the API, the 50,000-row
people import and the people export."""

from __future__ import annotations

import io
import itertools
import random
import time

from jiaoyan.core.bench import BenchContext, Import, Job, Page, bench_city_path


def county(ctx: BenchContext) -> int:
    return ctx.pk("orgs.OrgUnit", code="610502")


def subject(ctx: BenchContext, name: str) -> int:
    return ctx.pk("orgs.Subject", name=name)


def teacher(ctx: BenchContext) -> int:
    return ctx.person_pk("teacher")


PAGES = [
    Page("people", "/people/", user="city_admin", grow="size=100"),
    Page("people by role", "/people/?role=teacher", user="city_admin", grow="size=100"),
    Page(
        "people by subject",
        lambda c: f"/people/?subject={subject(c, '数学')}",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "people within county",
        lambda c: f"/people/?within={county(c)}",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "people role+subject+county",
        lambda c: f"/people/?role=teacher&subject={subject(c, '数学')}&within={county(c)}",
        user="city_admin",
    ),
    Page("people search name", "/people/?q=王", user="city_admin", grow="size=100"),
    Page("people search staff no", "/people/?q=6105020018", user="city_admin"),
    Page("people by honour", "/people/?honour=key_teacher", user="city_admin"),
    Page("people any status", "/people/?status=", user="city_admin"),
    Page("people sorted by name", "/people/?sort=name", user="city_admin"),
    Page("people page 50", "/people/?page=50", user="city_admin"),
    Page("people page last", "/people/?page=last", user="city_admin"),
    Page("people", "/people/", user="district_researcher", grow="size=100"),
    Page("people", "/people/", user="principal", grow="size=100"),
    Page("people", "/people/", user="teacher"),
    Page("person detail", lambda c: f"/people/{teacher(c)}/", user="city_admin"),
    Page("person detail", lambda c: f"/people/{teacher(c)}/", user="teacher"),
    Page("api people", "/api/v1/people?limit=100", user="city_admin", grow="limit=500"),
    Page(
        "api people filtered",
        lambda c: f"/api/v1/people?role=teacher&subject=数学&within={county(c)}&limit=100",
        user="city_admin",
        grow="limit=500",
    ),
    Page("api people search", "/api/v1/people?q=王&limit=100", user="city_admin"),
    Page("api people offset", "/api/v1/people?limit=100&offset=50000", user="city_admin"),
    Page("api people", "/api/v1/people?limit=100", user="district_researcher"),
    Page("api person", lambda c: f"/api/v1/people/{teacher(c)}", user="city_admin"),
]


# --- the 50,000-row people import --------------------------------------------------------

UPDATE_SHARE = 0.6  # rows that re-import existing people (a third of them with changes)


def make_people_sheet(ctx: BenchContext, rows: int) -> tuple[bytes, str]:
    """A people sheet as a bureau sends it: the export of 30,000 existing school staff,
    a third of them edited (new phone, new title, a new honour), plus 20,000 new teachers
    spread over the real schools of the bench database, sorted by unit; a merged title
    row above the header, phones partly as number cells."""
    import xlsxwriter

    from jiaoyan.core.demo import weighted
    from jiaoyan.orgs.geo import FEMALE_GIVEN, MALE_GIVEN, SURNAMES
    from jiaoyan.orgs.models import School
    from jiaoyan.people.demo import SUBJECT_MIX
    from jiaoyan.people.models import Person
    from jiaoyan.people.sheets import PersonSheet

    rng = random.Random(f"bench-people-{rows}")
    city_path = bench_city_path()  # at province scale: the importing city_admin's city
    sheet = PersonSheet(actor=None)
    n_update = int(rows * UPDATE_SHARE)
    ids = list(
        Person.objects.filter(
            status="active", org_unit__kind="school", org_unit__path__startswith=city_path
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(rng.sample(ids, min(n_update, len(ids))))
    out: list[list] = []
    for i in range(0, len(chosen), 2000):
        qs = sheet.export_queryset().filter(pk__in=chosen[i : i + 2000])
        for row in sheet.export_rows(qs):
            r = rng.random()
            if r < 0.12:
                row[3] = f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}"
            elif r < 0.24:
                row[8] = rng.choice(["高级", "一级", "二级"])
            elif r < 0.33 and "骨干教师" not in row[9]:
                extra = f"骨干教师（县级，{rng.randint(2018, 2024)}）"
                row[9] = f"{row[9]}、{extra}" if row[9] else extra
            out.append(row)

    stage_names = {"preschool": "学前", "primary": "小学", "junior": "初中", "senior": "高中"}
    from jiaoyan.orgs.models import Stage

    stage_names.update(dict(Stage.objects.values_list("code", "name")))
    schools = [
        (s.org_unit.code, [st.code for st in s.stages.all()])
        for s in School.objects.filter(org_unit__path__startswith=city_path)
        .select_related("org_unit")
        .prefetch_related("stages")
        if s.stages.all()
    ]
    seq: dict[str, int] = {}
    for _ in range(rows - len(out)):
        code, stages = rng.choice(schools)
        seq[code] = seq.get(code, 0) + 1
        st = rng.choice(stages)
        female = rng.random() < 0.68
        given = FEMALE_GIVEN if female else MALE_GIVEN
        name = rng.choice(SURNAMES) + "".join(
            rng.choice(given) for _ in range(1 if rng.random() < 0.35 else 2)
        )
        honour = ""
        if rng.random() < 0.08:
            honour = f"骨干教师（{rng.choice(['市级', '县级'])}，{rng.randint(2016, 2024)}）"
        out.append(
            [
                f"{code}9{seq[code]:04d}",
                name,
                "女" if female else "男",
                f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}",
                code,
                "教师",
                weighted(rng, SUBJECT_MIX[st]),
                stage_names[st],
                rng.choice(["一级", "二级", "二级", "三级", "未定级"]),
                honour,
            ]
        )
    out.sort(key=lambda r: (r[4], r[0]))

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_numbers": False})
    ws = wb.add_worksheet(sheet.sheet_title)
    bold = wb.add_format({"bold": True})
    headers = [c.header for c in sheet.columns]
    ws.merge_range(0, 0, 0, len(headers) - 1, "渭南市教职工信息表（2025年秋季）", bold)
    ws.write_row(1, 0, headers, bold)
    for r, row in enumerate(out, start=2):
        for c, value in enumerate(row):
            if value == "":
                continue
            if c == 3 and r % 2:
                ws.write_number(r, c, int(value))  # phone typed as a number, as people do
            else:
                ws.write_string(r, c, value)
    wb.close()
    return buf.getvalue(), f"people-{rows}.xlsx"


def import_people(ctx: BenchContext, data: bytes, filename: str) -> dict:
    """Import as the city's bureau admin (scope checks included); the bench rolls back."""
    from jiaoyan.core import context
    from jiaoyan.core.sheets import run_import
    from jiaoyan.people.sheets import PersonSheet

    marks: list[tuple[str, float]] = [("reading", time.perf_counter())]

    def progress(phase: str, done: int, total: int) -> None:
        if marks[-1][0] != phase:
            marks.append((phase, time.perf_counter()))

    with context.write_context("web"):
        result = run_import(
            PersonSheet(actor=ctx.user("city_admin")),
            data,
            filename,
            progress=progress,
            job_label=filename,
        )
    marks.append(("end", time.perf_counter()))
    phases = {a[0]: round(b[1] - a[1], 2) for a, b in itertools.pairwise(marks)}
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": len(result.errors),
        "first_errors": [str(e) for e in result.errors[:3]],
        "phases": phases,
    }


IMPORTS = [Import("people import 50k", 50_000, make_people_sheet, import_people)]


def export_people(ctx: BenchContext) -> dict:
    response = ctx.client("city_admin").get("/people/?export=xlsx")
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return {"bytes": len(response.content)}


JOBS = [Job("export people xlsx", export_people)]
