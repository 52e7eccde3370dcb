"""Demo self-reviews and appraisals: every serving researcher rated themselves on the
built-in standard last year (about half the year before too, a little lower: their
development), citing an observation of theirs where they made one; each city's bureau ran
last year's appraisal scheme (default indicators, a 优秀 quota of 15%), closed, every
researcher's result confirmed. The computed indicators are read from the work record
(``queries_appraisal.measures``, the one computation); the rest written in bulk.
A late step: after every module whose rows the work record counts (ledger, hours,
training …). Deterministic from ``ctx.rng``. Imported by demo.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.paths import is_under
from jiaoyan.observations.models import Observation
from jiaoyan.orgs.models import OrgUnit

from . import queries_appraisal as aq
from .models import (
    Appraisal,
    AppraisalIndicator,
    AppraisalScheme,
    Grade,
    ResearcherProfile,
    ReviewStandard,
    SelfReview,
)
from .services_appraisal import DEFAULT_INDICATORS

SUMMARIES = [
    "全年深入联系学校听评课，组织学科教研活动，按期完成台账任务。",
    "聚焦新课标落地，指导学校开展单元整体教学，参与区域质量监测分析。",
    "坚持驻校蹲点，跟踪指导青年教师成长，主持课题研究取得阶段成果。",
]
REFLECTIONS = [
    "下一年度重点提升课题研究能力，争取形成可推广的成果。",
    "加强数据分析能力，用质量监测数据指导教学改进。",
    "多深入薄弱学校，持续跟踪指导，提高指导实效。",
]


@step(97)
def build_appraisals(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.now.date() if hasattr(ctx.now, "date") else ctx.now
    year = today.year - 1
    standard = ReviewStandard.objects.filter(org_unit__isnull=True).order_by("id").first()
    profiles = list(
        ResearcherProfile.objects.filter(status=ResearcherProfile.Status.ACTIVE)
        .select_related("person", "org_unit")
        .order_by("pk")
    )
    if standard is None or not profiles:
        return

    # --- self-reviews ----------------------------------------------------------------------
    first_obs: dict[int, int] = {}
    for observer, pk in (
        Observation.objects.filter(
            observer_id__in=[p.person.user_id for p in profiles if p.person.user_id],
            status=Observation.Status.SUBMITTED,
            date__year=year,
        )
        .order_by("observer_id", "pk")
        .values_list("observer_id", "pk")
    ):
        first_obs.setdefault(observer, pk)
    statements = [s["code"] for _d, s in standard.statements()]
    reviews = []
    for p in profiles:
        base = rng.choice([2, 3, 3, 3, 4])
        years = [year - 1, year] if rng.random() < 0.5 else [year]
        for y in years:
            lift = 0 if y == year else -1
            ratings = {
                code: max(1, min(4, base + lift + rng.choice([-1, 0, 0, 1]))) for code in statements
            }
            obs = first_obs.get(p.person.user_id) if y == year else None
            reviews.append(
                SelfReview(
                    profile_id=p.pk,
                    org_unit_id=p.org_unit_id,
                    standard_id=standard.pk,
                    year=y,
                    ratings=ratings,
                    evidence={"guidance": [f"observation:{obs}"]} if obs else {},
                    reflection=rng.choice(REFLECTIONS),
                    status=SelfReview.Status.SUBMITTED,
                    submitted_at=ctx.now,
                    created_at=ctx.now,
                    updated_at=ctx.now,
                )
            )
    bulk.bulk_create(SelfReview, reviews, batch_size=5000)

    # --- last year's appraisal, one scheme per bureau -----------------------------------------
    # A city's bureau appraises its region's researchers; those no city governs (a
    # province's institute), the highest bureau above them.
    bureaus = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.BUREAU)
        .select_related("parent")
        .order_by("depth", "pk")
    )
    order = [b for b in bureaus if b.level == "city"] + bureaus
    regions = {b.pk: (b.parent.path if b.parent_id else b.path) for b in bureaus}
    groups: dict[int, list[ResearcherProfile]] = {}
    for p in profiles:
        for b in order:
            if is_under(p.org_unit.path, regions[b.pk]):
                groups.setdefault(b.pk, []).append(p)
                break
    by_pk = {b.pk: b for b in bureaus}
    appraisals = []
    for bureau_pk, members in groups.items():
        bureau = by_pk[bureau_pk]
        scheme = AppraisalScheme.objects.create(
            org_unit=bureau,
            year=year,
            name=f"{year}年度教研员考核",
            excellent_quota=max(1, len(members) * 15 // 100),
            exit_grades=[Grade.UNQUALIFIED],
            status=AppraisalScheme.Status.CLOSED,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        indicators = AppraisalIndicator.objects.bulk_create(
            AppraisalIndicator(
                scheme=scheme,
                code=code,
                name=label,
                kind=kind,
                measure=measure,
                target=target,
                max_score=score,
                order=i,
            )
            for i, (code, label, kind, measure, target, score) in enumerate(DEFAULT_INDICATORS)
        )
        wanted = {i.measure for i in indicators if i.measure}
        rows = []
        for p in members:
            values = aq.measures(p, year, wanted)
            scores: dict[str, dict] = {}
            for i in indicators:
                if i.kind == AppraisalIndicator.Kind.COMPUTED:
                    score, met = aq.computed_score(i, values.get(i.measure))
                    scores[i.code] = {
                        "value": values.get(i.measure),
                        "score": str(score),
                        "met": met,
                    }
                else:
                    got = Decimal(rng.randint(int(i.max_score) * 5, int(i.max_score) * 10)) / 10
                    scores[i.code] = {"score": str(got), "comment": ""}
            total = sum((Decimal(v["score"]) for v in scores.values()), Decimal(0))
            rows.append((p, scores, total))
        # 优秀 by total, within the quota; the rest by their band.
        rows.sort(key=lambda r: -r[2])
        left = scheme.excellent_quota
        for p, scores, total in rows:
            grade = scheme.grade_for(total)
            if grade == Grade.EXCELLENT:
                if left:
                    left -= 1
                else:
                    grade = Grade.QUALIFIED
            done = dt.datetime.combine(dt.date(year + 1, 1, 10), dt.time(10), tzinfo=dt.UTC)
            appraisals.append(
                Appraisal(
                    scheme_id=scheme.pk,
                    profile_id=p.pk,
                    org_unit_id=p.org_unit_id,
                    year=year,
                    status=Appraisal.Status.CONFIRMED,
                    self_summary=rng.choice(SUMMARIES),
                    self_grade=Grade.QUALIFIED,
                    scores=scores,
                    total=total,
                    grade=grade,
                    review_comment="工作扎实，完成年度任务。",
                    exit_review=grade in scheme.exit_grades,
                    self_assessed_at=done,
                    reviewed_at=done,
                    confirmed_at=done,
                    created_at=ctx.now,
                    updated_at=ctx.now,
                )
            )
    bulk.bulk_create(Appraisal, appraisals, batch_size=5000)
    ctx.log(f"researchers: {len(reviews)} self-reviews, {len(appraisals)} appraisals of {year}")
