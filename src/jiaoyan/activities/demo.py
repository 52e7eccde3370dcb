"""Demo research year: plans with monthly themes (city, counties, a quarter of the schools),
and a calendar year of activities at every level with venues, participants, attendance,
materials' metadata, minutes, decisions, feedback and the hours they credited.

City scale follows DESIGN.md (渭南, 2023): about 21,000 activities and 600,000 attendance
records in the year. Activities before "now" are finished (a few cancelled), those ahead
are published (some still drafts). Everything is bulk-inserted in chunks, so the city
loads in a few minutes and the memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step, weighted
from jiaoyan.core.models import ScopeGrant
from jiaoyan.core.paths import path_ids
from jiaoyan.hours.models import HoursRecord
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person, RoleAssignment

from . import codes
from .models import (
    Activity,
    Decision,
    Feedback,
    Level,
    Material,
    MonthlyTheme,
    Participation,
    ResearchPlan,
    Venue,
)

K = Activity.Kind
S = Activity.Status
PS = Participation.Status
ATT = Participation.Attendance

THEMES = [
    "学期教学计划与课程纲要",
    "新课标背景下的大单元教学设计",
    "课堂提问与学生思维发展",
    "作业设计与“双减”落实",
    "跨学科主题学习",
    "信息技术与学科教学融合",
    "期中质量分析与教学改进",
    "实验教学与动手实践",
    "阅读与表达能力培养",
    "复习课的有效设计",
    "评价改革与学业质量",
    "教学反思与校本教研",
]
TOPICS = [
    "单元整体教学",
    "情境化问题设计",
    "分层作业",
    "课堂评价量规",
    "项目式学习",
    "核心素养落地",
    "课例研讨",
    "命题研究",
    "学困生转化",
    "实验探究",
    "整本书阅读",
    "思维可视化",
]
SCHOOL_KINDS = [
    (K.LESSON_PREP, 0.38),
    (K.OBSERVATION, 0.30),
    (K.SAME_LESSON, 0.12),
    (K.LECTURE, 0.06),
    (K.PROJECT, 0.06),
    (K.ONLINE, 0.04),
    (K.OTHER, 0.04),
]
REGION_KINDS = [
    (K.LECTURE, 0.18),
    (K.OBSERVATION, 0.18),
    (K.SAME_LESSON, 0.14),
    (K.LESSON_PREP, 0.10),
    (K.PROJECT, 0.10),
    (K.OUTREACH, 0.08),
    (K.INSPECTION, 0.07),
    (K.DEMONSTRATION, 0.06),
    (K.JOINT_MEETING, 0.04),
    (K.ONLINE, 0.05),
]
COMMENTS = [
    "收获很大，案例很实用。",
    "希望多安排课堂观摩环节。",
    "专家点评很有针对性。",
    "时间有点紧，讨论不够充分。",
    "对大单元设计有了新的理解。",
    "分会场视频有些卡顿。",
    "希望能提前发放资料。",
    "同课异构的对比很有启发。",
]
DECLINE_REASONS = ["当天有公开课", "外出培训", "病假", "学校有监考任务", "家中有事"]
START_TIMES = [(8, 30), (9, 0), (9, 30), (14, 0), (14, 30), (15, 0)]


def _school_days(year: int) -> list[dt.date]:
    """Weekdays of the year outside the winter and summer holidays."""
    days = []
    d = dt.date(year, 1, 1)
    while d.year == year:
        holiday = (d.month == 1 and d.day > 15) or (d.month == 2 and d.day < 20)
        holiday = holiday or (d.month == 7 and d.day > 10) or (d.month == 8 and d.day < 28)
        holiday = holiday or (d.month == 10 and d.day <= 7)
        if d.weekday() < 5 and not holiday:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


class Roster:
    """Active staff by school, subject and stage, read once for the whole run."""

    def __init__(self) -> None:
        self.by_school: dict[int, list[tuple[int, int | None, int | None]]] = defaultdict(list)
        self.researchers: dict[int, list[tuple[int, int | None, int | None]]] = defaultdict(list)
        subjects: dict[int, int] = {}
        stages: dict[int, int] = {}
        Through = RoleAssignment.subjects.through
        for ra_id, subject_id in Through.objects.values_list("roleassignment_id", "subject_id"):
            subjects.setdefault(ra_id, subject_id)
        SThrough = RoleAssignment.stages.through
        for ra_id, stage_id in SThrough.objects.values_list("roleassignment_id", "stage_id"):
            stages.setdefault(ra_id, stage_id)
        rows = RoleAssignment.objects.filter(is_active=True).values_list(
            "pk", "role", "person_id", "person__org_unit_id", "org_unit_id"
        )
        for ra_id, role, pid, unit_id, scope_id in rows:
            entry = (pid, subjects.get(ra_id), stages.get(ra_id))
            if role in ("teacher", "principal", "counsellor"):
                self.by_school[unit_id].append(entry)
            elif role == "researcher":
                self.researchers[scope_id].append(entry)
        self._matching: dict[tuple, list[int]] = {}

    def matching(self, school: int, subject: int | None, stage: int | None) -> list[int]:
        """The school's staff of the subject and stage (None: any), computed once."""
        key = (school, subject, stage)
        found = self._matching.get(key)
        if found is None:
            found = self._matching[key] = [
                p
                for p, subj, stg in self.by_school.get(school, [])
                if (subject is None or subj == subject) and (stage is None or stg == stage)
            ]
        return found


