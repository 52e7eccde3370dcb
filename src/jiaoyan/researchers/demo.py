"""Demo researchers (教研员): a profile for every person holding the researcher role (their
institute, subjects and stages from the role, this year's duties), liaison schools for
the few the observations demo left without, and for about half of them one or two
residencies (驻校蹲点) at a liaison school in the past year, with visits — some linked to
the observations the researcher made there — and a summary report once ended.
Deterministic from ``ctx.rng``; written in bulk (city scale: ~600 researchers)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

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


# The self-reviews and last year's appraisals (a step of their own, after the modules the
# work record reads).
from . import demo_appraisal  # noqa: E402, F401
