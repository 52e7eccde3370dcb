"""Demo outcomes (成果): the schools' outcomes and typical cases over three years (small:
300, city: ~8,000), some from communities; two selection rounds of the demo city's bureau
— last year's, announced (schools → counties → the city with experts' scores, honours),
and this year's, open (schools have recommended, counties are choosing, the city's experts
are scoring: the demo district researcher scores a few of another county's); promotion
records and adoptions of the selected ones; and the city's point table. The demo teacher
wrote a case selected at city level last year. Deterministic from ``ctx.rng``; written in
bulk."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.paths import path_ids

from .models import (
    Adoption,
    Entry,
    ExpertScore,
    Kind,
    Outcome,
    PointRule,
    Promotion,
    SelectionRound,
)

COUNT = {"small": 300, "city": 8000, "province": 8000}
KINDS = [
    (Kind.CASE, 0.35),
    (Kind.TEACHING, 0.2),
    (Kind.PAPER, 0.25),
    (Kind.CASEBOOK, 0.05),
    (Kind.COURSE, 0.1),
    (Kind.OTHER, 0.05),
]
TOPICS = [
    "大单元教学",
    "分层作业设计",
    "跨学科主题学习",
    "整本书阅读",
    "情境化课堂",
    "双减背景下的课后服务",
    "劳动教育课程",
    "课堂观察与改进",
    "项目式学习",
    "信息技术与学科融合",
    "家校协同育人",
    "农村小规模学校教学",
]
FORMS = {
    Kind.CASE: "{t}的实践案例",
    Kind.TEACHING: "{t}教学成果",
    Kind.PAPER: "基于{t}的课堂研究",
    Kind.CASEBOOK: "{t}典型案例集",
    Kind.COURSE: "{t}校本课程",
    Kind.OTHER: "{t}经验总结",
}
#: The demo city's point table: (code, level, points). Project rules wait for the
#: research projects app (approval 5/8/15/25/40 by level, 优秀 bonus).
TABLE = [
    ("case_selected", "county", 8),
    ("case_selected", "city", 15),
    ("case_selected", "province", 25),
    ("outcome_selected", "county", 5),
    ("outcome_selected", "city", 10),
    ("outcome_selected", "province", 20),
    ("demonstration", "", 3),
    ("demonstration", "county", 4),
    ("demonstration", "city", 6),
    ("adopted", "", 2),
    ("project_approved", "school", 5),
    ("project_approved", "county", 8),
    ("project_approved", "city", 15),
    ("project_approved", "province", 25),
    ("project_approved", "national", 40),
    ("project_excellent", "", 10),
]
EVENTS = ["成果推广现场会", "典型案例巡展", "教学成果论坛", "区域教研开放周", "送教下乡"]
FEEDBACK = ["学生参与度明显提高。", "可操作性强，已在本校推广。", "作业时间下降，效果良好。", ""]


def _pick(rng, items):
    total = sum(w for _v, w in items)
    r = rng.random() * total
    for v, w in items:
        r -= w
        if r <= 0:
            return v
    return items[-1][0]


@step(64)
def build_outcomes(ctx: DemoContext) -> None:
    from jiaoyan.communities.models import Community
    from jiaoyan.orgs.models import OrgUnit
    from jiaoyan.people.models import Person
    from jiaoyan.projects.models import Project

    rng = ctx.rng
    bureau = OrgUnit.objects.filter(level="city", kind="bureau").order_by("path").first()
    if bureau is None or bureau.parent is None:
        ctx.log("outcomes: no city bureau; no outcomes")
        return
    city = bureau.parent
    now = ctx.now
    today = now.date()
    schools = list(
        OrgUnit.objects.filter(path__under=city.path, kind="school")
        .order_by("path")
        .values_list("pk", "path")
    )
    counties = dict(
        OrgUnit.objects.filter(path__under=city.path, level="county", kind="region").values_list(
            "pk", "path"
        )
    )
    county_of = {
        pk: next((u for u in path_ids(path) if u in counties), None) for pk, path in schools
    }
    staff: dict[int, list[int]] = defaultdict(list)
    for pid, unit in Person.objects.filter(org_unit__path__under=city.path).values_list(
        "pk", "org_unit_id"
    ):
        staff[unit].append(pid)
    school_ids = [pk for pk, _p in schools if staff.get(pk)]
    if not school_ids:
        ctx.log("outcomes: no school staff; no outcomes")
        return
    communities = list(
        Community.objects.filter(org_unit__path__under=city.path).values_list("pk", flat=True)
    )
    # the approved research projects of each school (demo step 62): about one outcome in
    # four of a school with projects came from one of them
    projects: dict[int, list[int]] = defaultdict(list)
    for pk, unit in (
        Project.objects.filter(org_unit__path__under=city.path, approved_on__isnull=False)
        .order_by("pk")
        .values_list("pk", "org_unit_id")
    ):
        projects[unit].append(pk)
    accounts = ctx.data.get("accounts", {})
    teacher = accounts.get("teacher")
    n = COUNT[ctx.scale.name]
    outcomes, authors = [], []
    for i in range(n):
        school = rng.choice(school_ids)
        kind = _pick(rng, KINDS)
        year = today.year - rng.choice([0, 0, 1, 1, 2])
        created = now - dt.timedelta(days=(today.year - year) * 365 + rng.randint(0, 200))
        outcomes.append(
            Outcome(
                org_unit_id=school,
                kind=kind,
                title=FORMS[kind].format(t=rng.choice(TOPICS)) + f"（{i + 1}）",
                summary="围绕课堂教学改进，形成可复制、可推广的做法。",
                year=year,
                community_id=rng.choice(communities)
                if communities and rng.random() < 0.1
                else None,
                project_id=rng.choice(projects[school])
                if projects.get(school) and rng.random() < 0.25
                else None,
                created_at=created,
                updated_at=created,
            )
        )
    if teacher is not None:
        outcomes[0].org_unit_id = teacher.org_unit_id
        outcomes[0].kind = Kind.CASE
        outcomes[0].year = today.year - 1
        outcomes[0].title = "初中数学分层作业设计的典型案例"
    bulk.bulk_create(Outcome, outcomes)
    through = Outcome.authors.through
    for o in outcomes:
        people = staff.get(o.org_unit_id) or []
        for pid in rng.sample(people, min(len(people), rng.randint(1, 3))):
            authors.append(through(outcome_id=o.pk, person_id=pid))
    if teacher is not None and not any(
        a.outcome_id == outcomes[0].pk and a.person_id == teacher.pk for a in authors
    ):
        authors.append(through(outcome_id=outcomes[0].pk, person_id=teacher.pk))
    bulk.bulk_create(through, authors)
    bulk.bulk_create(
        PointRule,
        [
            PointRule(
                org_unit=bureau,
                code=code,
                level=level,
                points=Decimal(points),
                label=str(_label(code)),
                created_at=now,
                updated_at=now,
            )
            for code, level, points in TABLE
        ],
    )
    by_year: dict[int, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.kind in (Kind.CASE, Kind.TEACHING, Kind.CASEBOOK):
            by_year[o.year].append(o)
    experts = [
        pid
        for (pid,) in Person.objects.filter(
            user__isnull=False, org_unit__path__under=city.path
        ).values_list("pk")[:40]
    ]
    district = accounts.get("district_researcher")
    last = _round(
        ctx,
        bureau,
        today.year - 1,
        by_year[today.year - 1],
        county_of,
        city,
        experts,
        announced=True,
        favourite=outcomes[0] if teacher else None,
    )
    this = _round(
        ctx,
        bureau,
        today.year,
        by_year[today.year],
        county_of,
        city,
        experts,
        announced=False,
        expert=district,
    )
    selected = [e for e in last if e.honoured and e.level != "school"]
    promotions, adoptions = [], []
    units = [pk for pk, _p in schools]
    regions = [city.pk, *counties]
    seen = set()
    for e in selected:
        o = e.outcome
        for _ in range(rng.randint(1, 4)):
            where = rng.choice(units if rng.random() < 0.6 else regions)
            date = today - dt.timedelta(days=rng.randint(1, 300))
            promotions.append(
                Promotion(
                    outcome_id=o.pk,
                    org_unit_id=where,
                    date=date,
                    event=rng.choice(EVENTS),
                    participants=rng.randint(20, 300),
                    demonstration=rng.random() < 0.5,
                    created_at=now,
                    updated_at=now,
                )
            )
        for _ in range(rng.randint(0, 5)):
            school = rng.choice(units)
            if school == o.org_unit_id or (o.pk, school) in seen:
                continue
            seen.add((o.pk, school))
            adoptions.append(
                Adoption(
                    outcome_id=o.pk,
                    org_unit_id=school,
                    adopted_on=today - dt.timedelta(days=rng.randint(1, 300)),
                    feedback=rng.choice(FEEDBACK),
                    rating=rng.randint(3, 5),
                    created_at=now,
                    updated_at=now,
                )
            )
    bulk.bulk_create(Promotion, promotions)
    bulk.bulk_create(Adoption, adoptions)
    ctx.log(
        f"outcomes: {len(outcomes)} outcomes, rounds {len(last)} + {len(this)} entries, "
        f"{len(promotions)} promotion records, {len(adoptions)} adoptions, "
        f"point table {len(TABLE)} rules"
    )


def _label(code: str):
    from .points import RULES

    return RULES.get(code, code)


def _round(
    ctx, bureau, year, outcomes, county_of, city, experts, *, announced, favourite=None, expert=None
) -> list[Entry]:
    """One selection round of ``year``: entries school → county → city (bulk), experts'
    scores at the top; announced: honours marked."""
    rng = ctx.rng
    now = ctx.now
    if announced:
        opens = dt.date(year, 3, 1)
        closes = dt.date(year, 5, 31)
    else:
        opens = now.date() - dt.timedelta(days=15)
        closes = now.date() + dt.timedelta(days=30)
    r = SelectionRound.objects.create(
        org_unit=bureau,
        title=f"{bureau.parent.name}{year}年度教学成果与典型案例遴选",
        year=year,
        kinds=[Kind.CASE, Kind.TEACHING, Kind.CASEBOOK],
        opens_on=opens,
        closes_on=closes,
        school_quota=2,
        county_quota=15,
        city_quota=40,
        created_at=now,
        updated_at=now,
    )
    by_school: dict[int, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_school[o.org_unit_id].append(o)
    at = (
        now - dt.timedelta(days=10)
        if not announced
        else timezone.make_aware(dt.datetime(year, 4, 10, 10))
    )
    school_entries, by_county = [], defaultdict(list)
    for school, items in sorted(by_school.items()):
        picks = rng.sample(items, min(len(items), 2))
        if favourite is not None and favourite in items and favourite not in picks:
            picks[0] = favourite
        for o in picks:
            county = county_of.get(school)
            e = Entry(
                round=r,
                outcome=o,
                level="school",
                org_unit_id=school,
                to_unit_id=county or city.pk,
                recommended_at=at,
            )
            school_entries.append(e)
            if county:
                by_county[county].append(e)
    bulk.bulk_create(Entry, school_entries)
    county_entries = []
    for county, entries in sorted(by_county.items()):
        chosen = rng.sample(entries, min(len(entries), 15))
        if favourite is not None:
            chosen += [e for e in entries if e.outcome is favourite and e not in chosen]
        for e in chosen:
            county_entries.append(
                Entry(
                    round=r,
                    outcome=e.outcome,
                    level="county",
                    org_unit_id=county,
                    to_unit_id=city.pk,
                    source=e,
                    recommended_at=at + dt.timedelta(days=5),
                )
            )
    bulk.bulk_create(Entry, county_entries)
    scores = []
    for e in county_entries:
        pool = list(rng.sample(experts, min(len(experts), 5)))
        if expert is not None and rng.random() < 0.05:
            pool = [expert.pk, *pool]
        given = []
        for pid in list(dict.fromkeys(pool))[:3]:
            value = Decimal(rng.randint(60, 98)) if announced or rng.random() < 0.5 else None
            scores.append(
                ExpertScore(
                    entry=e,
                    expert_id=pid,
                    score=value,
                    scored_at=now if value is not None else None,
                    assigned_at=now,
                )
            )
            if value is not None:
                given.append(value)
        if given:
            e.score = (sum(given) / len(given)).quantize(Decimal("0.01"))
    bulk.bulk_create(ExpertScore, scores)
    bulk.bulk_update(Entry, [e for e in county_entries if e.score is not None], ["score"])
    city_entries = []
    if announced:
        best = sorted(county_entries, key=lambda e: (-(e.score or 0), e.pk))[:40]
        if favourite is not None:
            best += [e for e in county_entries if e.outcome is favourite and e not in best]
        for e in best:
            city_entries.append(
                Entry(
                    round=r,
                    outcome=e.outcome,
                    level="city",
                    org_unit_id=city.pk,
                    to_unit=None,
                    source=e,
                    score=e.score,
                    recommended_at=at + dt.timedelta(days=10),
                    honoured=True,
                )
            )
        bulk.bulk_create(Entry, city_entries)
        top = {e.outcome.pk for e in city_entries}
        county_top = {e.outcome.pk for e in county_entries}
        for e in county_entries:
            e.honoured = e.outcome.pk not in top
        for e in school_entries:
            e.honoured = e.outcome.pk not in top and e.outcome.pk not in county_top
        bulk.bulk_update(Entry, county_entries + school_entries, ["honoured"])
        SelectionRound.objects.filter(pk=r.pk).update(
            announced_at=timezone.make_aware(dt.datetime(year, 6, 15, 10))
        )
    return school_entries + county_entries + city_entries
