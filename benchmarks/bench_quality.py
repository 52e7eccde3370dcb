"""Benchmarks of education-quality analysis (issue 6), in the format of benchmarks/README.md:
the report pages and API calls read stored results (p95 ≤ 100 ms at city scale), the
60,000 students × 9 subjects score import (≤ 20 s) and the full recompute of the city's
中考 (≤ 10 s, under 1 GB).

Until ``jiaoyan.core.bench`` is on this branch the records below are plain stand-ins with
the same fields; ``benchmarks/quality_timings.py`` runs them without the bench command.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

try:
    from jiaoyan.core.bench import BenchContext, Import, Job, Page
except ImportError:  # the bench command is not merged yet: same shapes, read by quality_timings

    @dataclass
    class Page:  # type: ignore[no-redef]
        name: str
        path: Any
        user: str = "city_admin"
        grow: str = ""
        target_ms: int = 100
        max_queries: int = 30
        status: int = 200
        headers: dict = field(default_factory=dict)

    @dataclass
    class Import:  # type: ignore[no-redef]
        name: str
        rows: int
        make: Any
        run: Any
        target_seconds: float = 15
        target_rss_mb: int = 500

    @dataclass
    class Job:  # type: ignore[no-redef]
        name: str
        run: Any
        target_seconds: float | None = None
        target_rss_mb: int | None = None
        rollback: bool = True

    BenchContext = Any  # type: ignore[misc,assignment]


def zhongkao(ctx) -> int:
    return ctx.pk(
        "quality.Exam", kind="zhongkao", order_by="-candidates_count", org_unit__path=city(ctx)
    )


def city(ctx) -> str:
    """The path of the bench city (at province scale, city_admin's of the ten)."""
    from jiaoyan.core.bench import bench_city_path

    return ctx.once("bench-city", bench_city_path)


def report_docx(ctx) -> str:
    """The download of a school's .docx report, prepared first (the page's POST: a GET
    starts nothing)."""
    from jiaoyan.orgs.models import OrgUnit
    from jiaoyan.quality import services
    from jiaoyan.quality.models import Exam

    exam, school = Exam.objects.get(pk=zhongkao(ctx)), OrgUnit.objects.get(pk=a_school(ctx))
    services.school_report_document(
        actor=ctx.user("city_admin"), exam=exam, school=school, subject=None
    )
    return f"/quality/{exam.pk}/schools/{school.pk}/?format=docx"


def monitoring(ctx) -> int:
    return ctx.pk(
        "quality.Exam", kind="monitoring", stage__code="primary", org_unit__path=city(ctx)
    )


def entry(ctx) -> int:
    return ctx.pk("quality.Exam", kind="monitoring", grade=7, org_unit__path=city(ctx))


def math(ctx) -> int:
    return ctx.pk("quality.ExamSubject", exam_id=zhongkao(ctx), name="数学")


def a_school(ctx, user: str = "city_admin") -> int:
    """A school of the 中考 the user sees (the principal's own school when it took part)."""

    def find() -> int:
        from jiaoyan.quality.models import GroupStat

        qs = GroupStat.objects.visible_to(ctx.user(user)).filter(
            exam_id=zhongkao(ctx), level="school", subject__isnull=True
        )
        pk = qs.order_by("-n").values_list("org_unit_id", flat=True).first()
        if pk is None:
            raise LookupError(f"{user} sees no school of the 中考")
        return pk

    return ctx.once(f"quality-school-{user}", find)


def _exam_pages(user: str) -> list:
    return [
        Page(
            "quality exam overview",
            lambda c: f"/quality/{zhongkao(c)}/",
            user=user,
            grow="size=100",
        ),
        Page(
            "quality subject report total",
            lambda c: f"/quality/{zhongkao(c)}/subjects/total/",
            user=user,
            grow="size=100",
        ),
        Page(
            "quality subject report math + items",
            lambda c: f"/quality/{zhongkao(c)}/subjects/{math(c)}/",
            user=user,
        ),
        Page(
            "quality subject report classes",
            lambda c: f"/quality/{zhongkao(c)}/subjects/total/?level=class",
            user=user,
            grow="level=class&size=100",
        ),
        Page("quality exam balance", lambda c: f"/quality/{zhongkao(c)}/balance/", user=user),
        Page(
            "quality value-added",
            lambda c: f"/quality/value-added/?entry={entry(c)}&exit={zhongkao(c)}",
            user=user,
        ),
        Page(
            "api quality analysis schools",
            lambda c: f"/api/v1/exams/{zhongkao(c)}/analysis?level=school&subject=total&limit=100",
            user=user,
            grow="limit=500",
        ),
        Page(
            "api quality analysis classes",
            lambda c: f"/api/v1/exams/{zhongkao(c)}/analysis?level=class&subject=数学&limit=100",
            user=user,
            grow="limit=500",
        ),
        Page(
            "api quality balance",
            lambda c: f"/api/v1/exams/{zhongkao(c)}/balance?subject=total&indicator=mean",
            user=user,
        ),
        Page(
            "api quality items",
            lambda c: f"/api/v1/exams/{zhongkao(c)}/items?subject=数学",
            user=user,
        ),
        Page(
            "api quality value-added",
            lambda c: f"/api/v1/value-added?entry={entry(c)}&exit={zhongkao(c)}&level=school",
            user=user,
        ),
    ]


PAGES = [
    Page("quality exams", "/quality/", user="city_admin", grow="size=100", province=True),
    Page("quality exams", "/quality/", user="teacher"),
    *_exam_pages("city_admin"),
    *_exam_pages("district_researcher"),
    Page(
        "quality school report",
        lambda c: f"/quality/{zhongkao(c)}/schools/{a_school(c)}/",
        user="city_admin",
    ),
    Page(
        "quality school report",
        lambda c: f"/quality/{zhongkao(c)}/schools/{a_school(c, 'district_researcher')}/",
        user="district_researcher",
    ),
    Page("quality exam overview", lambda c: f"/quality/{zhongkao(c)}/", user="principal"),
    Page(
        "quality grade-6 overview",
        lambda c: f"/quality/{monitoring(c)}/",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "quality resource balance",
        "/quality/balance/?stage=junior",
        user="city_admin",
        province=True,
    ),
    Page("quality permissions", "/quality/permissions/", user="city_admin", grow="size=100"),
    Page(
        "quality school report docx",
        lambda c: report_docx(c),
        user="city_admin",
        target_ms=500,
    ),
]


# --- the 60,000 × 9 score import -------------------------------------------------------

SUBJECTS = [
    ("语文", 120),
    ("数学", 120),
    ("英语", 120),
    ("物理", 80),
    ("化学", 60),
    ("道德与法治", 60),
    ("历史", 60),
    ("生物", 50),
    ("地理", 50),
]


def make_score_sheet(ctx, rows: int) -> tuple[bytes, str]:
    """A city's 中考 score sheet as the exam office exports it: a merged title row, 考号,
    学校代码 (the real junior schools of the bench city), 班级, 性别, 学籍号, 姓名 (to be
    dropped), nine subject columns; some scores typed as text or in full-width digits,
    about 1% 缺考 or blank."""
    import numpy as np
    import xlsxwriter

    from jiaoyan.orgs.models import School

    rng = np.random.default_rng(rows)
    codes = list(
        School.objects.filter(
            kind__in=["junior", "nine_year", "complete_secondary"],
            org_unit__path__startswith=city(ctx),
        )
        .order_by("org_unit__code")
        .values_list("org_unit__code", flat=True)
    )
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("成绩")
    head = ["考号", "学校代码", "班级", "性别", "学籍号", "姓名", *[s for s, _f in SUBJECTS]]
    ws.merge_range(0, 0, 0, len(head) - 1, "2025年渭南市初中学业水平考试成绩")
    ws.write_row(1, 0, head)
    school = np.sort(rng.integers(0, len(codes), rows))
    ability = rng.normal(0, 1, rows)
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    for i in range(rows):
        r = i + 2
        ws.write_string(r, 0, f"2025{i:07d}")
        ws.write_string(r, 1, codes[school[i]])
        ws.write_string(r, 2, f"{i % 12 + 1}班")
        ws.write_string(r, 3, "男" if i % 2 else "女")
        ws.write_string(r, 4, f"G610500{i:09d}")
        ws.write_string(r, 5, "某某")
        for j, (_s, full) in enumerate(SUBJECTS):
            u = rng.random()
            if u < 0.006:
                ws.write_string(r, 6 + j, "缺考")
            elif u < 0.01:
                continue
            score = int(
                min(full, max(0, round(full * (0.62 + 0.16 * (ability[i] + rng.normal())))))
            )
            if u < 0.03:
                ws.write_string(r, 6 + j, str(score).translate(full_width))
            elif u < 0.06:
                ws.write_string(r, 6 + j, f" {score} ")
            else:
                ws.write_number(r, 6 + j, score)
    wb.close()
    return buf.getvalue(), f"zhongkao-{rows}.xlsx"


def import_scores(ctx, data: bytes, filename: str) -> dict:
    """Create a 中考 of the city and import the sheet into it as the city's admin, the way
    the exam page does: the upload is stored as an import job (``start_import``), then the
    job runs (``core.jobs.execute``, called here in-process rather than by the worker) with its
    progress written to the job as it goes. The stored upload is removed afterwards."""
    import datetime as dt

    from jiaoyan.core import context
    from jiaoyan.core.imports import start_import
    from jiaoyan.core.jobs import execute
    from jiaoyan.core.models import ImportJob
    from jiaoyan.orgs.models import OrgUnit, Stage
    from jiaoyan.quality import services

    admin = ctx.user("city_admin")
    city = OrgUnit.objects.get(code="610500")
    with context.write_context("web"):
        exam = services.create_exam(
            actor=admin,
            name="基准测试中考",
            kind="zhongkao",
            date=dt.date(2025, 6, 21),
            grade=9,
            stage=Stage.objects.get(code="junior"),
            org_unit=city,
            subjects=[{"name": s, "full_marks": f} for s, f in SUBJECTS],
        )
        t0 = time.perf_counter()
        job = start_import(
            actor=admin, kind="scores", filename=filename, data=data, params={"exam": exam.pk}
        )
        t1 = time.perf_counter()
    execute(job.job_id)  # what the worker does with the queued job
    t2 = time.perf_counter()
    job = ImportJob.objects.get(pk=job.pk)
    job.file.delete(save=False)
    result = job.result
    return {
        "rows": result.get("rows", 0),
        "created": result.get("created", 0),
        "updated": result.get("updated", 0),
        "unchanged": result.get("unchanged", 0),
        "errors": result.get("error_count", 0),
        "status": job.status,
        "first_errors": [e["message"] for e in result.get("errors", [])[:3]],
        "phases": {
            "store upload": round(t1 - t0, 2),
            **{k: round(v, 2) for k, v in result.get("seconds", {}).items()},
            "job": round(t2 - t1, 2),
        },
    }


IMPORTS = [
    Import(
        "quality scores 60k × 9",
        60_000,
        make_score_sheet,
        import_scores,
        target_seconds=20,
        target_rss_mb=1000,
    )
]


# --- the recompute of the city's 中考 ---------------------------------------------------


def recompute_zhongkao(ctx) -> dict:
    """The full recompute of the city's 中考 as the background task does it: every figure
    of every group, the item analysis, storing them, and the linked value-added pair."""
    from jiaoyan.quality import analysis
    from jiaoyan.quality.models import Exam, GroupStat

    pk = zhongkao(ctx)
    t0 = time.perf_counter()
    status = analysis.run_analysis(pk)
    total = time.perf_counter() - t0
    exam = Exam.objects.get(pk=pk)
    return {
        "status": status,
        "students": exam.candidates_count,
        "rows": GroupStat.objects.filter(exam=exam).count(),
        "phases": {
            "figures, items, store": round(exam.analysis_seconds or 0, 2),
            "value-added refresh": round(total - (exam.analysis_seconds or 0), 2),
        },
    }


def recompute_value_added(ctx) -> dict:
    from jiaoyan.quality import analysis
    from jiaoyan.quality.models import ValueAddedLink

    link = ValueAddedLink.objects.get(entry_exam_id=entry(ctx), exit_exam_id=zhongkao(ctx))
    rows, info = analysis.compute_value_added(link)
    return {"rows": len(rows), "linked": info["n_linked"]}


JOBS = [
    Job("quality recompute city 中考", recompute_zhongkao, target_seconds=10, target_rss_mb=1000),
    Job("quality value-added entry → 中考", recompute_value_added, target_seconds=10),
]
