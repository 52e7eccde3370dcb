"""Demo data of the screening module: the counsellors' wellbeing permissions, each
county bureau's three-tier risk rules, student rosters of every school teaching upper
primary, junior or senior grades, and per county a PHQ-9 campaign last autumn (closed,
scored) and a PHQ-9 + GAD-7 campaign this autumn (open, mostly answered) — with realistic
level shares and the alerts they raise. Everything is bulk-inserted: the city scale
(~123 students per school, ~200,000 students) loads in a few minutes."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.db.models import Q
from django.utils import timezone

from jiaoyan.core.demo import DemoContext, step, weighted
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import OrgUnit, Stage
from jiaoyan.people.models import Person, RoleAssignment, User

from . import scales as sc
from .models import (
    Alert,
    Campaign,
    ConcernLevel,
    FollowUpCase,
    Participation,
    RiskRule,
    Student,
    WellbeingPermission,
)

GRADES = {"primary": (4, 5, 6), "junior": (7, 8, 9), "senior": (10, 11, 12)}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "子涵浩然思彤一诺梓轩欣怡雨桐俊杰宇航诗涵佳怡若曦皓轩梓萱语嫣"
    "明远嘉怡晨阳天佑雅琪博文可馨奕辰书瑶"
)
# The share of each answer on an item (0–3): most children answer "完全不会".
ANSWER_MIX = [(0, 0.72), (1, 0.2), (2, 0.06), (3, 0.02)]
CRISIS_SHARE = 0.012  # PHQ-9 item 9 above 0
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _code(rng, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _answers(rng, n: int, severity: float) -> list[int]:
    mix = [(v, w * (1 + severity * v)) for v, w in ANSWER_MIX]
    return [weighted(rng, mix) for _ in range(n)]


@step(68)
def build_wellbeing(ctx: DemoContext) -> None:
    rng = ctx.rng
    per_school = {"small": 40}.get(ctx.scale.name, 123)
    stage_code = dict(Stage.objects.values_list("pk", "code"))
    school_specs = ctx.data.get("schools") or []
    counties = [c for cs in ctx.data.get("counties", {}).values() for c in cs]

    # Permissions: every counsellor with an account, on their school.
    grants = []
    for ra in RoleAssignment.objects.filter(
        role=Role.COUNSELLOR, person__user__isnull=False
    ).select_related("person"):
        grants.append(
            WellbeingPermission(
                user_id=ra.person.user_id, org_unit_id=ra.org_unit_id, reason="学校心理教师"
            )
        )
    WellbeingPermission.objects.bulk_create(grants)

    # Risk rules of each county's bureau (or the county itself).
    bureaus = {
        u.parent_id: u
        for u in OrgUnit.objects.filter(kind=OrgUnit.Kind.BUREAU, parent__in=counties)
    }
    rules = []
    for county in counties:
        owner = bureaus.get(county.pk, county)
        rules += [
            RiskRule(org_unit=owner, scale="phq9", level="红", order=1, min_total=20, alert=True),
            RiskRule(org_unit=owner, scale="phq9", level="橙", order=2, min_total=15),
            RiskRule(org_unit=owner, scale="phq9", level="黄", order=3, min_total=10),
            RiskRule(org_unit=owner, scale="gad7", level="橙", order=2, min_total=15),
            RiskRule(org_unit=owner, scale="gad7", level="黄", order=3, min_total=10),
        ]
    RiskRule.objects.bulk_create(rules)

    # Rosters.
    students: list[Student] = []
    by_county: dict[int, list[OrgUnit]] = defaultdict(list)
    county_ids = {c.pk for c in counties}
    for unit, _school, stage_ids in school_specs:
        grades = [g for pk in stage_ids for g in GRADES.get(stage_code.get(pk, ""), ())]
        if not grades:
            continue
        county_id = next((i for i in unit.ancestor_ids if i in county_ids), None)
        if county_id is None:
            continue
        by_county[county_id].append(unit)
        for n in range(per_school):
            grade = grades[n % len(grades)]
            students.append(
                Student(
                    school=unit,
                    key=f"S{unit.code[-6:]}{n + 1:04d}",
                    name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                    gender=rng.choice(["male", "female"]),
                    birth_date=dt.date(2026 - 6 - grade, rng.randint(1, 12), rng.randint(1, 28)),
                    grade=grade,
                    class_name=f"{n % 4 + 1}班",
                )
            )
    Student.objects.bulk_create(students, batch_size=5000)
    ctx.log(f"wellbeing: {len(students)} students")

    # Campaigns: last autumn (closed) and this autumn (open).
    now = ctx.now
    this_year = now.year if now.month >= 9 else now.year - 1
    plans = [
        (
            f"{this_year - 1}年秋季心理健康筛查",
            ["phq9"],
            this_year - 1,
            Campaign.Status.CLOSED,
            0.97,
        ),
        (f"{this_year}年秋季心理健康筛查", ["phq9", "gad7"], this_year, Campaign.Status.OPEN, 0.8),
    ]
    schools_of = {c.pk: by_county.get(c.pk, []) for c in counties}
    student_rows = defaultdict(list)
    for sid, school_id in Student.objects.values_list("id", "school_id"):
        student_rows[school_id].append(sid)
    parts: list[Participation] = []
    pools: dict = {}
    for county in counties:
        schools = schools_of[county.pk]
        if not schools:
            continue
        for name, codes, year, status, share in plans:
            start = dt.datetime(year, 10, 8, 8, tzinfo=dt.UTC)
            end = (
                max(now + dt.timedelta(days=14), start + dt.timedelta(days=21))
                if status == Campaign.Status.OPEN
                else start + dt.timedelta(days=21)
            )
            camp = Campaign.objects.create(
                org_unit=county,
                name=f"{county.name}{name}",
                scales=codes,
                starts_at=min(start, now - dt.timedelta(days=1)),
                ends_at=end,
                notice="本次筛查仅用于了解学生心理状况，结果严格保密。家长如不同意，请告知班主任。",
                help_text=(
                    "如果你感到难过或需要帮助，可以随时找学校心理老师，或拨打心理援助热线 12355。"
                ),
                class_code=_code(rng, 8),
                status=status,
            )
            camp.schools.set(schools)
            for school in schools:
                for sid in student_rows.get(school.pk, []):
                    p = Participation(
                        campaign=camp, student_id=sid, school_id=school.pk, code=_code(rng, 10)
                    )
                    if rng.random() < share:
                        _answered(rng, p, codes, start, pools)
                    parts.append(p)
    Participation.objects.bulk_create(parts, batch_size=5000)

    # Alerts: crisis items and red levels; most of last year's handled.
    alerts = []
    for p in Participation.objects.filter(
        Q(risk="红") | Q(results__phq9__crisis=True)
    ).select_related("campaign"):
        reasons = []
        if (p.results.get("phq9") or {}).get("crisis"):
            reasons.append(Alert.Reason.CRISIS)
        if p.risk == "红":
            reasons.append(Alert.Reason.RISK)
        for reason in reasons:
            handled = p.campaign.status == Campaign.Status.CLOSED or rng.random() < 0.4
            alerts.append(
                Alert(
                    participation=p,
                    student_id=p.student_id,
                    school_id=p.school_id,
                    reason=reason,
                    scale="phq9",
                    status=Alert.Status.HANDLED if handled else Alert.Status.OPEN,
                    note="已约谈学生并联系家长，持续关注。" if handled else "",
                    handled_at=p.finished_at + dt.timedelta(days=1) if handled else None,
                    created_at=p.finished_at,
                )
            )
    Alert.objects.bulk_create(alerts, batch_size=5000)
    ctx.log(f"wellbeing: {len(parts)} questionnaires, {len(alerts)} alerts")


POOL = 3000  # distinct answer sheets per set of scales, drawn once and reused


def _sheet(rng, codes: list[str]) -> tuple[dict, dict, str]:
    """One child's answers to ``codes``, their scores and the risk level (tiers of the
    county rules above)."""
    severity = rng.random() ** 3 * 4  # a few children answer much higher
    answers, results = {}, {}
    risk_rank, risk = 99, ""
    for code in codes:
        scale = sc.SHIPPED[code]
        given = _answers(rng, scale.n_items, severity)
        if code == "phq9":
            given[8] = 1 if rng.random() < CRISIS_SHARE else 0
        answers[code] = given
        r = sc.score(scale, given)
        results[code] = r.as_dict()
        for rank, level, low in ((1, "红", 20), (2, "橙", 15), (3, "黄", 10)):
            if code == "gad7" and rank == 1:
                continue
            if r.total >= low and rank < risk_rank:
                risk_rank, risk = rank, level
                break
    return answers, results, risk


def _answered(
    rng, p: Participation, codes: list[str], start: dt.datetime, pools: dict | None = None
) -> None:
    """Answer ``p`` with a sheet drawn from a pool of ``POOL`` sheets scored once (the
    same level shares as drawing each child anew; city scale scores 3,000 sheets, not
    400,000)."""
    pools = {} if pools is None else pools
    key = tuple(codes)
    if key not in pools:
        pools[key] = [_sheet(rng, codes) for _ in range(POOL)]
    answers, results, risk = pools[key][rng.randrange(POOL)]
    p.answers = {c: list(v) for c, v in answers.items()}
    p.results = results
    p.risk = risk
    p.status = Participation.Status.FINISHED
    p.started_at = start + dt.timedelta(days=rng.randint(0, 10), minutes=rng.randint(0, 600))
    p.finished_at = p.started_at + dt.timedelta(seconds=rng.randint(120, 900))
    p.scored_at = p.finished_at


# Follow-up cases (一生一策) of the demo campaigns' flagged students: per county the first
# few schools whose counsellor holds the permission, one case of each shape — bounded
# (≤ FOLLOWUP_SHAPES per county) whatever the scale, written through the services.
FOLLOWUP_SCHOOLS = 5  # at most: fewer where these have flagged enough students
FOLLOWUP_SHAPES = ("overdue", "closed", "review", "referred", "visits", "new")
ASSESSMENTS = (
    "学生自述近期学业压力大，睡眠差，情绪低落约两周。",
    "与同学关系紧张，偶有哭泣，否认有伤害自己的计划。",
    "家庭变故后情绪波动明显，愿意与心理老师交流。",
    "近一个月兴趣减退，食欲下降，上课注意力不集中。",
)
PLANS = (
    "每两周约谈一次，联系家长共同关注，班主任留意课堂表现。",
    "建议家长带学生到专科医院评估，学校持续跟进。",
    "参加学校团体辅导，每周记录情绪变化。",
)
VISIT_NOTES = (
    "情绪较前平稳，睡眠有所改善。",
    "仍有压力，已与班主任沟通减轻作业负担。",
    "按时复诊，家长配合良好。",
    "主动与同学交往，继续观察。",
)
INSTITUTIONS = ("市精神卫生中心", "市中心医院心理科", "区妇幼保健院儿童心理门诊")


def _counsellors(schools: list[int]) -> dict[int, object]:
    """The account of one counsellor per school (the one who has an account, else the
    first by staff number) holding the permission on the school: what is missing is made
    (an account without a usable password, as the observers', and the grant)."""
    pick: dict[int, Person] = {}
    for ra in (
        RoleAssignment.objects.filter(role=Role.COUNSELLOR, is_active=True, org_unit_id__in=schools)
        .select_related("person__user")
        .order_by("org_unit_id", "person__user", "person__staff_no")
    ):
        if ra.org_unit_id not in pick or (ra.person.user_id and not pick[ra.org_unit_id].user_id):
            pick[ra.org_unit_id] = ra.person
    password = make_password(None)
    for person in pick.values():
        if person.user_id is None:
            person.user = User.objects.create(
                username=f"u{person.staff_no}", password=password, first_name=person.name[:150]
            )
            person.save(update_fields=["user"])
    now = timezone.now()
    held = {
        (g.user_id, g.org_unit_id)
        for g in WellbeingPermission.objects.filter(
            org_unit_id__in=schools, revoked_at__isnull=True
        ).exclude(expires_at__lte=now)
    }
    WellbeingPermission.objects.bulk_create(
        [
            WellbeingPermission(user_id=p.user_id, org_unit_id=school, reason="学校心理教师")
            for school, p in pick.items()
            if (p.user_id, school) not in held
        ]
    )
    return {school: p.user for school, p in pick.items()}


def _followup_plan(ctx: DemoContext, rng) -> list[tuple[str, Alert, object]]:
    """(shape, alert, counsellor) per case: per county, the alerts of its first schools
    that raised alerts and have a counsellor (the demo counsellor's school first, then by
    code) — as many as flag a student per shape, at most ``FOLLOWUP_SCHOOLS``; ``closed``
    takes an alert of last year's campaign where there is one."""
    counties = [c for cs in ctx.data.get("counties", {}).values() for c in cs]
    demo = (ctx.data.get("accounts") or {}).get("counsellor")
    first = demo.org_unit_id if demo is not None else None
    staffed = set(
        RoleAssignment.objects.filter(role=Role.COUNSELLOR, is_active=True).values_list(
            "org_unit_id", flat=True
        )
    )
    chosen: dict[int, list[int]] = {}
    for county in counties:
        flagged: dict[int, set[int]] = defaultdict(set)
        for school, student in Alert.objects.filter(
            participation__campaign__org_unit=county
        ).values_list("school_id", "student_id"):
            flagged[school].add(student)
        codes = dict(
            OrgUnit.objects.filter(pk__in=set(flagged) & staffed).values_list("pk", "code")
        )
        taken, students = [], 0
        for pk in sorted(codes, key=lambda pk: (pk != first, codes[pk])):
            if students >= len(FOLLOWUP_SHAPES) or len(taken) >= FOLLOWUP_SCHOOLS:
                break
            taken.append(pk)
            students += len(flagged[pk])
        if taken:
            chosen[county.pk] = taken
    holders = _counsellors([s for ss in chosen.values() for s in ss])
    plan = []
    for county in counties:
        schools = chosen.get(county.pk)
        if not schools:
            continue
        alerts = list(
            Alert.objects.filter(
                school_id__in=schools,
                participation__campaign__org_unit=county,
                followup__isnull=True,
            )
            .select_related("participation__campaign")
            .order_by("created_at", "pk")
        )
        closed = Campaign.Status.CLOSED
        old = [a for a in alerts if a.participation.campaign.status == closed]
        new = [a for a in alerts if a.participation.campaign.status != closed]
        students: set[int] = set()
        for shape in FOLLOWUP_SHAPES:
            pool = (old or new) if shape == "closed" else (new or old)
            pool = [a for a in pool if a.student_id not in students]
            if not pool:
                continue
            alert = pool[rng.randrange(len(pool))]
            students.add(alert.student_id)
            plan.append((shape, alert, holders[alert.school_id]))
    return plan


@step(70)
def build_followups(ctx: DemoContext) -> None:
    """Follow-up cases of flagged students, one of each shape per county: in follow-up with
    visits, referred (with visits), overdue (no visit since the interview: the periodic job
    escalates it), closed (referred, visited, recovered), awaiting the district's review
    (crisis level), and just interviewed."""
    from . import services_followup as fs

    # Its own stream, seeded from the demo's seed: the later steps' data stay as they were.
    rng = random.Random(f"{ctx.seed}:wellbeing-followups")
    today = timezone.localdate(ctx.now)
    made: dict[str, int] = defaultdict(int)
    for shape, alert, counsellor in _followup_plan(ctx, rng):
        flagged = timezone.localdate(alert.created_at)
        if shape == "new":
            on = max(flagged, today - dt.timedelta(days=rng.randint(1, 5)))
        elif shape == "overdue":
            on = min(today - dt.timedelta(days=20), flagged + dt.timedelta(days=rng.randint(1, 3)))
        else:
            on = flagged + dt.timedelta(days=rng.randint(1, 3))
        on = min(on, today)
        span = (today - on).days
        every = 14 if shape in ("new", "overdue", "review") else min(180, max(7, -(-span // 4)))
        level = {"review": ConcernLevel.CRISIS, "closed": ConcernLevel.ATTENTION}.get(
            shape, rng.choice([ConcernLevel.ATTENTION, ConcernLevel.HIGH])
        )
        case = fs.record_interview(
            actor=counsellor,
            alert=alert,
            on=on,
            assessment=rng.choice(ASSESSMENTS),
            plan=rng.choice(PLANS),
            level=level,
            every_days=every,
        )
        if shape in ("referred", "closed"):
            fs.refer_case(
                actor=counsellor,
                case=case,
                institution=rng.choice(INSTITUTIONS),
                on=min(today, on + dt.timedelta(days=rng.randint(1, 5))),
                outcome="医生评估后建议门诊随访，暂不需住院。",
            )
        if shape in ("visits", "referred", "closed"):
            visit = on + dt.timedelta(days=every)
            for _n in range(4):
                if visit > today:
                    break
                case = fs.record_visit(
                    actor=counsellor,
                    case=case,
                    on=visit,
                    note=rng.choice(VISIT_NOTES),
                    level=ConcernLevel.WATCH if shape == "closed" else level,
                )
                visit += dt.timedelta(days=every)
        if shape == "closed":
            fs.close_case(
                actor=counsellor,
                case=case,
                reason=FollowUpCase.CloseReason.RECOVERED,
                note="情绪稳定，学习生活恢复正常。",
            )
        made[shape] += 1
    ctx.log(f"wellbeing: follow-up cases {dict(made)}")


from . import demo_governance  # noqa: E402, F401  (the read audit, export requests)
