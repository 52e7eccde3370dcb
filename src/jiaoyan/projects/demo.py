"""Demo research projects (课题): five years of calls of every city and county office, and
projects at every level and every stage — applied, under review with experts' scores,
rejected, ongoing (some overdue), concluded with their grades, terminated — with their
members, stage records, documents (one shared demo PDF) and expert reviews (the experts
granted their projects). About 3,000 projects at city scale, in proportion to the number
of schools at other scales. The demo teacher leads projects (one overdue at its mid-term)
and the demo district researcher has reviews waiting. Deterministic from ``ctx.rng``;
every table is written in bulk."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step, weighted
from jiaoyan.core.models import ScopeGrant
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person, RoleAssignment

from .models import (
    Grade,
    Level,
    Project,
    ProjectCall,
    ProjectMember,
    Review,
    Stage,
    StageDocument,
    StageRecord,
)
from .services import REPORT_OF, REVIEW_REASON

PER_CITY = 3000  # projects of a city of 1,625 schools over five years
YEARS = 5
THEMES = [
    "双减背景下的作业设计",
    "大单元教学",
    "跨学科主题学习",
    "课堂教学评价改革",
    "劳动教育课程建设",
    "心理健康教育",
    "信息技术与学科融合",
    "阅读素养提升",
    "家校社协同育人",
    "农村学校教学质量提升",
]
LEVELS = [
    (Level.SCHOOL, 40),
    (Level.COUNTY, 35),
    (Level.CITY, 19),
    (Level.PROVINCE, 5),
    (Level.NATIONAL, 1),
]
GRADES = [(Grade.EXCELLENT, 20), (Grade.GOOD, 40), (Grade.PASS, 35), (Grade.FAIL, 5)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Builder:
    def __init__(self, ctx: DemoContext, doc_name: str) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.doc_name = doc_name
        self.calls: list[ProjectCall] = []
        self.projects: list[Project] = []
        # per project, written once the projects have ids
        self.plan: list[tuple[Project, list, str, list[Person]]] = []
        self.seq: dict[tuple[int, int], int] = defaultdict(int)

    def project(
        self,
        *,
        host: OrgUnit,
        approving: OrgUnit,
        call: ProjectCall | None,
        level: str,
        team: list[Person],
        applied: dt.date,
        fate: str,
        experts: list[Person],
    ) -> Project:
        rng = self.rng
        today = timezone.localdate()
        pi = team[0]
        p = Project(
            org_unit=host,
            approving_unit=approving,
            call=call,
            title=f"{rng.choice(THEMES)}的实践研究（{host.name}）"[:150],
            level=level,
            theme=rng.choice(THEMES),
            pi=pi,
            budget=Decimal(rng.choice([0, 2000, 5000, 10000, 20000])) or None,
            applied_on=applied,
            opening_due=applied + dt.timedelta(days=90),
            midterm_due=applied + dt.timedelta(days=365),
            conclusion_due=applied + dt.timedelta(days=730),
            created_at=timezone.make_aware(dt.datetime.combine(applied, dt.time(9))),
        )
        p.updated_at = p.created_at
        approved = applied + dt.timedelta(days=rng.randint(20, 45))
        stage, status = Stage.APPLICATION, Project.Status.APPLIED
        if fate == "under_review":
            stage, status = Stage.REVIEW, Project.Status.UNDER_REVIEW
        elif fate == "rejected":
            stage, status = Stage.REVIEW, Project.Status.REJECTED
        elif fate in {"ongoing", "concluded", "terminated"}:
            p.approved_on = approved
            key = (approving.pk, approved.year)
            self.seq[key] += 1
            p.number = f"{approving.code}-{approved.year}-{self.seq[key]:04d}"
            # the stage reached follows the time since approval
            if fate == "concluded":
                stage, status = Stage.CONCLUSION, Project.Status.CONCLUDED
                p.grade = weighted(rng, GRADES)
                p.concluded_on = min(
                    p.conclusion_due + dt.timedelta(days=rng.randint(-30, 30)), today
                )
            else:
                status = Project.Status.ONGOING if fate == "ongoing" else Project.Status.TERMINATED
                age = (today - approved).days
                stage = (
                    Stage.OPENING if age < 120 else Stage.MIDTERM if age < 420 else Stage.CONCLUSION
                )
                if fate == "terminated":
                    p.end_reason = rng.choice(["主持人调离", "研究条件变化", "逾期未结题"])
        p.stage, p.status = stage, status
        if status == Project.Status.ONGOING:
            p.due_on = {
                Stage.OPENING: p.opening_due,
                Stage.MIDTERM: p.midterm_due,
                Stage.CONCLUSION: p.conclusion_due,
            }[stage]
            if p.due_on < today and rng.random() < 0.7:
                # most are extended (or filed late) and only a few stay overdue
                p.due_on = today + dt.timedelta(days=rng.randint(10, 120))
        self.projects.append(p)
        self.plan.append((p, team, fate, experts))
        return p

    def write(self) -> dict[str, int]:
        rng = self.rng
        bulk.bulk_create(ProjectCall, self.calls)
        for p in self.projects:
            p.call_id = p.call.pk if p.call is not None else None
        bulk.bulk_create(Project, self.projects, batch_size=2000)
        members, records, docs, reviews, grants = [], [], [], [], []
        ct = ContentType.objects.get_for_model(Project)
        now = timezone.now()
        for p, team, _fate, experts in self.plan:
            for n, person in enumerate(team):
                role = (
                    ProjectMember.Role.PI
                    if n == 0
                    else ProjectMember.Role.CORE
                    if n == 1
                    else ProjectMember.Role.MEMBER
                )
                members.append(
                    ProjectMember(project=p, person=person, role=role, unit_id=person.org_unit_id)
                )
            order = [s.value for s in Stage]
            reached = order.index(p.stage)
            for i, stage in enumerate(order):
                if i > reached and p.approved_on is None:
                    break
                due = {
                    Stage.OPENING: p.opening_due,
                    Stage.MIDTERM: p.midterm_due,
                    Stage.CONCLUSION: p.conclusion_due,
                }.get(stage)
                if stage == p.stage and p.status == Project.Status.ONGOING:
                    due = p.due_on
                done = i < reached or p.status == Project.Status.CONCLUDED
                status = StageRecord.Status.PENDING
                if stage == Stage.APPLICATION:
                    status = StageRecord.Status.SUBMITTED
                elif stage == Stage.REVIEW and p.status == Project.Status.REJECTED:
                    status = StageRecord.Status.FAILED
                elif done:
                    status = StageRecord.Status.PASSED
                if (
                    stage == Stage.CONCLUSION
                    and p.status == Project.Status.CONCLUDED
                    and p.grade == Grade.FAIL
                ):
                    status = StageRecord.Status.FAILED
                if i > reached and p.status != Project.Status.CONCLUDED:
                    status = StageRecord.Status.PENDING
                r = StageRecord(project=p, stage=stage, status=status, due_on=due)
                if status != StageRecord.Status.PENDING:
                    r.submitted_at = now
                    r.decided_at = now if stage != Stage.APPLICATION else None
                records.append(r)
                if stage in REPORT_OF and status != StageRecord.Status.PENDING:
                    docs.append((r, REPORT_OF[stage]))
            if p.stage != Stage.APPLICATION and experts:
                for e in experts:
                    submitted = p.status != Project.Status.UNDER_REVIEW or rng.random() < 0.5
                    reviews.append(
                        Review(
                            project=p,
                            stage=Stage.REVIEW,
                            expert=e,
                            status=Review.Status.SUBMITTED if submitted else Review.Status.ASSIGNED,
                            score=Decimal(rng.randint(55, 98)) if submitted else None,
                            verdict=(
                                ("reject" if p.status == Project.Status.REJECTED else "approve")
                                if submitted
                                else ""
                            ),
                            opinion="选题有研究价值，设计较规范。" if submitted else "",
                            submitted_at=now if submitted else None,
                        )
                    )
                    if e.user_id:
                        grants.append(
                            ScopeGrant(
                                content_type=ct,
                                object_id=p.pk,
                                user_id=e.user_id,
                                reason=REVIEW_REASON,
                            )
                        )
        bulk.bulk_create(ProjectMember, members, batch_size=5000)
        bulk.bulk_create(StageRecord, records, batch_size=5000)
        bulk.bulk_create(
            StageDocument,
            [
                StageDocument(
                    record=r,
                    kind=kind,
                    file=self.doc_name,
                    file_name=f"{r.get_stage_display()}.pdf",
                )
                for r, kind in docs
            ],
            batch_size=5000,
        )
        bulk.bulk_create(Review, reviews, batch_size=5000)
        ScopeGrant.objects.bulk_create(grants, batch_size=5000, ignore_conflicts=True)
        return {
            "members": len(members),
            "stages": len(records),
            "documents": len(docs),
            "reviews": len(reviews),
        }


def _fate(rng, applied: dt.date, today: dt.date) -> str:
    age = (today - applied).days
    if age < 30:
        return "applied"
    if age < 60:
        return weighted(rng, [("under_review", 70), ("rejected", 15), ("ongoing", 15)])
    if rng.random() < 0.18:
        return "rejected"
    if age > 760:
        return weighted(rng, [("concluded", 88), ("terminated", 7), ("ongoing", 5)])
    return weighted(rng, [("ongoing", 94), ("terminated", 6)])


@step(62)
def build_projects(ctx: DemoContext) -> None:
    rng = ctx.rng
    units: list[OrgUnit] = ctx.data["units"]
    people: list[Person] = ctx.data["people"]
    accounts = ctx.data.get("accounts", {})
    by_id = {u.pk: u for u in units}
    province = ctx.data.get("province")
    offices: dict[int, OrgUnit] = {}
    for u in units:
        office = u.kind in (OrgUnit.Kind.INSTITUTE, OrgUnit.Kind.BUREAU) and u.parent_id
        if office and (u.kind == OrgUnit.Kind.INSTITUTE or u.parent_id not in offices):
            offices[u.parent_id] = u
    staff: dict[int, list[Person]] = defaultdict(list)
    for person in people:
        unit = by_id.get(person.org_unit_id)
        if unit is not None and unit.kind == OrgUnit.Kind.SCHOOL:
            staff[unit.pk].append(person)
    researcher_ids = set(
        RoleAssignment.objects.filter(role=Role.RESEARCHER).values_list("person_id", flat=True)
    )
    experts_of: dict[int, list[Person]] = defaultdict(list)  # office id -> its researchers
    for person in people:
        if person.pk in researcher_ids and person.org_unit_id in {o.pk for o in offices.values()}:
            experts_of[person.org_unit_id].append(person)
    name = default_storage.save("projects/demo/示例材料.pdf", ContentFile(PDF))
    b = _Builder(ctx, name)
    today = timezone.localdate()
    first_year = today.year - YEARS + 1
    schools = [u for u in units if u.kind == OrgUnit.Kind.SCHOOL and staff.get(u.pk)]
    schools.sort(key=lambda u: u.path)
    total = round(PER_CITY * ctx.scale.schools_per_city / 1625) * ctx.scale.cities
    cities: list[OrgUnit] = ctx.data["cities"]
    counties: dict[int, list[OrgUnit]] = ctx.data["counties"]
    calls: dict[tuple[int, int], ProjectCall] = {}
    for year in range(first_year, today.year + 1):
        for region in [*cities, *(c for city in cities for c in counties.get(city.pk, []))]:
            office = offices.get(region.pk, region)
            # this year's calls are open now; earlier ones opened in March and are decided
            opens = dt.date(year, 3, 1) if year < today.year else today - dt.timedelta(days=45)
            call = ProjectCall(
                org_unit=office,
                title=f"{year}年{region.name}教育科研课题指南",
                level=Level.CITY if region.level == "city" else Level.COUNTY,
                year=year,
                topics="\n".join(rng.sample(THEMES, 4)),
                opens_on=opens,
                closes_on=opens + dt.timedelta(days=30 if year < today.year else 60),
                default_quota=5 if region.level == "city" else 3,
                status=ProjectCall.Status.DECIDED if year < today.year else ProjectCall.Status.OPEN,
                created_at=timezone.make_aware(dt.datetime.combine(opens, dt.time(9))),
            )
            call.updated_at = call.created_at
            b.calls.append(call)
            calls[(region.pk, year)] = call
    counts: dict[int, int] = defaultdict(int)
    teacher = accounts.get("teacher")
    researcher = accounts.get("district_researcher")
    for n in range(total):
        host = rng.choice(schools)
        team_pool = staff[host.pk]
        level = weighted(rng, LEVELS)
        path = host.ancestor_ids
        city_id = next((u for u in path if by_id.get(u) and by_id[u].level == "city"), None)
        county_id = next((u for u in path if by_id.get(u) and by_id[u].level == "county"), None)
        year = first_year + (n * YEARS) // total
        applied = dt.date(year, 3, 1) + dt.timedelta(days=rng.randint(0, 29))
        if level == Level.SCHOOL:
            approving, call = host, None
            applied = dt.date(year, rng.randint(2, 10), rng.randint(1, 28))
        elif level == Level.COUNTY and county_id:
            approving = offices.get(county_id, by_id[county_id])
            call = calls.get((county_id, year))
        elif level == Level.CITY and city_id:
            approving = offices.get(city_id, by_id[city_id])
            call = calls.get((city_id, year))
        else:
            top = province or by_id[city_id]
            approving = offices.get(top.pk, top)
            call = None
            level = level if level in (Level.PROVINCE, Level.NATIONAL) else Level.PROVINCE
        if year == today.year:
            applied = today - dt.timedelta(days=rng.randint(0, 120))
        team = rng.sample(team_pool, min(len(team_pool), rng.randint(2, 5)))
        pool = experts_of.get(approving.pk) or experts_of.get(
            offices.get(county_id or 0, host).pk, []
        )
        experts = rng.sample(pool, min(2, len(pool))) if pool else []
        b.project(
            host=host,
            approving=approving,
            call=call,
            level=level,
            team=team,
            applied=applied,
            fate=_fate(rng, applied, today),
            experts=experts,
        )
        if call is not None:
            counts[id(call)] += 1
    for call in b.calls:
        call.application_count = counts.get(id(call), 0)
    # The demo teacher's own: one ongoing and overdue at its mid-term, one concluded.
    if teacher is not None:
        host = by_id[teacher.org_unit_id]
        mates = [p for p in staff.get(host.pk, []) if p.pk != teacher.pk][:2]
        for fate, applied in (
            ("ongoing", today - dt.timedelta(days=400)),
            ("concluded", today - dt.timedelta(days=900)),
        ):
            county_id = next(u for u in host.ancestor_ids if by_id[u].level == "county")
            approving = offices.get(county_id, by_id[county_id])
            p = b.project(
                host=host,
                approving=approving,
                call=None,
                level=Level.COUNTY,
                team=[teacher, *mates],
                applied=applied,
                fate=fate,
                experts=[researcher] if researcher is not None else [],
            )
            p.title = f"{host.name}初中数学作业分层设计研究" + (
                "（二）" if fate == "ongoing" else ""
            )
            if fate == "ongoing":
                p.stage, p.due_on = Stage.MIDTERM, today - dt.timedelta(days=5)
                p.midterm_due = p.due_on
    out = b.write()
    if researcher is not None and researcher.user_id:
        waiting = [
            p
            for p in b.projects
            if p.status == Project.Status.UNDER_REVIEW
            and p.org_unit_id != researcher.org_unit_id
            and by_id[p.org_unit_id].path.startswith(
                by_id[researcher.org_unit_id].path.rsplit("/", 2)[0]
            )
        ][:5]
        Review.objects.bulk_create(
            [Review(project=p, stage=Stage.REVIEW, expert=researcher) for p in waiting],
            ignore_conflicts=True,
        )
        ct = ContentType.objects.get_for_model(Project)
        ScopeGrant.objects.bulk_create(
            [
                ScopeGrant(
                    content_type=ct,
                    object_id=p.pk,
                    user_id=researcher.user_id,
                    reason=REVIEW_REASON,
                )
                for p in waiting
            ],
            ignore_conflicts=True,
        )
    ctx.log(
        f"  课题指南 {len(b.calls)} 个，课题 {len(b.projects)} 项，成员 {out['members']} 人次，"
        f"环节 {out['stages']} 条，材料 {out['documents']} 份，专家评审 {out['reviews']} 条"
    )


@step(63)
def build_forwarding_call(ctx: DemoContext) -> None:
    """区县推荐 through the services: this year's key-project call of the demo city, open,
    whose schools' applications reach the city only once their county forwards them, each
    county within its own quota. Schools' principals apply (a teacher leads); each county's
    researcher forwards some of them (up to its quota; the last county has not begun),
    the others wait. A few dozen applications at city scale: bounded, seconds."""
    from django.core.exceptions import PermissionDenied
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiaoyan.core.errors import ServiceError
    from jiaoyan.people.models import User

    from . import services

    rng = ctx.rng
    admin = User.objects.filter(username="city_admin").select_related("person").first()
    person = getattr(admin, "person", None) if admin is not None else None
    if person is None:
        ctx.log("projects: no city admin; no forwarding call")
        return
    bureau = person.org_unit
    city = bureau.parent if bureau.kind == OrgUnit.Kind.BUREAU else bureau
    office = (
        OrgUnit.objects.filter(parent=city, kind=OrgUnit.Kind.INSTITUTE).order_by("path").first()
        or bureau
    )
    today = timezone.localdate()
    call = services.create_call(
        actor=admin,
        org_unit=office.pk,
        title=f"{today.year}年{city.name}教育科研重点课题指南（区县推荐）",
        level=Level.CITY,
        year=today.year,
        topics="\n".join(rng.sample(THEMES, 4)),
        description="各区县教研室在本区县名额内择优推荐学校申报，市教科所组织专家评审。",
        opens_on=today - dt.timedelta(days=20),
        closes_on=today + dt.timedelta(days=25),
        default_quota=2,
        forwarding=True,
    )
    counties = list(
        OrgUnit.objects.filter(
            path__under=city.path, level="county", kind=OrgUnit.Kind.REGION
        ).order_by("path")
    )
    quotas = {}
    for county in counties:
        quotas[county.pk] = rng.randint(2, 4)
        services.set_call_quota(actor=admin, call=call, unit=county.pk, quota=quotas[county.pk])
    call = services.set_call_status(actor=admin, call=call, status=ProjectCall.Status.OPEN)
    principals = dict(
        RoleAssignment.objects.filter(
            role=Role.PRINCIPAL,
            org_unit__path__under=city.path,
            org_unit__kind=OrgUnit.Kind.SCHOOL,
            person__user__isnull=False,
        )
        .order_by("org_unit_id", "person_id")
        .values_list("org_unit_id", "person__user_id")
    )
    teachers: dict[int, list[int]] = defaultdict(list)
    for pid, unit in (
        RoleAssignment.objects.filter(role=Role.TEACHER, org_unit_id__in=list(principals))
        .order_by("person_id")
        .values_list("person_id", "org_unit_id")
    ):
        teachers[unit].append(pid)
    forwarders = dict(
        RoleAssignment.objects.filter(
            role=Role.RESEARCHER,
            org_unit_id__in=[c.pk for c in counties],
            person__user__isnull=False,
        )
        .order_by("-person_id")
        .values_list("org_unit_id", "person__user_id")
    )
    demo_researcher = User.objects.filter(username="district_researcher").first()
    users = User.objects.in_bulk(
        {*principals.values(), *forwarders.values()}
        | ({demo_researcher.pk} if demo_researcher else set())
    )
    applied = forwarded = 0
    for n, county in enumerate(counties):
        schools = list(
            OrgUnit.objects.filter(
                path__under=county.path, kind=OrgUnit.Kind.SCHOOL, pk__in=list(principals)
            )
            .order_by("path")
            .values_list("pk", flat=True)
        )
        schools = [s for s in schools if teachers.get(s)]
        chosen = rng.sample(schools, min(len(schools), quotas[county.pk] + rng.randint(1, 3)))
        made = []
        for school in chosen:
            try:
                made.append(
                    services.apply(
                        actor=users[principals[school]],
                        call=call.pk,
                        title=f"{rng.choice(THEMES)}的实践研究"[:150],
                        org_unit=school,
                        pi=rng.choice(teachers[school]),
                        theme=rng.choice(THEMES),
                        summary="结合本校实际，围绕指南选题开展为期两年的实践研究。",
                        budget=rng.choice([None, 5000, 10000]),
                        opening_due=today + dt.timedelta(days=90),
                        midterm_due=today + dt.timedelta(days=365),
                        conclusion_due=today + dt.timedelta(days=730),
                        application_form=SimpleUploadedFile("申报书.pdf", PDF),
                    )
                )
            except (ServiceError, PermissionDenied):
                continue  # e.g. the teacher leads as many city projects as one may
        applied += len(made)
        if n == len(counties) - 1:
            continue  # the last county has not begun forwarding
        forwarder = users.get(forwarders.get(county.pk))
        if demo_researcher is not None and county.code == "610502":
            forwarder = demo_researcher
        if forwarder is None:
            continue
        for p in made[: rng.randint(max(1, quotas[county.pk] - 1), quotas[county.pk])]:
            try:
                services.forward(actor=forwarder, project=p)
                forwarded += 1
            except (ServiceError, PermissionDenied):
                continue
    ctx.log(f"  区县推荐课题指南 1 个：申报 {applied} 项，已推荐 {forwarded} 项")
