"""Demo training programmes (研训): in every county, programmes of its teacher development
centre (or bureau) for teachers and principals — most of them closed, with their
sessions, enrolments (open, nominated within school quotas, invited), attendance
(present, late, absent), assignments graded, completion computed from the rule and the
hours credited to the ledger — and one open programme taking enrolments; in every city a
large key-teacher programme (2,000 places at city scale) running, its completion not yet
computed (the bench's completion job). Deterministic from ``ctx.rng``; every table is
written in bulk, so province scale loads in minutes. (The bulk of the hours history is
the hours app's own demo.)"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from jiaoyan.activities import codes
from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.roles import Role
from jiaoyan.hours.models import HoursRecord
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person, RoleAssignment

from .models import (
    Assignment,
    Attendance,
    Cohort,
    Enrolment,
    Feedback,
    Programme,
    Quota,
    Session,
    Submission,
)

TOPICS = [
    ("新课标背景下的大单元教学设计", "key", "teacher"),
    ("新入职教师规范化培训", "new", "teacher"),
    ("中小学教师信息技术应用能力提升", "key", "teacher,principal"),
    ("师德师风专题培训", "new", "teacher,principal"),
    ("中小学心理健康教育专题研修", "key", "teacher"),
    ("校长课程领导力提升研修班", "advanced", "principal"),
    ("学科带头人高级研修班", "master", "teacher,researcher"),
]
PLACES = ["教师发展中心报告厅", "实验中学多功能厅", "教育局三楼会议室", "线上直播"]
BIG = {"small": 400, "city": 2000, "province": 2000}


def _local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class _Builder:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.programmes: list[Programme] = []
        self.sessions: list[Session] = []
        self.enrolments: list[Enrolment] = []
        self.attendance: list[Attendance] = []
        self.assignments: list[Assignment] = []
        self.submissions: list[Submission] = []
        self.feedback: list[Feedback] = []
        self.quotas: list[Quota] = []
        self.hours: list[HoursRecord] = []
        # filled per programme, written after the programmes have ids
        self.plan: list[tuple[Programme, list, list, dict]] = []

    def programme(
        self,
        organiser: OrgUnit,
        title: str,
        tier: str,
        cohorts: str,
        people: list[tuple[Person, str, int]],
        *,
        start: dt.date,
        n_sessions: int,
        status: str,
        mode: str,
        capacity: int | None,
        computed: bool,
    ) -> None:
        rng = self.rng
        level = {
            OrgUnit.Level.CITY: Programme.Level.CITY,
            OrgUnit.Level.PROVINCE: Programme.Level.PROVINCE,
        }.get(organiser.level, Programme.Level.COUNTY)
        p = Programme(
            org_unit=organiser,
            title=title,
            description="",
            cohorts=cohorts,
            tier=tier,
            level=level,
            format=rng.choice(["face", "face", "blended", "online"]),
            capacity=capacity,
            mode=mode,
            min_attendance=rng.choice([75, 80, 80, 100]),
            assignment_required=rng.random() < 0.6,
            hours_mode=rng.choice(["all", "all", "per_session"]),
            status=status,
            starts_on=start,
            created_at=self.ctx.now - dt.timedelta(days=30),
            updated_at=self.ctx.now,
        )
        if p.assignment_required:
            p.assignment_pass_mark = Decimal("60")
        sessions = []
        for n in range(n_sessions):
            day = start + dt.timedelta(days=7 * n)
            hours = Decimal(rng.choice(["3", "3", "4", "6"]))
            place = rng.choice(PLACES)
            sessions.append(
                Session(
                    title=f"第{n + 1}讲",
                    starts_at=_local(day, 9),
                    ends_at=_local(day, 12 if hours <= 3 else 16),
                    place=place if place != "线上直播" else "",
                    link="https://meeting.example.cn/room/1001" if place == "线上直播" else "",
                    hours=hours,
                    checkin_secret=codes.new_secret(),
                )
            )
        p.total_hours = sum((s.hours for s in sessions), Decimal("0"))
        chosen = people[: capacity or len(people)]
        self.programmes.append(p)
        self.plan.append((p, sessions, chosen, {"computed": computed}))

    def write(self) -> None:
        rng = self.rng
        bulk.bulk_create(Programme, self.programmes)
        for p, sessions, _chosen, _o in self.plan:
            for s in sessions:
                s.programme_id = p.pk
        bulk.bulk_create(Session, [s for _p, ss, _c, _o in self.plan for s in ss])
        ct = ContentType.objects.get_for_model(Programme)
        for p, sessions, chosen, opts in self.plan:
            past = [s for s in sessions if s.starts_at < self.ctx.now]
            assignment = None
            if p.assignment_required:
                assignment = Assignment(
                    programme_id=p.pk,
                    title="研修作业：教学设计与反思",
                    deadline=sessions[-1].ends_at + dt.timedelta(days=7),
                )
                self.assignments.append(assignment)
            quota_used: dict[int, int] = defaultdict(int)
            rows = []
            for person, cohort, school_id in chosen:
                e = Enrolment(
                    programme_id=p.pk,
                    person_id=person.pk,
                    school_id=school_id,
                    cohort=cohort,
                    status=Enrolment.Status.ENROLLED,
                    via={"open": "open", "nomination": "nomination", "invitation": "invitation"}[
                        p.mode
                    ],
                    enrolled_at=_local(p.starts_on - dt.timedelta(days=10), 10),
                )
                if p.mode == "nomination":
                    quota_used[school_id] += 1
                diligence = rng.random()
                attended = []
                for s in past:
                    r = rng.random()
                    if r < 0.75 + diligence * 0.2:
                        status = "present"
                    elif r < 0.85 + diligence * 0.1:
                        status = "late"
                    else:
                        status = "absent"
                    self.attendance.append(
                        Attendance(
                            session=s,
                            person_id=person.pk,
                            status=status,
                            method=rng.choice(["qr", "qr", "code", "import"]),
                            checked_in_at=None
                            if status == "absent"
                            else s.starts_at + dt.timedelta(minutes=rng.randint(-20, 25)),
                        )
                    )
                    if status != "absent":
                        attended.append(s)
                rows.append((e, attended, diligence))
            for school_id, used in quota_used.items():
                self.quotas.append(
                    Quota(
                        programme_id=p.pk,
                        school_id=school_id,
                        seats=used + rng.randint(0, 2),
                        used=used,
                    )
                )
            for s in past:
                s.present_count = 0
            completed = 0
            for e, attended, diligence in rows:
                for s in attended:
                    s.present_count += 1
                score = None
                if assignment is not None and past and rng.random() < 0.95:
                    score = Decimal(int(50 + diligence * 50))
                    self.submissions.append(
                        Submission(
                            assignment=assignment,
                            person_id=e.person_id,
                            text="结合本校学情完成的教学设计，附课后反思。",
                            status=Submission.Status.GRADED,
                            submitted_at=sessions[-1].ends_at,
                            score=score,
                            comment="设计完整，反思深入。" if score >= 80 else "",
                        )
                    )
                if rng.random() < 0.4 and attended:
                    self.feedback.append(
                        Feedback(
                            programme_id=p.pk,
                            person_id=e.person_id,
                            rating=rng.choice([5, 5, 4, 4, 4, 3]),
                        )
                    )
                e.attended_sessions = len(attended)
                if not opts["computed"]:
                    continue
                need = -(-p.min_attendance * len(sessions) // 100)
                missed = []
                if len(attended) < need:
                    missed.append(
                        {
                            "code": "attendance",
                            "have": len(attended),
                            "need": need,
                            "of": len(sessions),
                        }
                    )
                if assignment is not None and (score is None or score < p.assignment_pass_mark):
                    missed.append(
                        {
                            "code": "assignment",
                            "title": assignment.title,
                            "have": None if score is None else float(score),
                            "need": 60.0,
                        }
                    )
                e.missed = missed
                if missed:
                    e.outcome = Enrolment.Outcome.NOT_COMPLETED
                    continue
                e.outcome = Enrolment.Outcome.COMPLETED
                completed += 1
                e.hours_earned = (
                    p.total_hours
                    if p.hours_mode == "all"
                    else sum((s.hours for s in attended), Decimal("0"))
                )
                self.hours.append(
                    HoursRecord(
                        person_id=e.person_id,
                        hours=e.hours_earned,
                        kind=HoursRecord.Kind.TRAINING,
                        date=sessions[-1].starts_at.date(),
                        title=p.title,
                        source_type=ct,
                        source_id=p.pk,
                        credited_by_id=p.org_unit_id,
                        category_id=p.category_id,
                        created_at=self.ctx.now,
                    )
                )
            self.enrolments.extend(e for e, _a, _d in rows)
            p.enrolled_count = len(rows)
            p.completed_count = completed
            if opts["computed"]:
                p.completion_at = self.ctx.now
                p.closed_at = self.ctx.now
        Programme.objects.bulk_update(
            self.programmes,
            ["enrolled_count", "completed_count", "completion_at", "closed_at"],
            batch_size=1000,
        )
        Session.objects.bulk_update(
            [s for _p, ss, _c, _o in self.plan for s in ss], ["present_count"], batch_size=2000
        )
        bulk.bulk_create(Enrolment, self.enrolments, batch_size=5000)
        bulk.bulk_create(Quota, self.quotas)
        bulk.bulk_create(Assignment, self.assignments)
        for s in self.submissions:
            s.assignment_id = s.assignment.pk
        bulk.bulk_insert(Attendance, self.attendance, batch_size=10000)
        bulk.bulk_insert(Submission, self.submissions, batch_size=5000)
        bulk.bulk_insert(Feedback, self.feedback, batch_size=5000)
        bulk.bulk_insert(HoursRecord, self.hours, batch_size=10000)


@step(48)
def build_training(ctx: DemoContext) -> None:
    rng = ctx.rng
    units: list[OrgUnit] = ctx.data["units"]
    people: list[Person] = ctx.data["people"]
    by_id = {u.pk: u for u in units}
    principals = set(
        RoleAssignment.objects.filter(role=Role.PRINCIPAL).values_list("person_id", flat=True)
    )
    offices: dict[int, OrgUnit] = {}
    for u in units:
        office = u.kind in (OrgUnit.Kind.INSTITUTE, OrgUnit.Kind.BUREAU) and u.parent_id
        if office and (u.kind == OrgUnit.Kind.INSTITUTE or u.parent_id not in offices):
            offices[u.parent_id] = u
    staff_by_region: dict[int, list[tuple[Person, str, int]]] = defaultdict(list)
    for person in people:
        unit = by_id.get(person.org_unit_id)
        if unit is None or unit.kind != OrgUnit.Kind.SCHOOL:
            continue
        cohort = Cohort.PRINCIPAL if person.pk in principals else Cohort.TEACHER
        for uid in unit.ancestor_ids[:-1]:
            staff_by_region[uid].append((person, cohort, unit.pk))
    b = _Builder(ctx)
    today = timezone.localdate()
    cities: list[OrgUnit] = ctx.data["cities"]
    counties: dict[int, list[OrgUnit]] = ctx.data["counties"]
    accounts = ctx.data.get("accounts", {})
    for city in cities:
        city_staff = list(staff_by_region.get(city.pk, []))
        rng.shuffle(city_staff)
        teacher = accounts.get("teacher")
        if teacher is not None:
            mine = [x for x in city_staff if x[0].pk == teacher.pk]
            city_staff = mine + [x for x in city_staff if x[0].pk != teacher.pk]
        organiser = offices.get(city.pk, city)
        size = BIG[ctx.scale.name]
        b.programme(
            organiser,
            f"{city.name}骨干教师全员研修（{today.year}）",
            "key",
            "teacher,principal",
            [x for x in city_staff if x[1] == Cohort.TEACHER][:size],
            start=today - dt.timedelta(days=21),
            n_sessions=4,
            status=Programme.Status.RUNNING,
            mode=Programme.Mode.INVITATION,
            capacity=size,
            computed=False,
        )
        for county in counties.get(city.pk, []):
            staff = list(staff_by_region.get(county.pk, []))
            if not staff:
                continue
            organiser = offices.get(county.pk, county)
            topics = rng.sample(TOPICS, 3)
            for n, (title, tier, cohorts) in enumerate(topics):
                wanted = [x for x in staff if x[1] in cohorts.split(",")]
                rng.shuffle(wanted)
                size = min(len(wanted), rng.randint(40, 120))
                closed = n < 2
                start = (
                    today - dt.timedelta(days=rng.randint(60, 400))
                    if closed
                    else today + dt.timedelta(days=rng.randint(7, 30))
                )
                b.programme(
                    organiser,
                    f"{county.name}{title}",
                    tier,
                    cohorts,
                    wanted[:size] if closed else wanted[: size // 3],
                    start=start,
                    n_sessions=rng.randint(2, 5),
                    status=Programme.Status.CLOSED if closed else Programme.Status.OPEN,
                    mode=rng.choice(["open", "nomination", "invitation"]),
                    capacity=size,
                    computed=closed,
                )
    b.write()
    ctx.log(
        f"  研训项目 {len(b.programmes)} 个，场次 {sum(len(x[1]) for x in b.plan)}，"
        f"学员 {len(b.enrolments)} 人次，签到 {len(b.attendance)} 条，学时记录 {len(b.hours)} 条"
    )
