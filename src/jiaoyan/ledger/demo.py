"""Demo work ledger: a year of items assigned by the city's and the counties' bureaus and
institutes and by the schools, with their progress reports, the decisions of activity
minutes that were sent to the ledger, and the supervisions (督办) of the units above.

Size: about ten items a school a year in all (city: ~30,000 items; small: ~1,100).
Outcomes follow what bureaus report: about 65% done on time (most of them verified), 15%
done late, 10% open and overdue, the rest open and not yet due, a few cancelled; about
3% of the items were escalated to supervision by the unit above (the late ones' since
closed). The demo accounts find items on each of their boards. Everything is bulk-
inserted in chunks, deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from jiaoyan.activities.models import Decision
from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.core.paths import path_ids
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person, RoleAssignment

from . import demo_briefs  # noqa: F401  (registers the weekly briefs step, order 95)
from .models import (
    Item,
    ItemCollaborator,
    Priority,
    ProgressReport,
    Recurrence,
    Source,
    Status,
    Supervision,
    Tag,
)

RK = ProgressReport.Kind
KIND = OrgUnit.Kind
LEVEL = OrgUnit.Level

SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "道德与法治", "历史", "地理", "科学"]
STAGES = ["小学", "初中", "高中"]
GRADES = ["一年级", "三年级", "五年级", "七年级", "八年级", "九年级", "高一", "高二"]
TOPICS = ["大单元教学设计", "情境化命题", "跨学科主题学习", "分层作业设计", "课堂评价改革"]

# (title template, tags, who assigns it: c city, k county, s school)
TEMPLATES: list[tuple[str, tuple[str, ...], str]] = [
    ("开展{subject}新课标专题教研", ("新课标",), "cks"),
    ("落实双减作业设计评比", ("双减", "作业管理"), "ks"),
    ("完成{school}教学视导整改", ("教学视导",), "ck"),
    ("组织{stage}{subject}优质课评选", ("新课标",), "ck"),
    ("报送{month}月教研活动开展情况", ("常规管理",), "cks"),
    ("推进{subject}大单元教学设计研究", ("新课标", "课题研究"), "cks"),
    ("开展新高考选科走班情况调研", ("新高考",), "ck"),
    ("完成市级课题《{topic}》中期报告", ("课题研究",), "cks"),
    ("组织期中教学质量分析会", ("质量分析",), "cks"),
    ("开展{subject}青年教师基本功大赛", ("青年教师",), "cks"),
    ("落实课后服务质量提升方案", ("双减", "课后服务"), "ks"),
    ("完成{grade}作业公示与抽查", ("双减", "作业管理"), "s"),
    ("召开{subject}教研组长例会并形成纪要", ("校本研修",), "ks"),
    ("开展送教下乡活动（{school}）", ("送教下乡",), "ck"),
    ("整理上报{subject}优秀教学案例", ("新课标",), "cks"),
    ("完成本学期校本研修学时登记", ("校本研修",), "s"),
    ("组织{subject}命题能力专题培训", ("新高考", "质量分析"), "ck"),
    ("开展课堂教学开放周活动", ("校本研修",), "s"),
    ("推进智慧课堂应用试点", ("信息化",), "cks"),
    ("完成{school}联点联校指导", ("教学视导",), "k"),
    ("修订{subject}学科教学常规", ("常规管理",), "ks"),
    ("开展{grade}{subject}集体备课", ("校本研修", "新课标"), "s"),
]
REPORT_STEPS = [
    "已制定工作方案，明确分工和时间节点。",
    "已召开动员会，各教研组正在推进。",
    "已完成过半，正在收集整理材料。",
    "初稿已完成，正在征求意见修改。",
    "已完成主要环节，剩余工作本周内完成。",
]
DONE_TEXTS = [
    "已全部完成，相关材料已归档。",
    "已按要求完成并报送，佐证材料见附件。",
    "工作已落实到位，总结已上报。",
]
LATE_NOTES = ["因迎检任务冲突，进度有所滞后。", "受考试安排影响，延期完成。"]
VERIFY_NOTES = ["验收通过。", "材料齐全，同意验收。", ""]
CANCEL_REASONS = ["上级通知调整，本项工作取消。", "与其他工作合并推进。"]
SUPERVISE_REASONS = ["逾期未完成，请说明原因并限期整改。", "进度明显滞后，列入督办。"]
CLOSE_NOTES = ["已完成整改，督办结束。", "经核实已落实，结束督办。"]


@dataclass
class Spec:
    org_unit: OrgUnit
    responsible_unit: OrgUnit
    level: str  # c, k, s
    title: str
    tags: tuple[str, ...]
    collaborators: list[int] = field(default_factory=list)
    person: tuple[int, str, int | None] | None = None  # (pk, name, user id)
    source: str = Source.MANUAL
    source_note: str = ""
    source_activity_id: int | None = None
    decision: Decision | None = None
    due_on: dt.date | None = None
    created_on: dt.date | None = None
    assigned_by_id: int | None = None
    outcome: str | None = None  # forced (the demo accounts' open work), else drawn


class Staff:
    """Who works where, by role: read once."""

    def __init__(self) -> None:
        self.by_unit: dict[int, dict[str, list[tuple[int, str, int | None]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        people = {
            pk: (pk, name, unit, user)
            for pk, name, unit, user in Person.objects.filter(status="active")
            .order_by("pk")
            .values_list("pk", "name", "org_unit_id", "user_id")
        }
        rows = (
            RoleAssignment.objects.filter(is_active=True)
            .order_by("person_id", "pk")
            .values_list("person_id", "role")
        )
        seen = set()
        for pid, role in rows:
            if pid in seen or pid not in people:
                continue
            seen.add(pid)
            _pk, name, unit, user = people[pid]
            self.by_unit[unit][role].append((pid, name, user))

    def pick(self, rng, unit_id: int, roles: tuple[str, ...]) -> tuple[int, str, int | None] | None:
        for role in roles:
            found = self.by_unit.get(unit_id, {}).get(role)
            if found:
                return rng.choice(found)
        return None


@step(90)
def build_ledger(ctx: DemoContext) -> None:
    rng: random.Random = ctx.rng
    now = ctx.now
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    units: list[OrgUnit] = ctx.data["units"]
    by_pk = {u.pk: u for u in units}
    schools = [u for u, _s, _st in ctx.data["schools"]]
    offices: dict[int, dict[str, OrgUnit]] = defaultdict(dict)  # region -> bureau/institute
    for u in units:
        if u.kind in (KIND.BUREAU, KIND.INSTITUTE) and u.parent_id:
            offices[u.parent_id][u.kind] = u
    cities = ctx.data["cities"]
    counties = [c for cs in ctx.data["counties"].values() for c in cs]
    accounts = ctx.data.get("accounts", {})
    staff = Staff()

    def region_of(unit: OrgUnit, level: str) -> OrgUnit | None:
        for pk in path_ids(unit.path):
            u = by_pk.get(pk)
            if u is not None and u.level == level and u.kind == KIND.REGION:
                return u
        return None

    schools_by_county: dict[int, list[OrgUnit]] = defaultdict(list)
    county_of: dict[int, OrgUnit] = {}
    for s in schools:
        county = region_of(s, LEVEL.COUNTY)
        if county is not None:
            schools_by_county[county.pk].append(s)
            county_of[s.pk] = county

    def title_for(level: str, school: OrgUnit | None) -> tuple[str, tuple[str, ...]]:
        choices = [t for t in TEMPLATES if level in t[2]]
        template, tags, _who = rng.choice(choices)
        title = template.format(
            subject=rng.choice(SUBJECTS),
            stage=rng.choice(STAGES),
            grade=rng.choice(GRADES),
            month=rng.randint(1, 12),
            topic=rng.choice(TOPICS),
            school=school.name if school is not None else rng.choice(schools).name,
        )
        return title[:200], tags

    def person_of(unit: OrgUnit) -> tuple[int, str, int | None] | None:
        if unit.kind == KIND.SCHOOL:
            roles = ("principal", "teacher") if rng.random() < 0.55 else ("teacher", "principal")
            return staff.pick(rng, unit.pk, roles)
        if unit.kind == KIND.INSTITUTE:
            return staff.pick(rng, unit.pk, ("researcher", "bureau_admin"))
        return staff.pick(rng, unit.pk, ("bureau_admin", "researcher"))

    # --- what is assigned, by whom, to whom ----------------------------------------------
    specs: list[Spec] = []
    per_school = 18.5  # items a year per school, all levels together (city: ~30,000)
    for city in cities:
        city_offices = list(offices[city.pk].values())
        city_counties = [c for c in counties if c.parent_id == city.pk]
        city_schools = [s for c in city_counties for s in schools_by_county[c.pk]]
        n = round(len(city_schools) * per_school * 0.09)
        for _i in range(n):
            assigner = rng.choice(city_offices)
            county = rng.choice(city_counties)
            if rng.random() < 0.7 or not schools_by_county[county.pk]:
                target = rng.choice(list(offices[county.pk].values()) or [county])
                school = None
            else:
                school = target = rng.choice(schools_by_county[county.pk])
            title, tags = title_for("c", school)
            spec = Spec(assigner, target, "c", title, tags)
            if rng.random() < 0.2:
                other = rng.choice(city_offices + list(offices[county.pk].values()))
                if other.pk not in (target.pk, assigner.pk):
                    spec.collaborators.append(other.pk)
            specs.append(spec)
    for county in counties:
        county_offices = list(offices[county.pk].values()) or [county]
        pool = schools_by_county[county.pk]
        n = round(len(pool) * per_school * 0.33)
        for _i in range(n):
            assigner = rng.choice(county_offices)
            if pool and rng.random() < 0.8:
                school = target = rng.choice(pool)
            else:
                school = None
                target = rng.choice(county_offices)
            title, tags = title_for("k", school)
            spec = Spec(assigner, target, "k", title, tags)
            if pool and rng.random() < 0.25:
                for other in rng.sample(pool, k=min(len(pool), rng.randint(1, 3))):
                    if other.pk != target.pk:
                        spec.collaborators.append(other.pk)
            specs.append(spec)
    for s in schools:
        n = int(per_school * 0.58) + (1 if rng.random() < (per_school * 0.58) % 1 else 0)
        for _i in range(n):
            title, tags = title_for("s", s)
            specs.append(Spec(s, s, "s", title, tags))

    # Decisions of activity minutes that were marked for the ledger.
    decisions = list(
        Decision.objects.filter(for_ledger=True).select_related("activity__org_unit").order_by("pk")
    )
    for d in decisions:
        unit = d.activity.org_unit
        level = "s" if unit.kind == KIND.SCHOOL else ("c" if unit.level == LEVEL.CITY else "k")
        spec = Spec(unit, d.owner_unit or unit, level, d.text[:200], ("教研活动",))
        spec.source = Source.MINUTES
        spec.source_note = f"{d.activity.title}纪要"[:200]
        spec.source_activity_id = d.activity_id
        spec.decision = d
        spec.due_on = d.due_on
        spec.created_on = timezone.localtime(d.created_at, tz).date()
        specs.append(spec)

    for spec in specs:
        spec.person = person_of(spec.responsible_unit)

    # The demo accounts: work on their boards (mine, their unit's, what they assigned).
    _give_accounts_work(rng, specs, accounts, by_pk, title_for)

    # --- outcomes, dates, reports -----------------------------------------------------------
    tag_names = sorted({t for spec in specs for t in spec.tags})
    Tag.objects.bulk_create([Tag(name=n) for n in tag_names], ignore_conflicts=True)
    tags = dict(Tag.objects.filter(name__in=tag_names).values_list("name", "pk"))

    def at(day: dt.date, hour: int | None = None) -> dt.datetime:
        h = hour if hour is not None else rng.randint(8, 17)
        return dt.datetime(day.year, day.month, day.day, h, rng.randint(0, 59), tzinfo=tz)

    items: list[Item] = []
    reports: list[list[ProgressReport]] = []
    sups: list[tuple[int, Supervision]] = []
    numbers: dict[int, int] = defaultdict(int)
    rows: list[tuple[Spec, Item, list[tuple]]] = []
    for spec in specs:
        item, history = _outcome(rng, spec, today)
        rows.append((spec, item, history))
    rows.sort(key=lambda r: (r[1].created_at.date(), r[0].org_unit.pk))
    for spec, item, history in rows:
        numbers[spec.org_unit.pk] += 1
        item.number = numbers[spec.org_unit.pk]
        person = spec.person
        name = person[1] if person else ""
        item.created_at = at(item.created_at.date(), 9)
        item.updated_at = item.created_at
        entries = []
        for kind, day, text, percent in history:
            when = at(day)
            if when < item.created_at:
                when = item.created_at + dt.timedelta(hours=1)
            if when > now:
                when = now - dt.timedelta(minutes=rng.randint(5, 600))
            author = name if kind == RK.PROGRESS else spec.org_unit.name
            entries.append(
                ProgressReport(
                    kind=kind, author_name=author, text=text, percent=percent, created_at=when
                )
            )
            item.updated_at = max(item.updated_at, when)
            if kind == RK.PROGRESS and percent == 100:
                item.done_at = when
            if kind == RK.VERIFIED:
                item.verified_at = when
            if kind == RK.PROGRESS and item.started_at is None:
                item.started_at = when
        progress = [e for e in entries if e.kind == RK.PROGRESS]
        if progress:
            item.latest_progress = progress[-1].text[:500]
        items.append(item)
        reports.append(entries)

    # Supervision (督办) by the unit above: some overdue items (open), some late ones (closed).
    city_admin = accounts.get("city_admin")
    for idx, (spec, item, _history) in enumerate(rows):
        if spec.level == "c" or item.due_on is None:
            continue
        overdue_open = item.status in (Status.NOT_STARTED, Status.IN_PROGRESS) and (
            item.due_on < today
        )
        late_done = item.done_at is not None and item.done_at.date() > item.due_on
        if not ((overdue_open and rng.random() < 0.26) or (late_done and rng.random() < 0.06)):
            continue
        above = _supervisor(rng, spec, county_of, by_pk, offices, region_of)
        if above is None:
            continue
        first = item.due_on + dt.timedelta(days=rng.randint(3, 20))
        last = item.done_at.date() if late_done else today
        if first >= last:
            first = item.due_on + dt.timedelta(days=1)
            if first >= last:
                continue
        escalated = at(first)
        if escalated >= now:
            continue
        sup = Supervision(
            unit=above,
            reason=rng.choice(SUPERVISE_REASONS),
            escalated_by_id=(
                city_admin.user_id
                if city_admin is not None and city_admin.org_unit_id == above.pk
                else None
            ),
            escalated_at=escalated,
        )
        reports[idx].append(
            ProgressReport(
                kind=RK.ESCALATED, author_name=above.name, text=sup.reason, created_at=escalated
            )
        )
        if late_done:
            sup.closed_at = item.done_at + dt.timedelta(hours=2)
            sup.closing_note = rng.choice(CLOSE_NOTES)
            reports[idx].append(
                ProgressReport(
                    kind=RK.SUPERVISION_CLOSED,
                    author_name=above.name,
                    text=sup.closing_note,
                    created_at=sup.closed_at,
                )
            )
        else:
            item.supervised_by = above
        sups.append((idx, sup))

    bulk.bulk_create(Item, items, batch_size=2000)
    collaborators = [
        ItemCollaborator(item=item, unit_id=u)
        for (spec, item, _h) in rows
        for u in dict.fromkeys(spec.collaborators)
        if u != item.responsible_unit_id
    ]
    bulk.bulk_create(ItemCollaborator, collaborators, batch_size=5000)
    Through = Item.tags.through
    bulk.bulk_create(
        Through,
        [
            Through(item_id=item.pk, tag_id=tags[t])
            for (spec, item, _h) in rows
            for t in dict.fromkeys(spec.tags)
        ],
        batch_size=5000,
    )
    flat: list[ProgressReport] = []
    for item, entries in zip(items, reports, strict=True):
        entries.sort(key=lambda e: e.created_at)
        for e in entries:
            e.item = item
            flat.append(e)
    bulk.bulk_create(ProgressReport, flat, batch_size=5000)
    for idx, sup in sups:
        sup.item = items[idx]
    bulk.bulk_create(Supervision, [s for _i, s in sups], batch_size=2000)
    sent = []
    for spec, item, _h in rows:
        if spec.decision is not None:
            spec.decision.ledger_ref = str(item.pk)
            spec.decision.sent_at = item.created_at
            sent.append(spec.decision)
    bulk.bulk_update(Decision, sent, ["ledger_ref", "sent_at"])

    by_status = defaultdict(int)
    for item in items:
        by_status[item.status] += 1
    overdue = sum(
        1
        for i in items
        if i.status in (Status.NOT_STARTED, Status.IN_PROGRESS) and i.due_on and i.due_on < today
    )
    ctx.log(
        f"  台账事项 {len(items)} 项（已验收 {by_status[Status.VERIFIED]}，"
        f"已完成待验收 {by_status[Status.DONE]}，逾期未完成 {overdue}，"
        f"已取消 {by_status[Status.CANCELLED]}），来自活动纪要 {len(sent)} 项，"
        f"进展记录 {len(flat)} 条，督办 {len(sups)} 项"
        f"（未结束 {sum(1 for _i, s in sups if s.closed_at is None)}）"
    )


def _outcome(rng: random.Random, spec: Spec, today: dt.date) -> tuple[Item, list[tuple]]:
    """The item's fate over the year: dates, status, and its history as
    (kind, day, text, percent) entries."""
    r = rng.random()
    history: list[tuple] = []
    recurrence = Recurrence.NONE
    if spec.decision is not None and spec.due_on is not None:
        due = spec.due_on
        created = spec.created_on or due - dt.timedelta(days=30)
        if due >= today:
            outcome = "open"
        else:
            outcome = "on_time" if r < 0.7 else ("late" if r < 0.85 else "overdue")
    else:
        if spec.outcome is not None:
            outcome = spec.outcome
        elif r < 0.65:
            outcome = "on_time"
        elif r < 0.80:
            outcome = "late"
        elif r < 0.90:
            outcome = "overdue"
        elif r < 0.98:
            outcome = "open"
        else:
            outcome = "cancelled"
        span = rng.randint(14, 90)
        if outcome in ("on_time", "cancelled"):
            due = today - dt.timedelta(days=rng.randint(1, 320))
        elif outcome == "late":
            due = today - dt.timedelta(days=rng.randint(12, 320))
        elif outcome == "overdue":
            due = today - dt.timedelta(days=min(rng.randint(1, 40), rng.randint(1, 200)))
        else:
            due = today + dt.timedelta(days=rng.randint(0, 120))
            span = rng.randint(15, 100)
        created = due - dt.timedelta(days=span)
        if created >= today:
            created = today - dt.timedelta(days=rng.randint(1, 10))
    ongoing = outcome in ("open", "on_time") and spec.decision is None and rng.random() < 0.04
    if ongoing and outcome == "open":
        recurrence = rng.choice([Recurrence.WEEKLY, Recurrence.MONTHLY, Recurrence.NONE])
    days = max(1, (min(due, today) - created).days)

    def step_day(frac: float) -> dt.date:
        return created + dt.timedelta(days=max(1, int(days * frac)))

    status = Status.NOT_STARTED
    percent = 0
    cancel_reason = ""
    if outcome in ("on_time", "late"):
        done = (
            due - dt.timedelta(days=rng.randint(0, min(10, days - 1) if days > 1 else 0))
            if outcome == "on_time"
            else due + dt.timedelta(days=rng.randint(1, 30))
        )
        done = min(done, today - dt.timedelta(days=1))
        done = max(done, created + dt.timedelta(days=1))
        steps = rng.randint(0, 3)
        pct = 0
        for i in range(steps):
            pct = min(90, pct + rng.randint(15, 40))
            day = created + dt.timedelta(
                days=max(1, (done - created).days * (i + 1) // (steps + 1))
            )
            history.append((RK.PROGRESS, day, REPORT_STEPS[min(i, len(REPORT_STEPS) - 1)], pct))
        text = rng.choice(DONE_TEXTS)
        if outcome == "late":
            text = rng.choice(LATE_NOTES) + text
        history.append((RK.PROGRESS, done, text, 100))
        percent = 100
        if rng.random() < 0.82 and done < today - dt.timedelta(days=1):
            verified = min(
                done + dt.timedelta(days=rng.randint(1, 7)), today - dt.timedelta(days=1)
            )
            history.append((RK.VERIFIED, verified, rng.choice(VERIFY_NOTES), None))
            status = Status.VERIFIED
        else:
            status = Status.DONE
    elif outcome in ("overdue", "open"):
        started = rng.random() < (0.8 if outcome == "overdue" else 0.6)
        if started:
            steps = rng.randint(1, 3)
            pct = 0
            for i in range(steps):
                pct = min(90, pct + rng.randint(10, 35))
                day = step_day((i + 1) / (steps + 1))
                history.append((RK.PROGRESS, min(day, today), REPORT_STEPS[i], pct))
            status, percent = Status.IN_PROGRESS, pct
    else:
        if rng.random() < 0.5:
            history.append((RK.PROGRESS, step_day(0.3), REPORT_STEPS[0], 20))
            percent = 20
        cancel_reason = rng.choice(CANCEL_REASONS)
        history.append((RK.CANCELLED, step_day(0.6), cancel_reason, None))
        status = Status.CANCELLED
    person = spec.person
    item = Item(
        org_unit=spec.org_unit,
        title=spec.title,
        description="",
        source=spec.source,
        source_note=spec.source_note,
        source_activity_id=spec.source_activity_id,
        source_decision=spec.decision,
        responsible_unit=spec.responsible_unit,
        responsible_person_id=person[0] if person else None,
        responsible_name=person[1] if person else "",
        due_on=None if ongoing and recurrence == Recurrence.NONE else due,
        recurrence=recurrence,
        priority=rng.choice([Priority.HIGH, Priority.NORMAL, Priority.NORMAL, Priority.LOW]),
        status=status,
        percent=percent,
        cancel_reason=cancel_reason,
        assigned_by_id=spec.assigned_by_id,
        created_at=dt.datetime(created.year, created.month, created.day),
    )
    return item, history


def _supervisor(rng, spec: Spec, county_of, by_pk, offices, region_of) -> OrgUnit | None:
    """The unit above the assigning unit's region: the city's offices above a county's
    work, the county's above a school's."""
    unit = spec.org_unit
    if spec.level == "s":
        county = county_of.get(unit.pk)
        region = county
    else:
        region = by_pk.get(unit.parent_id) if unit.kind != KIND.REGION else unit
        region = by_pk.get(region.parent_id) if region is not None else None
    if region is None:
        return None
    found = offices.get(region.pk, {})
    if not found:
        return region
    if KIND.BUREAU in found and (rng.random() < 0.7 or KIND.INSTITUTE not in found):
        return found[KIND.BUREAU]
    return found[KIND.INSTITUTE]


def _give_accounts_work(rng, specs: list[Spec], accounts, by_pk, title_for) -> None:
    """Make sure each demo account finds items on its boards: some work with them as the
    responsible person, and what their unit assigned carries their name as assigner."""
    taken: set[int] = set()
    for username in ("city_admin", "district_researcher", "principal", "teacher"):
        person = accounts.get(username)
        unit = by_pk.get(person.org_unit_id) if person is not None else None
        if unit is None:
            continue
        me = (person.pk, person.name, person.user_id)
        level = "s" if unit.kind == KIND.SCHOOL else ("c" if unit.level == LEVEL.CITY else "k")
        free = [s for s in specs if s.responsible_unit.pk == unit.pk and id(s) not in taken]
        if len(free) < 8:
            for _i in range(8 - len(free)):
                title, tags = title_for(level, unit if unit.kind == KIND.SCHOOL else None)
                spec = Spec(unit, unit, level, title, tags)
                specs.append(spec)
                free.append(spec)
        for i, spec in enumerate(free[: max(8, len(free) // 5)]):
            spec.person = me
            taken.add(id(spec))
            if i < 4 and spec.decision is None:
                spec.outcome = ("open", "overdue", "open", "on_time")[i]
        if username != "teacher":
            for spec in specs:
                if spec.org_unit.pk == unit.pk and rng.random() < 0.6:
                    spec.assigned_by_id = person.user_id
