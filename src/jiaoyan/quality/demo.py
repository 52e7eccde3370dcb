"""Demo quality data for every city of the scale: a 中考 (nine subjects, 数学 with item
scores), a grade-6 monitoring (科学 with 0/1 items), and the same cohort's grade-7 entry test
(linked to the 中考 by 学籍号, for value-added); the schools' resource inputs for the
balance page; and one student-data permission. Scores follow a simple model: a student's
ability plus a school and a class effect, so schools and classes differ as they do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.orgs.models import OrgUnit, School, Stage

from . import analysis
from .models import (
    BalanceInput,
    Candidate,
    Exam,
    ExamItem,
    ExamSubject,
    ItemScore,
    StudentDataPermission,
    ValueAddedLink,
)

ZHONGKAO = [
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
ENTRY = [("语文", 100), ("数学", 100), ("英语", 100)]
GRADE6 = [("语文", 100), ("数学", 100), ("英语", 100), ("科学", 100)]
JUNIOR_KINDS = {School.Kind.JUNIOR, School.Kind.NINE_YEAR, School.Kind.COMPLETE_SECONDARY}
PRIMARY_KINDS = {School.Kind.PRIMARY, School.Kind.NINE_YEAR, School.Kind.TEACHING_POINT}
CLASS_SIZE = 45


# Grades a school's students are spread over, by kind (one grade is a cohort).
GRADES = {
    School.Kind.JUNIOR: 3,
    School.Kind.NINE_YEAR: 9,
    School.Kind.COMPLETE_SECONDARY: 6,
    School.Kind.PRIMARY: 6,
    School.Kind.TEACHING_POINT: 6,
}


def _cohort(rng, schools):
    """Students of one grade: (school id, class name, ability) arrays."""
    sid, cls, ability = [], [], []
    for unit, school in schools:
        n = max(3, int(school.student_count / GRADES[school.kind]))
        school_effect = rng.normal(0, 0.35) - (0.25 if school.location == "rural" else 0)
        n_classes = max(1, round(n / CLASS_SIZE))
        class_effect = rng.normal(0, 0.15, n_classes)
        c = rng.integers(0, n_classes, n)
        sid.append(np.full(n, unit.pk))
        cls.append(c)
        ability.append(rng.normal(0, 1, n) + school_effect + class_effect[c])
    return np.concatenate(sid), np.concatenate(cls), np.concatenate(ability)


def _scores(rng, ability, subjects, level=0.62, spread=0.16, absent=0.01):
    out = np.empty((len(ability), len(subjects)))
    for j, (_name, full) in enumerate(subjects):
        z = 0.8 * ability + 0.6 * rng.normal(0, 1, len(ability))
        out[:, j] = np.clip(np.round(full * (level + spread * z)), 0, full)
    out[rng.random(out.shape) < absent] = np.nan
    return out


@dataclass(frozen=True)
class ExamSpec:
    name: str  # with {city}
    kind: str
    date: dt.date
    grade: int
    stage: str  # its code
    subjects: list[tuple[str, int]]
    number: str  # the exam numbers' prefix
    level: float = 0.62  # the mean score, as a fraction of the full marks


ZHONGKAO_2025 = ExamSpec(
    "2025年{city}中考", Exam.Kind.ZHONGKAO, dt.date(2025, 6, 20), 9, "junior", ZHONGKAO, "25"
)
# The same cohort's grade-7 entry test.
ENTRY_2022 = ExamSpec(
    "2022年{city}七年级入学质量检测",
    Exam.Kind.MONITORING,
    dt.date(2022, 9, 15),
    7,
    "junior",
    ENTRY,
    "22",
    level=0.66,
)
GRADE6_2025 = ExamSpec(
    "2025年{city}小学六年级质量监测",
    Exam.Kind.MONITORING,
    dt.date(2025, 6, 10),
    6,
    "primary",
    GRADE6,
    "6",
    level=0.7,
)


def _sit(ctx, rng, city, spec: ExamSpec, sid, cls, ability, keys) -> tuple[Exam, list[int]]:
    """The exam of ``spec`` in ``city``, sat by the students given: (exam, candidate ids)."""
    exam = Exam.objects.create(
        name=spec.name.format(city=city.name),
        kind=spec.kind,
        date=spec.date,
        grade=spec.grade,
        stage=Stage.objects.get(code=spec.stage),
        org_unit=city,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ExamSubject.objects.bulk_create(
        [
            ExamSubject(exam=exam, name=n, full_marks=f, order=i)
            for i, (n, f) in enumerate(spec.subjects)
        ]
    )
    numbers = [f"{spec.number}{city.code[2:4]}{i:07d}" for i in range(len(sid))]
    scores = _scores(rng, ability, spec.subjects, level=spec.level)
    return exam, _store(exam, sid, cls, keys, numbers, scores)


def _store(exam, sid, cls, keys, nos, scores) -> list[int]:
    rows = [
        Candidate(
            exam=exam,
            exam_no=nos[i],
            student_key=keys[i],
            school_id=int(sid[i]),
            class_name=f"{int(cls[i]) + 1}班",
            gender="male" if i % 2 else "female",
            scores=[None if np.isnan(v) else float(v) for v in scores[i]],
        )
        for i in range(len(sid))
    ]
    bulk.bulk_create(Candidate, rows)
    Exam.objects.filter(pk=exam.pk).update(
        candidates_count=len(rows), data_version=1, analysis_status=Exam.Status.PENDING
    )
    return [r.pk for r in rows]


def _items(rng, exam, subject_name, cand_ids, ability, full_marks: list[float]) -> None:
    subject = ExamSubject.objects.get(exam=exam, name=subject_name)
    items = ExamItem.objects.bulk_create(
        [
            ExamItem(subject=subject, label=f"题{i + 1}", full_marks=f, order=i)
            for i, f in enumerate(full_marks)
        ]
    )
    k = len(items)
    b = np.linspace(-1.6, 1.6, k) + rng.normal(0, 0.2, k)
    a = rng.uniform(0.6, 1.8, k)
    p = 1 / (1 + np.exp(-a * (ability[:, None] - b)))
    f = np.array(full_marks)
    m = rng.binomial(f.astype(int), p).astype(float)
    bulk.bulk_insert(
        ItemScore,
        [
            ItemScore(candidate_id=c, subject=subject, scores=[float(v) for v in m[i]])
            for i, c in enumerate(cand_ids)
        ],
    )


@step(60)
def build_quality(ctx: DemoContext) -> None:
    rng = np.random.default_rng(ctx.rng.randrange(2**32))
    specs = ctx.data["schools"]
    total_students = 0
    exams: list[Exam] = []
    pairs: list[tuple[Exam, Exam]] = []
    for ci, city in enumerate(ctx.data["cities"]):
        mine = [(u, s) for u, s, _st in specs if u.path.startswith(city.path)]
        junior = [(u, s) for u, s in mine if s.kind in JUNIOR_KINDS]
        primary = [(u, s) for u, s in mine if s.kind in PRIMARY_KINDS]
        # 中考 2025 and the same cohort's grade-7 entry test (2022), linked by 学籍号.
        sid, cls, ability = _cohort(rng, junior)
        n = len(sid)
        keys = [f"G{city.code}{ci:02d}{i:07d}" for i in range(n)]
        zk, ids = _sit(ctx, rng, city, ZHONGKAO_2025, sid, cls, ability, keys)
        _items(rng, zk, "数学", ids, ability, [3.0] * 10 + [4.0] * 5 + [10.0] * 5)
        entry_ability = ability * 0.85 + rng.normal(0, 0.5, n)
        moved = rng.random(n) < 0.05  # transferred in since grade 7: no entry score
        keep = ~moved
        entry_keys = [k for k, m in zip(keys, keep, strict=True) if m]
        entry, _ids = _sit(
            ctx, rng, city, ENTRY_2022, sid[keep], cls[keep], entry_ability[keep], entry_keys
        )
        # 小六质量监测 2025: primary cohort, 科学 with 0/1 items.
        sid6, cls6, ability6 = _cohort(rng, primary)
        n6 = len(sid6)
        keys6 = [f"P{city.code}{ci:02d}{i:07d}" for i in range(n6)]
        g6, ids6 = _sit(ctx, rng, city, GRADE6_2025, sid6, cls6, ability6, keys6)
        _items(rng, g6, "科学", ids6, ability6, [1.0] * 25)
        exams += [zk, entry, g6]
        total_students += n + int(keep.sum()) + n6
        pairs.append((entry, zk))
    for exam in exams:
        analysis.run_analysis(exam.pk)
    for entry, zk in pairs:  # after the analyses, which would queue them again
        link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=zk)
        analysis.run_value_added(link.pk)
    _balance_inputs(ctx, rng, specs)
    accounts = ctx.data.get("accounts", {})
    researcher = accounts.get("district_researcher")
    if researcher is not None and researcher.user_id:
        region = OrgUnit.objects.get(pk=researcher.org_unit.parent_id)
        StudentDataPermission.objects.create(
            user_id=researcher.user_id,
            org_unit=region,
            reason="区域教学质量分析（演示）",
            created_at=ctx.now,
        )
    ctx.log(f"  考试 {len(exams)} 场，学生成绩 {total_students} 条，增值评价 {len(pairs)} 对")


def _balance_inputs(ctx, rng, specs) -> None:
    rows = []
    for unit, school in ((u, s) for u, s, _st in specs):
        if school.kind not in JUNIOR_KINDS | PRIMARY_KINDS or not school.student_count:
            continue
        p = school.student_count
        rural = school.location == "rural"
        f = rng.lognormal(0, 0.25)
        values = {
            "teachers_above_qualification": round(p / 100 * 5.5 * f * (0.8 if rural else 1)),
            "key_teachers": round(p / 100 * 1.2 * rng.lognormal(0, 0.5)),
            "pe_art_teachers": round(p / 100 * 1.0 * rng.lognormal(0, 0.35)),
            "teaching_area": round(p * 4.8 * rng.lognormal(0, 0.3), 1),
            "sports_area": round(p * (9 if rural else 5) * rng.lognormal(0, 0.35), 1),
            "equipment_value": round(p * 2200 * rng.lognormal(0, 0.4)),
            "multimedia_classrooms": max(1, round(p / 100 * 2.4 * rng.lognormal(0, 0.3))),
        }
        rows.append(BalanceInput(school=unit, students=p, values=values, updated_at=ctx.now))
    bulk.bulk_insert(BalanceInput, rows)
