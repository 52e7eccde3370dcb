"""Demo pairings (结对帮扶): city↔city pairings across provinces (a partner city helps
the demo city, the demo city helps a mountain prefecture), district↔district pairings
within each city, and school↔school pairings in which an urban school helps a rural or
weak school of the same kind — in another county, in another city (province scale) or
in its own county. About 50 at city scale (10 at small scale). Each has its agreement,
funds, people sent from the helping side and, where either side organised finished
activities, joint activities. A grade-6 monitoring of 2023 (before the primary pairings
start) in which the helped schools lag more than they do in quality's 2025 monitoring,
so that the pairing page's before/after has something to show. Deterministic from
``ctx.rng``; every table written in bulk."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.models import ScopeGrant
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.orgs.services import set_path
from jiaoyan.people.models import Person
from jiaoyan.quality import analysis
from jiaoyan.quality.demo import GRADE6, GRADE6_2025, PRIMARY_KINDS, ExamSpec, _cohort, _sit
from jiaoyan.quality.models import Exam, GroupStat, Level

from .models import Fund, JointActivity, Pairing, PairingReport, PersonSent, Side
from .services import JOINT_GRANT

GRADE6_2023 = ExamSpec(
    "2023年{city}小学六年级质量监测",
    Exam.Kind.MONITORING,
    dt.date(2023, 6, 12),
    6,
    "primary",
    GRADE6,
    "63",
    level=0.68,
)
# Partner regions outside the demo province (regions only: no schools, no staff).
PARTNERS = [
    ("440000", "广东省", "440100", "广州市"),
    ("520000", "贵州省", "522300", "黔西南布依族苗族自治州"),
]
PURPOSES = [
    "图书与教学设备购置",
    "教师培训经费",
    "学生资助",
    "信息化教室建设",
    "校园文化建设",
    "教研活动经费",
]
GOALS = "三年内受援方教学质量明显提升，骨干教师队伍初步形成，教研制度常态化运行。"
MEASURES = (
    "选派骨干教师支教、教研员驻校蹲点；每学期联合开展教研活动不少于两次；资金支持设备与培训。"
)
WORK = [
    "承担数学教学并指导青年教师备课",
    "驻校指导校本教研，听评课三十余节",
    "带教两名青年教师，开设示范课",
    "组织集体备课，完善教研制度",
]


def _partners(ctx: DemoContext) -> tuple[OrgUnit, OrgUnit]:
    made = []
    for pcode, pname, ccode, cname in PARTNERS:
        province = OrgUnit.objects.create(
            code=pcode, name=pname, level=OrgUnit.Level.PROVINCE, created_at=ctx.now
        )
        set_path(province)
        city = OrgUnit.objects.create(
            code=ccode, name=cname, parent=province, level=OrgUnit.Level.CITY, created_at=ctx.now
        )
        set_path(city)
        bureau = OrgUnit.objects.create(
            code=f"{ccode}901",
            name=f"{cname}教育局",
            parent=city,
            level=OrgUnit.Level.CITY,
            kind=OrgUnit.Kind.BUREAU,
            created_at=ctx.now,
        )
        set_path(bureau)
        made.append(city)
    return made[0], made[1]


@step(95)
def build_pairings(ctx: DemoContext) -> None:
    rng = ctx.rng
    cities: list[OrgUnit] = ctx.data["cities"]
    counties: dict[int, list[OrgUnit]] = ctx.data["counties"]
    province: OrgUnit = ctx.data["province"]
    specs = ctx.data["schools"]
    target = 50 * len(cities) if ctx.scale.name != "small" else 10
    helper, mountain = _partners(ctx)

    def city_of(unit: OrgUnit) -> OrgUnit:
        return next(c for c in cities if unit.path.startswith(c.path))

    def county_of(unit: OrgUnit) -> OrgUnit | None:
        return next(
            (c for cs in counties.values() for c in cs if unit.path.startswith(c.path)), None
        )

    # (owner, helping, helped, start)
    plan: list[tuple[OrgUnit, OrgUnit, OrgUnit, dt.date]] = []
    for city in cities:
        plan.append((helper, helper, city, dt.date(2023, 9, 1)))
        plan.append((city, city, mountain, dt.date(2024, 3, 1)))
        cs = counties.get(city.pk, [])
        for i in range(len(cs) // 2):
            plan.append((city, cs[i], cs[-1 - i], dt.date(2023, 9, 1)))
    by_kind: dict[str, list[tuple[OrgUnit, School]]] = defaultdict(list)
    for unit, school, _st in specs:
        by_kind[school.kind].append((unit, school))
    strong = {
        k: [(u, s) for u, s in v if s.location == "urban" and not s.is_weak]
        for k, v in by_kind.items()
    }
    weak = {
        k: [(u, s) for u, s in v if s.location == "rural" or s.is_weak] for k, v in by_kind.items()
    }
    kinds = [
        k
        for k in (School.Kind.PRIMARY, School.Kind.JUNIOR, School.Kind.NINE_YEAR)
        if strong.get(k) and weak.get(k)
    ]
    used: set[int] = set()
    tries = 0
    while len(plan) < target and kinds and tries < target * 20:
        tries += 1
        kind = rng.choice(kinds)
        a, _sa = rng.choice(strong[kind])
        b, _sb = rng.choice(weak[kind])
        if a.pk in used or b.pk in used or a.pk == b.pk:
            continue
        used |= {a.pk, b.pk}
        ca, cb = city_of(a), city_of(b)
        if ca.pk != cb.pk:
            owner = province
        else:
            qa, qb = county_of(a), county_of(b)
            owner = qa if qa is not None and qb is not None and qa.pk == qb.pk else ca
        if len(plan) % 3 == 0:  # recent: lesson observations before and since
            start = ctx.now.date() - dt.timedelta(days=180)
        elif kind == School.Kind.PRIMARY:
            start = dt.date(2023, 9, 1)
        else:
            start = dt.date(2024, 9, 1)
        plan.append((owner, a, b, start))
    pairings = []
    for owner, helping, helped, start in plan:
        level = {
            OrgUnit.Level.CITY: Pairing.Level.CITY,
            OrgUnit.Level.COUNTY: Pairing.Level.COUNTY,
        }.get(helping.level, Pairing.Level.SCHOOL)
        pairings.append(
            Pairing(
                org_unit=owner,
                title=f"{helping.name}帮扶{helped.name}",
                level=level,
                helping_unit=helping,
                helped_unit=helped,
                start_date=start,
                end_date=dt.date(start.year + 3, start.month, 1) - dt.timedelta(days=1),
                agreement_signed_on=start - dt.timedelta(days=rng.randint(5, 40)),
                goals=GOALS,
                measures=MEASURES,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
    bulk.bulk_create(Pairing, pairings)
    pairings = list(Pairing.objects.select_related("helping_unit", "helped_unit").order_by("pk"))
    ct = ContentType.objects.get_for_model(Pairing)
    grants = [
        ScopeGrant(content_type=ct, object_id=p.pk, unit_id=u, reason=f"pairing: {side} side")
        for p in pairings
        for side, u in (("helping", p.helping_unit_id), ("helped", p.helped_unit_id))
    ]
    funds = _funds(rng, pairings, ctx)
    sent = _people_sent(rng, pairings, ctx)
    links, activity_grants = _joint(rng, pairings)
    bulk.bulk_create(ScopeGrant, grants + activity_grants)
    bulk.bulk_create(Fund, funds)
    bulk.bulk_create(PersonSent, sent)
    bulk.bulk_create(JointActivity, links)
    reports = _reports(pairings, ctx)
    bulk.bulk_create(PairingReport, reports)
    exams = _monitoring_2023(ctx, cities, specs, pairings)
    ctx.log(
        f"  结对帮扶 {len(pairings)} 对，资金 {len(funds)} 笔，派出人员 {len(sent)} 人次，"
        f"联合活动 {len(links)} 场，双方阶段报告 {len(reports)} 份，补充考试 {exams} 场"
    )


def _funds(rng, pairings, ctx) -> list[Fund]:
    out = []
    for p in pairings:
        if p.level == Pairing.Level.CITY and p.helping_unit.code == PARTNERS[0][2]:
            out.append(
                Fund(
                    pairing=p,
                    amount=Decimal("2050000.00"),
                    date=p.start_date,
                    purpose="一次性捐赠帮扶资金",
                    created_at=ctx.now,
                    updated_at=ctx.now,
                )
            )
            continue
        scale = {Pairing.Level.CITY: 500000, Pairing.Level.COUNTY: 100000}.get(p.level, 20000)
        for i in range(rng.randint(1, 3)):
            day = p.start_date + dt.timedelta(days=120 * i + rng.randint(0, 60))
            amount = Decimal(rng.randint(scale // 10, scale)) + Decimal(rng.randint(0, 99)) / 100
            out.append(
                Fund(
                    pairing=p,
                    amount=amount,
                    date=day,
                    purpose=rng.choice(PURPOSES),
                    created_at=ctx.now,
                    updated_at=ctx.now,
                )
            )
    return out


def _people_sent(rng, pairings, ctx) -> list[PersonSent]:
    """Teachers of the helping school (支教), or researchers of the helping region's
    institute (驻校蹲点)."""
    by_unit: dict[str, list[int]] = defaultdict(list)
    helping_paths = {p.helping_unit.path for p in pairings}
    rows = (
        Person.objects.filter(status=Person.Status.ACTIVE)
        .values_list("pk", "org_unit__path")
        .order_by("pk")
    )
    for pk, path in rows:
        prefix = "/"
        for part in path.strip("/").split("/"):
            prefix += part + "/"
            if prefix in helping_paths:
                by_unit[prefix].append(pk)
    out = []
    for p in pairings:
        staff = by_unit.get(p.helping_unit.path, [])
        if not staff:
            continue
        for person in rng.sample(staff, k=min(len(staff), rng.randint(1, 4))):
            start = p.start_date + dt.timedelta(days=rng.randint(0, 200))
            end = min(start + dt.timedelta(days=rng.choice([120, 180, 365])), p.end_date)
            role = (
                PersonSent.Role.SUPPORT_TEACHING
                if p.level == Pairing.Level.SCHOOL
                else rng.choice(list(PersonSent.Role))
            )
            out.append(
                PersonSent(
                    pairing=p,
                    person_id=person,
                    role=role,
                    start_date=start,
                    end_date=end,
                    work=rng.choice(WORK),
                    created_at=ctx.now,
                    updated_at=ctx.now,
                )
            )
    return out


def _joint(rng, pairings) -> tuple[list[JointActivity], list[ScopeGrant]]:
    """Up to two finished activities organised inside either side become joint ones (and
    visible to both sides, as :func:`services.link_activity` makes them)."""
    # The finished activities under each side's unit, found by walking each activity's
    # path once (not every activity of the province once per pairing).
    side_paths = {u.path for p in pairings for u in (p.helping_unit, p.helped_unit)}
    under: dict[str, list[int]] = defaultdict(list)
    for pk, path in (
        Activity.objects.filter(status=Activity.Status.FINISHED)
        .values_list("pk", "org_unit__path")
        .order_by("pk")
    ):
        prefix = "/"
        for part in path.strip("/").split("/"):
            prefix += part + "/"
            if prefix in side_paths:
                under[prefix].append(pk)
    ct = ContentType.objects.get_for_model(Activity)
    links, grants = [], []
    for p in pairings:
        helping, helped = p.helping_unit.path, p.helped_unit.path
        if helped.startswith(helping) or helping.startswith(helped):
            # One side inside the other: its activities are the outer side's.
            outer = helping if len(helping) <= len(helped) else helped
            mine = under[outer]
        else:
            mine = sorted(under[helping] + under[helped])
        for pk in rng.sample(mine, k=min(2, len(mine))):
            links.append(JointActivity(pairing=p, activity_id=pk))
            grants += [
                ScopeGrant(content_type=ct, object_id=pk, unit_id=u, reason=JOINT_GRANT)
                for u in (p.helping_unit_id, p.helped_unit_id)
            ]
    return links, grants


def _monitoring_2023(ctx, cities, specs, pairings) -> int:
    """The 2023 grade-6 monitoring. Each school stands where it stands in quality's 2025
    monitoring (its standardised mean there), except the schools helped since before that
    monitoring, which stood lower: on their pairing pages they gain, comparable schools
    hold."""
    rng = np.random.default_rng(ctx.rng.randrange(2**32))
    helped = {
        p.helped_unit_id
        for p in pairings
        if p.level == Pairing.Level.SCHOOL and p.start_date < GRADE6_2025.date
    }
    count = 0
    for city in cities:
        primary = [
            (u, s)
            for u, s, _st in specs
            if u.path.startswith(city.path) and s.kind in PRIMARY_KINDS
        ]
        if not primary:
            continue
        later = dict(
            GroupStat.objects.filter(
                exam__org_unit=city,
                exam__name=GRADE6_2025.name.format(city=city.name),
                level=Level.SCHOOL,
                subject__isnull=True,
            ).values_list("org_unit_id", "z")
        )
        sid, cls, ability = _cohort(rng, primary)
        for school in np.unique(sid):
            target = later.get(int(school))
            if target is None:
                continue
            mine = sid == school
            lag = 0.45 if int(school) in helped else 0.0
            ability[mine] += target / 0.9 - lag - ability[mine].mean()
        keys = [f"Q{city.code}{i:07d}" for i in range(len(sid))]
        exam, _ids = _sit(ctx, rng, city, GRADE6_2023, sid, cls, ability, keys)
        analysis.run_analysis(exam.pk)
        count += 1
    return count


REPORT_TEXT = {
    Side.HELPING: "本阶段派出骨干教师支教、开展联合教研和送教活动，帮扶资金按计划使用。",
    Side.HELPED: "本阶段参加联合教研，受援教师课堂教学和教研组建设有改进，下阶段需加强课题指导。",
}


def _reports(pairings, ctx) -> list[PairingReport]:
    """A report from each side for every half-year of the pairing that has ended."""
    today = ctx.now.date()
    rows = []
    for p in pairings:
        year, half = p.start_date.year, 1 if p.start_date.month <= 6 else 2
        while True:
            end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
            if end > min(today, p.end_date):
                break
            period = f"{year}年{'上' if half == 1 else '下'}半年"
            for side, unit in ((Side.HELPING, p.helping_unit), (Side.HELPED, p.helped_unit)):
                rows.append(
                    PairingReport(
                        pairing=p,
                        side=side,
                        period=period,
                        text=REPORT_TEXT[side],
                        author_name=unit.name[:50],
                        created_at=min(
                            ctx.now,
                            timezone.make_aware(
                                dt.datetime.combine(end + dt.timedelta(days=10), dt.time(9))
                            ),
                        ),
                    )
                )
            year, half = (year, 2) if half == 1 else (year + 1, 1)
    return rows
