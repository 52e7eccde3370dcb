"""Shared makers for the quality tests: exams, score sheets (as real .xlsx/.csv bytes) and
a deterministic data set over the test world's three schools."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import xlsxwriter

from jiaoyan.orgs.models import Stage
from jiaoyan.quality import analysis, services
from jiaoyan.quality.models import Exam

SUBJECTS = [("语文", 120), ("数学", 120), ("英语", 100)]


def make_exam(world, *, owner=None, name="2025年中考", subjects=SUBJECTS, actor=None, **kw) -> Exam:
    return services.create_exam(
        actor=actor or world.users["city_admin"],
        name=name,
        kind=kw.pop("kind", Exam.Kind.ZHONGKAO),
        date=kw.pop("date", dt.date(2025, 6, 20)),
        grade=kw.pop("grade", 9),
        stage=Stage.objects.get(code=kw.pop("stage", "junior")),
        org_unit=owner or world.units["city"],
        subjects=[{"name": n, "full_marks": f} for n, f in subjects],
        **kw,
    )


def xlsx_bytes(rows: list[list], *, title: str | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("成绩")
    r = 0
    if title:
        ws.merge_range(0, 0, 0, max(1, len(rows[0]) - 1), title)
        r = 1
    for row in rows:
        for c, v in enumerate(row):
            if v is None:
                continue
            ws.write(r, c, v)
        r += 1
    wb.close()
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding)


def dataset(world, n_per_class=(14, 12, 11, 3), seed=7, subjects=SUBJECTS):
    """Score rows for the world's schools: school_a has classes 1班, 2班; school_b 1班 and a
    small class 2班 (3 students); school_c (华州区) one class. Some scores are absent."""
    rng = np.random.default_rng(seed)
    a = world.schools["school_a"].org_unit.code
    b = world.schools["school_b"].org_unit.code
    c = world.schools["school_c"].org_unit.code
    groups = [
        (a, "1班", n_per_class[0]),
        (a, "2班", n_per_class[1]),
        (b, "1班", n_per_class[2]),
        (b, "2班", n_per_class[3]),
        (c, "1班", 15),
    ]
    rows = []
    no = 0
    for code, cls, n in groups:
        for _i in range(n):
            no += 1
            scores = []
            for _name, full in subjects:
                if rng.random() < 0.04:
                    scores.append(None)
                else:
                    scores.append(
                        float(np.clip(np.round(rng.normal(0.68 * full, 0.15 * full)), 0, full))
                    )
            rows.append(
                [f"2025{no:05d}", code, cls, "男" if no % 2 else "女", f"G{no:06d}", *scores]
            )
    return rows


def header(subjects=SUBJECTS, with_name=False):
    head = ["考号", "学校代码", "班级", "性别", "学籍号"]
    if with_name:
        head.append("姓名")
    return head + [n for n, _f in subjects]


def import_and_analyse(world, exam, rows, *, actor=None, filename="scores.xlsx", **kw):
    data = (
        xlsx_bytes([header(), *rows])
        if filename.endswith(".xlsx")
        else csv_bytes([header(), *rows])
    )
    out = services.import_scores(
        actor=actor or world.users["city_admin"], exam=exam, data=data, filename=filename, **kw
    )
    exam.refresh_from_db()
    analysis.run_analysis(exam.pk)
    exam.refresh_from_db()
    return out