@step(40)
def build_activities(ctx: DemoContext) -> None:
    rng: random.Random = ctx.rng
    now = ctx.now
    year = timezone.localtime(now).year
    tz = timezone.get_current_timezone()
    units: list[OrgUnit] = ctx.data["units"]
    by_pk = {u.pk: u for u in units}
    schools = [u for u, _s, _st in ctx.data["schools"]]
    school_stages = {u.pk: st for u, _s, st in ctx.data["schools"]}
    institutes = {u.parent_id: u for u in units if u.kind == OrgUnit.Kind.INSTITUTE}
    cities = ctx.data["cities"]
    counties = [c for cs in ctx.data["counties"].values() for c in cs]
    roster = Roster()
    subjects = {s.pk: s for s in Subject.objects.all()}
    subject_by_name = {s.name: s.pk for s in subjects.values()}
    stages = {s.pk: s for s in Stage.objects.all()}
    accounts = ctx.data.get("accounts", {})
    user_of = {p.pk: p.user_id for p in accounts.values()}

    def region_of(unit: OrgUnit, level: str) -> OrgUnit | None:
        for pk in path_ids(unit.path):
            u = by_pk.get(pk)
            if u is not None and u.level == level and u.kind == OrgUnit.Kind.REGION:
                return u
        return None

    schools_by_county: dict[int, list[OrgUnit]] = defaultdict(list)
    schools_by_city: dict[int, list[OrgUnit]] = defaultdict(list)
    for s in schools:
        county = region_of(s, OrgUnit.Level.COUNTY)
        city = region_of(s, OrgUnit.Level.CITY)
        if county is not None:
            schools_by_county[county.pk].append(s)
        if city is not None:
            schools_by_city[city.pk].append(s)

    # --- plans and themes --------------------------------------------------------------
    plans: list[ResearchPlan] = []
    plan_owner: list[int] = []  # region / school the plan speaks for
    for city in cities:
        inst = institutes[city.pk]
        plans.append(_plan(inst, year, f"{city.name}{year}年教研工作与研修计划", Level.CITY, now))
        plan_owner.append(city.pk)
    for county in counties:
        inst = institutes.get(county.pk, county)
        plans.append(_plan(inst, year, f"{county.name}{year}年度研修计划", Level.COUNTY, now))
        plan_owner.append(county.pk)
    planned_schools = [s for s in schools if rng.random() < 0.25]
    for s in planned_schools:
        plans.append(_plan(s, year, f"{s.name}{year}年校本研修计划", Level.SCHOOL, now))
        plan_owner.append(s.pk)
    bulk.bulk_create(ResearchPlan, plans)
    plan_of = dict(zip(plan_owner, plans, strict=True))
    for plan, owner in zip(plans, plan_owner, strict=True):
        unit = by_pk[owner]
        above = region_of(unit, OrgUnit.Level.COUNTY if unit.level == "school" else "city")
        if above is not None and above.pk != owner and above.pk in plan_of:
            plan.parent_id = plan_of[above.pk].pk
    bulk.bulk_update(ResearchPlan, [p for p in plans if p.parent_id], ["parent"])
    themes: list[MonthlyTheme] = []
    for plan in plans:
        offset = rng.randrange(len(THEMES))
        months = (
            range(1, 13)
            if plan.level != Level.SCHOOL
            else [m for m in range(1, 13) if m not in (1, 8)]
        )
        for m in months:
            title = THEMES[(m + offset) % len(THEMES)]
            themes.append(
                MonthlyTheme(plan=plan, month=m, title=title, goals=f"围绕“{title}”开展主题研修。")
            )
    bulk.bulk_create(MonthlyTheme, themes, batch_size=5000)
    theme_of: dict[tuple[int, int], int] = {(t.plan_id, t.month): t.pk for t in themes}

    # --- activities ---------------------------------------------------------------------
    days = _school_days(year)
    city_scale = ctx.scale.name != "small"
    per_city = 400 if city_scale else 40
    per_county = round(7370 / max(1, len(counties) / len(cities))) if city_scale else 70
    per_school = 8
    specs: list[dict] = []

    def pick_time():
        day = rng.choice(days)
        h, m = rng.choice(START_TIMES)
        start = dt.datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
        return start, start + dt.timedelta(minutes=rng.choice([90, 120, 120, 150, 180]))

    def add(
        unit, owner, level, pool_schools, size, kinds, subject_id=None, stage_id=None, host=None
    ):
        start, end = pick_time()
        kind = weighted(rng, kinds)
        plan = plan_of.get(owner)
        theme_id = None
        if plan is not None and rng.random() < 0.65:
            theme_id = theme_of.get((plan.pk, start.month))
        specs.append(
            {
                "unit": unit,
                "owner": owner,
                "level": level,
                "kind": kind,
                "start": start,
                "end": end,
                "subject": subject_id,
                "stage": stage_id,
                "theme": theme_id,
                "pool": pool_schools,
                "size": size,
                "host": host,
            }
        )

    for city in cities:
        inst = institutes[city.pk]
        pool = schools_by_city[city.pk]
        research = roster.researchers.get(city.pk) or [(None, None, None)]
        for _i in range(per_city):
            host, subj, stg = rng.choice(research)
            size = rng.randint(50, 200)
            add(inst, city.pk, Level.CITY, pool, size, REGION_KINDS, subj, stg, host)
    for county in counties:
        inst = institutes.get(county.pk, county)
        pool = schools_by_county[county.pk]
        research = roster.researchers.get(county.pk) or [(None, None, None)]
        for _i in range(per_county):
            host, subj, stg = rng.choice(research)
            size = rng.randint(30, 90)
            add(inst, county.pk, Level.COUNTY, pool, size, REGION_KINDS, subj, stg, host)
    for s in schools:
        staff = roster.by_school.get(s.pk, [])
        groups = sorted({(subj, stg) for _p, subj, stg in staff if subj})
        for _i in range(per_school):
            if groups and rng.random() < 0.6:
                subj, stg = rng.choice(groups)
            else:
                subj = None
                stg = school_stages[s.pk][0] if school_stages.get(s.pk) else None
            add(s, s.pk, Level.SCHOOL, [s], 0, SCHOOL_KINDS, subj, stg)

    # The demo teacher's own school and subject get a few activities right ahead, so the
    # home page and the calendar show invitations on the first log-in.
    teacher = accounts.get("teacher")
    if teacher is not None:
        t_school = by_pk[teacher.org_unit_id]
        t_subject = subject_by_name.get("数学")
        for days_ahead in (1, 3, 8):
            start = (
                (now + dt.timedelta(days=days_ahead))
                .astimezone(tz)
                .replace(hour=9, minute=0, second=0, microsecond=0)
            )
            county = region_of(t_school, OrgUnit.Level.COUNTY)
            unit = institutes.get(county.pk, county) if days_ahead == 3 and county else t_school
            owner = county.pk if days_ahead == 3 and county else t_school.pk
            specs.append(
                {
                    "unit": unit,
                    "owner": owner,
                    "level": Level.COUNTY if days_ahead == 3 else Level.SCHOOL,
                    "kind": K.SAME_LESSON if days_ahead == 3 else K.LESSON_PREP,
                    "start": start,
                    "end": start + dt.timedelta(hours=2),
                    "subject": t_subject,
                    "stage": next((st for st in stages.values() if st.code == "junior"), None).pk,
                    "theme": theme_of.get((plan_of[owner].pk, start.month))
                    if owner in plan_of
                    else None,
                    "pool": schools_by_county[county.pk]
                    if days_ahead == 3 and county
                    else [t_school],
                    "size": 60,
                    "force": teacher.pk,
                }
            )

    specs.sort(key=lambda sp: sp["start"])
    activities: list[Activity] = []
    participants: list[list[tuple[int, str, str, dt.datetime | None, str]]] = []
    for sp in specs:
        start, end = sp["start"], sp["end"]
        if end < now:
            status = S.CANCELLED if rng.random() < 0.04 else S.FINISHED
        elif start < now:
            status = S.IN_PROGRESS
        else:
            status = S.DRAFT if rng.random() < 0.08 else S.PUBLISHED
        # People: teachers of the subject (and stage) in the pool of schools.
        people = []
        if sp["level"] == Level.SCHOOL:
            staff = roster.by_school.get(sp["pool"][0].pk, [])
            people = [p for p, subj, _st in staff if sp["subject"] is None or subj == sp["subject"]]
        else:
            pool = sp["pool"]
            tries = 0
            wanted = sp["size"]
            seen = set()
            while len(people) < wanted and tries < wanted * 8 and pool:
                tries += 1
                school = rng.choice(pool)
                matching = roster.matching(school.pk, sp["subject"], sp["stage"])
                for p in matching[: rng.randint(1, 4)]:
                    if p not in seen:
                        seen.add(p)
                        people.append(p)
        if sp.get("force") and sp["force"] not in people:
            people.append(sp["force"])
        rows = []
        for pid in people:
            if status == S.DRAFT:
                continue
            if status == S.FINISHED:
                r = rng.random()
                if r < 0.03:
                    rows.append((pid, PS.DECLINED, "", None, rng.choice(DECLINE_REASONS)))
                elif r < 0.10:
                    rows.append((pid, PS.INVITED, ATT.ABSENT, None, ""))
                elif r < 0.16:
                    late = start + dt.timedelta(minutes=rng.randint(11, 40))
                    rows.append((pid, PS.INVITED, ATT.LATE, late, ""))
                else:
                    at = start - dt.timedelta(minutes=rng.randint(0, 25))
                    rows.append((pid, PS.INVITED, ATT.PRESENT, at, ""))
            elif status == S.IN_PROGRESS:
                if rng.random() < 0.7:
                    rows.append((pid, PS.INVITED, ATT.PRESENT, start - dt.timedelta(minutes=5), ""))
                else:
                    rows.append((pid, PS.INVITED, "", None, ""))
            else:
                r = rng.random()
                if pid == sp.get("force"):
                    rows.append((pid, PS.INVITED, "", None, ""))
                elif r < 0.06:
                    rows.append((pid, PS.DECLINED, "", None, rng.choice(DECLINE_REASONS)))
                elif r < 0.2:
                    rows.append((pid, PS.REGISTERED, "", None, ""))
                else:
                    rows.append((pid, PS.INVITED, "", None, ""))
        subject = subjects.get(sp["subject"]) if sp["subject"] else None
        stage = stages.get(sp["stage"]) if sp["stage"] else None
        kind_label = "主题教研" if sp["kind"] == K.OTHER else str(Activity.Kind(sp["kind"]).label)
        topic = rng.choice(TOPICS)
        prefix = f"{subject.name if subject else ''}{stage.name if stage else ''}"
        title = f"{prefix}{kind_label}：{topic}"[:120]
        hybrid = sp["level"] != Level.SCHOOL and rng.random() < 0.3
        mode = (
            Activity.Mode.HYBRID
            if hybrid
            else (Activity.Mode.ONLINE if sp["kind"] == K.ONLINE else Activity.Mode.ONSITE)
        )
        a = Activity(
            title=title,
            kind=sp["kind"],
            level=sp["level"],
            org_unit=sp["unit"],
            subject_id=sp["subject"],
            stage_id=sp["stage"],
            theme_id=sp["theme"],
            host_id=sp.get("host"),
            starts_at=start,
            ends_at=end,
            start_month=start.year * 100 + start.month,
            mode=mode,
            hours=Decimal(rng.choice(["2", "2", "3", "3", "4", "1.5"])),
            description=f"围绕“{topic}”开展{kind_label}活动。",
            status=status,
            cancel_reason="因天气原因取消，另行通知。" if status == S.CANCELLED else "",
            participant_count=sum(1 for r in rows if r[1] != PS.DECLINED),
            checked_in_count=sum(1 for r in rows if r[2] in (ATT.PRESENT, ATT.LATE)),
            published_at=None if status == S.DRAFT else start - dt.timedelta(days=14),
            finished_at=end if status == S.FINISHED else None,
            minutes=(
                f"一、活动围绕“{topic}”开展。\n二、与会教师进行了交流研讨。\n三、明确了下一步工作。"
                if status == S.FINISHED and rng.random() < 0.6
                else ""
            ),
            created_at=start - dt.timedelta(days=20),
            updated_at=start - dt.timedelta(days=1),
        )
        activities.append(a)
        participants.append(
            rows if status != S.CANCELLED else [(r[0], r[1], "", None, r[4]) for r in rows]
        )
    # Feedback is decided before the insert, so the counters are right from the start.
    feedback_rows: list[list[tuple[int, int, str]]] = []
    for a, rows in zip(activities, participants, strict=True):
        fb = []
        if a.status == S.FINISHED:
            for pid, _st, att, _at, _r in rows:
                if att in (ATT.PRESENT, ATT.LATE) and rng.random() < 0.15:
                    rating = weighted(rng, [(5, 0.45), (4, 0.35), (3, 0.15), (2, 0.04), (1, 0.01)])
                    comment = rng.choice(COMMENTS) if rng.random() < 0.35 else ""
                    fb.append((pid, rating, comment))
        a.feedback_count = len(fb)
        a.rating_total = sum(r for _p, r, _c in fb)
        feedback_rows.append(fb)
    bulk.bulk_create(Activity, activities, batch_size=2000)

    # --- venues --------------------------------------------------------------------------
    venues: list[Venue] = []
    venues_of: list[list[Venue]] = []
    for a, sp in zip(activities, specs, strict=True):
        unit = a.org_unit
        main = Venue(
            activity=a,
            is_main=True,
            name=f"{unit.name}{'报告厅' if unit.kind != OrgUnit.Kind.SCHOOL else '会议室'}",
            unit=unit,
            address=f"{unit.name}（{by_pk[unit.parent_id].name if unit.parent_id else ''}）",
            online_url="https://meeting.example.cn/" + str(rng.randint(10**8, 10**9))
            if a.mode != Activity.Mode.ONSITE
            else "",
            capacity=None if a.level == Level.SCHOOL else max(50, sp["size"]),
            checkin_secret=codes.new_secret(),
        )
        vs = [main]
        if a.mode == Activity.Mode.HYBRID and sp["pool"]:
            for school in rng.sample(sp["pool"], k=min(len(sp["pool"]), rng.randint(1, 3))):
                vs.append(
                    Venue(
                        activity=a,
                        is_main=False,
                        name=f"{school.name}分会场",
                        unit=school,
                        address=f"{school.name}录播教室",
                        capacity=rng.choice([30, 40, 60]),
                        checkin_secret=codes.new_secret(),
                    )
                )
        venues.extend(vs)
        venues_of.append(vs)
    bulk.bulk_create(Venue, venues, batch_size=5000)

    # --- participation, hours, feedback (streamed) ---------------------------------------
    # Plain value rows through bulk.insert_values (COPY on PostgreSQL): no model object and
    # no per-value preparation for each of the ~600,000 rows a city (6 million a province)
    # has, which cost most of the step.
    person_unit = dict(Person.objects.values_list("pk", "org_unit_id"))
    ct = ContentType.objects.get_for_model(Activity)
    n_parts = n_hours = n_fb = 0
    part_cols = (
        "activity_id",
        "person_id",
        "venue_id",
        "status",
        "decline_reason",
        "attendance",
        "checked_in_at",
        "method",
        "created_at",
        "updated_at",
    )
    hours_cols = (
        "person_id",
        "hours",
        "kind",
        "date",
        "title",
        "source_type_id",
        "source_id",
        "credited_by_id",
        "created_at",
    )
    fb_cols = ("activity_id", "person_id", "rating", "comment", "created_at")
    grant_cols = ("content_type_id", "object_id", "user_id", "reason")
    buf_parts: list[tuple] = []
    buf_hours: list[tuple] = []
    buf_fb: list[tuple] = []
    grants: list[tuple] = []
    hours_kind = str(HoursRecord.Kind.ACTIVITY)

    def flush(force=False):
        nonlocal buf_parts, buf_hours, buf_fb
        if force or len(buf_parts) >= 50000:
            bulk.insert_values(Participation, part_cols, buf_parts)
            buf_parts = []
        if force or len(buf_hours) >= 50000:
            bulk.insert_values(HoursRecord, hours_cols, buf_hours)
            buf_hours = []
        if force or len(buf_fb) >= 50000:
            bulk.insert_values(Feedback, fb_cols, buf_fb)
            buf_fb = []

    for a, rows, vs, fb in zip(activities, participants, venues_of, feedback_rows, strict=True):
        main_id = vs[0].pk
        by_unit = {v.unit_id: v.pk for v in vs[1:]}
        day = timezone.localtime(a.starts_at).date()
        credit = a.status == S.FINISHED and a.hours > 0
        grant = a.status != S.DRAFT
        a_id, created, updated = a.pk, a.created_at, a.updated_at
        for pid, st, att, at, reason in rows:
            venue_id = by_unit.get(person_unit.get(pid), main_id) if by_unit else main_id
            method = ("qr" if n_parts % 3 else "code") if at else ""
            buf_parts.append((a_id, pid, venue_id, st, reason, att, at, method, created, updated))
            n_parts += 1
            if credit and att in (ATT.PRESENT, ATT.LATE):
                buf_hours.append(
                    (pid, a.hours, hours_kind, day, a.title, ct.pk, a_id, a.org_unit_id, a.ends_at)
                )
                n_hours += 1
            uid = user_of.get(pid)
            if uid and grant:
                grants.append((ct.pk, a_id, uid, "invited"))
        ended = a.ends_at + dt.timedelta(hours=2)
        for pid, rating, comment in fb:
            buf_fb.append((a_id, pid, rating, comment, ended))
            n_fb += 1
        flush()
    flush(force=True)
    bulk.insert_values(ScopeGrant, grant_cols, grants)

    # --- materials and decisions -----------------------------------------------------------
    materials: list[Material] = []
    decisions: list[Decision] = []
    for a in activities:
        if a.status == S.DRAFT:
            continue
        if rng.random() < 0.6:
            materials.append(
                Material(
                    activity=a,
                    phase=Material.Phase.BEFORE,
                    kind=Material.Kind.LESSON_DESIGN,
                    title=f"{a.title[:60]}·教学设计",
                    file_name="教学设计.docx",
                    size=rng.randint(40_000, 900_000),
                    created_at=a.starts_at - dt.timedelta(days=3),
                )
            )
        if a.status == S.FINISHED:
            materials.append(
                Material(
                    activity=a,
                    phase=Material.Phase.AFTER,
                    kind=Material.Kind.SLIDES,
                    title=f"{a.title[:60]}·课件",
                    file_name="课件.pptx",
                    size=rng.randint(1_000_000, 20_000_000),
                    created_at=a.ends_at,
                )
            )
            if rng.random() < 0.25:
                materials.append(
                    Material(
                        activity=a,
                        phase=Material.Phase.AFTER,
                        kind=Material.Kind.RECORDING,
                        title="课堂实录",
                        url="https://video.example.cn/" + str(rng.randint(10**6, 10**7)),
                        created_at=a.ends_at,
                    )
                )
            if a.minutes and rng.random() < 0.15:
                for i in range(rng.randint(1, 3)):
                    decisions.append(
                        Decision(
                            activity=a,
                            text=[
                                "各校报送优秀教学设计",
                                "下月开展同课异构展示",
                                "建立区域共享资源库",
                            ][i],
                            owner_name="教研组长",
                            due_on=(a.ends_at + dt.timedelta(days=30)).date(),
                            for_ledger=rng.random() < 0.5,
                            created_at=a.ends_at,
                        )
                    )
    bulk.bulk_create(Material, materials, batch_size=5000)
    bulk.bulk_create(Decision, decisions, batch_size=5000)
    ctx.log(
        f"  研修计划 {len(plans)} 份（主题 {len(themes)} 个），活动 {len(activities)} 项，"
        f"会场 {len(venues)} 个，参与记录 {n_parts} 条，学时 {n_hours} 条，评价 {n_fb} 条，"
        f"资料 {len(materials)} 份，议定事项 {len(decisions)} 条"
    )


def _plan(unit: OrgUnit, year: int, title: str, level: str, now) -> ResearchPlan:
    return ResearchPlan(
        org_unit=unit,
        year=year,
        title=title,
        goals="落实新课标，聚焦课堂教学改进，一月一主题推进区域教研。",
        level=level,
        status=ResearchPlan.Status.PUBLISHED,
        published_at=now - dt.timedelta(days=300),
        created_at=now - dt.timedelta(days=320),
        updated_at=now - dt.timedelta(days=300),
    )
