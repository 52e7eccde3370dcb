"""Demo researchers (教研员): a profile for every person holding the researcher role (their
institute, subjects and stages from the role, this year's duties), liaison schools for
the few the observations demo left without, and for about half of them one or two
residencies (驻校蹲点) at a liaison school in the past year, with visits — some linked to
the observations the researcher made there — and a summary report once ended.
Deterministic from ``ctx.rng``; written in bulk (city scale: ~600 researchers)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.roles import Role
from jiaoyan.observations.models import LiaisonAssignment, Observation
from jiaoyan.observations.terms import term_of
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import RoleAssignment

from .models import Duty, ResearcherProfile, Residency, Visit

GOALS = [
    "围绕新课标开展单元整体教学设计指导，帮助学科组形成可推广的教学案例。",
    "诊断课堂教学中的突出问题，指导青年教师提升课堂提问和作业设计质量。",
    "指导学校开展校本教研，建立集体备课和听评课常态机制。",
    "跟踪薄弱学科教学质量，协助学校制定改进措施并落实。",
]
NOTES = {
    Visit.Kind.OBSERVED: "随堂听课并与授课教师交流",
    Visit.Kind.LESSON_PREP: "参加学科组集体备课并点评",
    Visit.Kind.MET_PRINCIPAL: "与校长、教学副校长交流教学管理",
    Visit.Kind.LECTURE: "为全体教师作专题讲座",
    Visit.Kind.GUIDANCE: "指导青年教师磨课",
}
DUTIES = (
    "负责{subject}学科教研工作：制定学期教研计划，组织区域教研活动，"
    "联系学校听评课指导，参与质量监测与分析。"
)


@step(66)
def build_researchers(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.now.date() if hasattr(ctx.now, "date") else ctx.now
    kinds = dict(OrgUnit.objects.values_list("pk", "kind"))
    roles = list(
        RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True)
        .values_list("pk", "person_id", "person__org_unit_id", "person__user_id", "org_unit_id")
        .order_by("person_id", "pk")
    )
    institute_of_region = {
        parent: pk
        for pk, parent in OrgUnit.objects.filter(kind=OrgUnit.Kind.INSTITUTE).values_list(
            "pk", "parent_id"
        )
    }
    subjects_of = defaultdict(set)
    for ra, s in RoleAssignment.subjects.through.objects.filter(
        roleassignment__role=Role.RESEARCHER
    ).values_list("roleassignment_id", "subject_id"):
        subjects_of[ra].add(s)
    stages_of = defaultdict(set)
    for ra, s in RoleAssignment.stages.through.objects.filter(
        roleassignment__role=Role.RESEARCHER
    ).values_list("roleassignment_id", "stage_id"):
        stages_of[ra].add(s)
    subject_names = dict(
        RoleAssignment.subjects.field.related_model.objects.values_list("pk", "name")
    )

    profiles: list[ResearcherProfile] = []
    meta: list[tuple[int, int | None, int, int]] = []  # person, user, ra, region
    seen = set()
    for ra, person, unit, user, region in roles:
        if person in seen:
            continue
        seen.add(person)
        part_time = kinds.get(unit) == OrgUnit.Kind.SCHOOL
        office = institute_of_region.get(region, region) if part_time else unit
        profiles.append(
            ResearcherProfile(
                person_id=person,
                org_unit_id=office,
                employment=ResearcherProfile.Employment.PART_TIME
                if part_time
                else ResearcherProfile.Employment.FULL_TIME,
                school_id=unit if part_time else None,
                since=dt.date(today.year - rng.randint(1, 15), 9, 1),
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        meta.append((person, user, ra, region))
    bulk.bulk_create(ResearcherProfile, profiles, batch_size=5000)
    bulk.bulk_create(
        ResearcherProfile.subjects.through,
        [
            ResearcherProfile.subjects.through(researcherprofile_id=p.pk, subject_id=s)
            for p, (_pe, _u, ra, _r) in zip(profiles, meta, strict=True)
            for s in sorted(subjects_of[ra])
        ],
        batch_size=5000,
    )
    bulk.bulk_create(
        ResearcherProfile.stages.through,
        [
            ResearcherProfile.stages.through(researcherprofile_id=p.pk, stage_id=s)
            for p, (_pe, _u, ra, _r) in zip(profiles, meta, strict=True)
            for s in sorted(stages_of[ra])
        ],
        batch_size=5000,
    )
    bulk.bulk_create(
        Duty,
        [
            Duty(
                profile_id=p.pk,
                year=today.year,
                text=DUTIES.format(
                    subject="、".join(subject_names[s] for s in sorted(subjects_of[ra])) or "综合"
                ),
            )
            for p, (_pe, _u, ra, _r) in zip(profiles, meta, strict=True)
        ],
        batch_size=5000,
    )

    # --- liaison schools: for whoever the observations demo left without -------------------
    liaison = defaultdict(list)
    for person, school in LiaisonAssignment.objects.filter(is_active=True).values_list(
        "researcher_id", "school_id"
    ):
        liaison[person].append(school)
    school_paths = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, is_active=True)
        .values_list("pk", "path")
        .order_by("path")
    )
    region_paths = dict(OrgUnit.objects.values_list("pk", "path"))
    term_start = term_of(today).start
    added = []
    for person, _user, _ra, region in meta:
        if liaison[person]:
            continue
        prefix = region_paths.get(region, "")
        pool = [pk for pk, path in school_paths if path.startswith(prefix)]
        for school in rng.sample(pool, min(len(pool), rng.randint(2, 4))):
            added.append(
                LiaisonAssignment(
                    researcher_id=person,
                    school_id=school,
                    start_date=term_start,
                    note="联点联校",
                    created_at=ctx.now,
                )
            )
            liaison[person].append(school)
    bulk.bulk_create(LiaisonAssignment, added, batch_size=5000)

    # --- residencies and their visits ---------------------------------------------------------
    since = today - dt.timedelta(days=365)
    users = {u: p for p, u, _ra, _r in meta if u is not None}
    observed = defaultdict(list)  # (person, school) -> [(date, observation id)]
    for obs_id, observer, school, day in (
        Observation.objects.filter(
            observer_id__in=list(users),
            status=Observation.Status.SUBMITTED,
            date__gte=since,
        )
        .values_list("pk", "observer_id", "org_unit_id", "date")
        .iterator(chunk_size=20000)
    ):
        observed[(users[observer], school)].append((day, obs_id))
    residencies: list[Residency] = []
    plans: list[tuple[Residency, list]] = []
    for profile, (person, _user, _ra, _region) in zip(profiles, meta, strict=True):
        if not liaison[person] or rng.random() > 0.5:
            continue
        start = since + dt.timedelta(days=rng.randint(0, 120))
        for _n in range(rng.randint(1, 2)):
            length = rng.randint(14, 42)
            end = start + dt.timedelta(days=length - 1)
            if end >= today + dt.timedelta(days=60):
                break
            school = rng.choice(liaison[person])
            r = Residency(
                profile_id=profile.pk,
                researcher_id=person,
                org_unit_id=profile.org_unit_id,
                school_id=school,
                start_date=start,
                end_date=end,
                goals=rng.choice(GOALS),
                summary="按计划完成蹲点目标，形成指导意见和改进建议。" if end < today else "",
                summarised_at=ctx.now if end < today else None,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            residencies.append(r)
            plans.append((r, observed.get((person, school), [])))
            start = end + dt.timedelta(days=rng.randint(30, 90))
    bulk.bulk_create(Residency, residencies, batch_size=5000)
    visits: list[Visit] = []
    for r, seen_there in plans:
        last = min(r.end_date, today - dt.timedelta(days=1))
        if last < r.start_date:
            continue
        for day, obs_id in seen_there:
            if r.start_date <= day <= last:
                visits.append(_visit(r, day, Visit.Kind.OBSERVED, obs_id, ctx.now))
        span = (last - r.start_date).days
        for _n in range(rng.randint(3, 8)):
            day = r.start_date + dt.timedelta(days=rng.randint(0, span))
            kind = rng.choice(list(NOTES))
            visits.append(_visit(r, day, kind, None, ctx.now))
    bulk.bulk_create(Visit, visits, batch_size=5000)
    ctx.log(
        f"researchers: {len(profiles)} profiles, {len(added)} liaison schools added, "
        f"{len(residencies)} residencies, {len(visits)} visits"
    )


def _visit(r: Residency, day: dt.date, kind: str, observation_id: int | None, now) -> Visit:
    return Visit(
        residency_id=r.pk,
        researcher_id=r.researcher_id,
        org_unit_id=r.org_unit_id,
        school_id=r.school_id,
        date=day,
        kind=kind,
        note=NOTES.get(kind, ""),
        observation_id=observation_id,
        created_at=now,
    )


# --- admission (准入) -----------------------------------------------------------------------

ROUND_REQUIREMENTS = [
    {"kind": "years", "years": 5},
    {"kind": "title", "title": "first"},
    {"kind": "demo_lesson", "pass_mark": 80},
    {"kind": "interview"},
]
STATEMENTS = [
    "从教以来一直任教{subject}，担任学科组长，主持过县级课题。",
    "长期承担{subject}青年教师指导工作，多次在区域教研活动中上示范课。",
    "熟悉{subject}新课标，参与过区域质量监测命题与分析。",
]
CANDIDATES_PER_ROUND = 8


@step(67)
def build_admission(ctx: DemoContext) -> None:
    """Admission rounds: every region with a bureau and an institute (the cities and up
    to 20 counties) has this year's open round for part-time researchers, and the city
    last year's closed one; each with candidates — teachers of the region, with the date
    they began teaching — some reviewed, last year's decided (the appointed hold the
    researcher role from their start date and a profile)."""
    from django.utils import translation

    with translation.override("zh-hans"):  # the pre-check kept with a result is Chinese
        _build_admission(ctx)


def _build_admission(ctx: DemoContext) -> None:
    from jiaoyan.people.models import Person, User

    from .admission import precheck
    from .models import AdmissionApplication, AdmissionRound

    rng = ctx.rng
    now = ctx.now
    today = now.date() if hasattr(now, "date") else now
    bureaus = dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.BUREAU).values_list("parent_id", "pk"))
    institutes = dict(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.INSTITUTE).values_list("parent_id", "pk")
    )
    regions = list(
        OrgUnit.objects.filter(pk__in=set(bureaus) & set(institutes))
        .order_by("level", "path")
        .values_list("pk", "path", "level", "name")
    )
    cities = [r for r in regions if r[2] == OrgUnit.Level.CITY]
    counties = [r for r in regions if r[2] != OrgUnit.Level.CITY][:20]
    if not regions:
        return
    researchers = set(
        RoleAssignment.objects.filter(role=Role.RESEARCHER).values_list("person_id", flat=True)
    )
    demo_teacher = (
        Person.objects.filter(user__username="teacher").values_list("pk", flat=True).first()
    )
    admin_user = User.objects.filter(username="city_admin").first()

    plans = []  # (round, region path, decided): last year's first
    for pk, path, _level, name in cities:
        last = today.year - 1
        plans.append(
            (
                AdmissionRound(
                    org_unit_id=bureaus[pk],
                    institute_id=institutes[pk],
                    title=f"{last}年{name}兼职教研员准入",
                    employment=ResearcherProfile.Employment.PART_TIME,
                    places=3,
                    opens_on=dt.date(last, 5, 1),
                    closes_on=dt.date(last, 5, 31),
                    requirements=ROUND_REQUIREMENTS,
                    status=AdmissionRound.Status.CLOSED,
                    published_at=now - dt.timedelta(days=400),
                    created_by=admin_user,
                ),
                path,
                True,
            )
        )
    for pk, path, _level, name in [*cities, *counties]:
        plans.append(
            (
                AdmissionRound(
                    org_unit_id=bureaus[pk],
                    institute_id=institutes[pk],
                    title=f"{today.year}年{name}兼职教研员准入",
                    employment=ResearcherProfile.Employment.PART_TIME,
                    places=3,
                    opens_on=today - dt.timedelta(days=10),
                    closes_on=today + dt.timedelta(days=20),
                    requirements=ROUND_REQUIREMENTS,
                    notes="面向本区域中小学在岗教师，择优聘任兼职教研员。",
                    status=AdmissionRound.Status.OPEN,
                    published_at=now - dt.timedelta(days=10),
                    created_by=admin_user,
                ),
                path,
                False,
            )
        )
    rounds = AdmissionRound.objects.bulk_create([p[0] for p in plans])

    teacher_roles = RoleAssignment.objects.filter(role=Role.TEACHER, is_active=True)
    taken: set[int] = set(researchers)
    apps: list[AdmissionApplication] = []
    since_of: dict[int, dt.date] = {}
    appointed: list[tuple[int, int, AdmissionRound, dt.date]] = []  # person, school, round
    for rnd, (_r, path, decided) in zip(rounds, plans, strict=True):
        rows = (
            teacher_roles.filter(person__org_unit__path__startswith=path)
            .exclude(person_id__in=taken)
            .values_list("person_id", "person__org_unit_id", "pk")
            .order_by("person_id", "pk")[:400]
        )
        pool = list({row[0]: row for row in rows}.values())  # one row per person
        if decided:  # the demo teacher stays a candidate of this year's rounds
            pool = [row for row in pool if row[0] != demo_teacher]
        chosen = rng.sample(pool, min(CANDIDATES_PER_ROUND, len(pool)))
        if not decided and demo_teacher:
            mine = [p for p in pool if p[0] == demo_teacher]
            if mine:
                chosen = [mine[0], *[p for p in chosen if p[0] != demo_teacher]]
                chosen = chosen[:CANDIDATES_PER_ROUND]
        slots = rnd.places
        people = Person.objects.in_bulk([c[0] for c in chosen]) if decided else {}
        for i, (person, school, _ra) in enumerate(chosen):
            if person not in since_of:
                since_of[person] = dt.date(rng.randint(1998, 2022), 9, 1)
            reviews = {}
            if decided or (i % 3 != 0 and person != demo_teacher):
                score = round(rng.uniform(68, 96), 1)
                reviews = {
                    "demo_lesson": {"score": score, "comment": "", "by_name": "评审组"},
                    "interview": {
                        "passed": rng.random() < 0.8,
                        "comment": "",
                        "by_name": "评审组",
                    },
                }
            app = AdmissionApplication(
                round=rnd,
                person_id=person,
                org_unit_id=rnd.org_unit_id,
                statement=rng.choice(STATEMENTS).format(subject="本学科"),
                reviews=reviews,
                created_at=now - dt.timedelta(days=rng.randint(1, 9)),
            )
            if decided:
                app.decided_at = now - dt.timedelta(days=360)
                app.decided_by = admin_user
                candidate = people[person]
                candidate.teaching_since = since_of[person]
                checks = precheck(rnd.requirements, candidate, [], reviews, rnd.closes_on)
                ok = all(c.state == "pass" for c in checks)
                if ok and slots > 0:
                    slots -= 1
                    app.status = AdmissionApplication.Status.APPOINTED
                    app.start_date = dt.date(rnd.closes_on.year, 9, 1)
                    app.reasons = "各项准入条件均符合，经研究同意聘任。"
                    appointed.append((person, school, rnd, app.start_date))
                    taken.add(person)  # a researcher now: not a candidate again
                else:
                    app.status = AdmissionApplication.Status.NOT_APPOINTED
                    app.reasons = (
                        "本轮名额已满。" if ok else "未满足全部准入条件，欢迎下一轮再报名。"
                    )
                app.checks = [c.as_dict() for c in checks]
            apps.append(app)
    for person, since in since_of.items():
        Person.objects.filter(pk=person).update(teaching_since=since)
    if demo_teacher:
        Person.objects.filter(pk=demo_teacher, professional_title="").update(
            professional_title="first"
        )
    made = AdmissionApplication.objects.bulk_create(apps)
    # The appointed: the researcher role from their start date, and a profile.
    by_person = {a.person_id: a for a in made if a.status == AdmissionApplication.Status.APPOINTED}
    region_of = {r.pk: r.institute_id for r in rounds}
    inst_parent = dict(
        OrgUnit.objects.filter(pk__in=set(region_of.values())).values_list("pk", "parent_id")
    )
    roles = RoleAssignment.objects.bulk_create(
        RoleAssignment(
            person_id=person,
            role=Role.RESEARCHER,
            org_unit_id=inst_parent[rnd.institute_id],
            created_at=timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
        )
        for person, _school, rnd, start in appointed
    )
    ResearcherProfile.objects.bulk_create(
        ResearcherProfile(
            person_id=person,
            org_unit_id=rnd.institute_id,
            employment=ResearcherProfile.Employment.PART_TIME,
            school_id=school,
            since=start,
        )
        for person, school, rnd, start in appointed
    )
    for ra in roles:
        app = by_person[ra.person_id]
        app.role_assignment = ra
    AdmissionApplication.objects.bulk_update(list(by_person.values()), ["role_assignment"])
    ctx.log(f"admission: {len(rounds)} rounds, {len(made)} applications, {len(roles)} appointed")


# The self-reviews and last year's appraisals (a step of their own, after the modules the
# work record reads).
from . import demo_appraisal  # noqa: E402, F401
