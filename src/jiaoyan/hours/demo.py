"""Demo data of hours: each city bureau's credit rules and categories, a full hours history
for every staff member (a cycle in progress from 2024, external training declared and
decided — in every state — on top of the activities' hours), and each cycle's kept
progress. At city scale about 1,000,000 hours records in all, with roughly a third of the
people behind schedule. Bulk-inserted (``core.bulk``), deterministic from ``ctx.rng``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType

from jiaoyan.core import bulk
from jiaoyan.core.demo import DemoContext, step
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import rules, services
from .models import ExternalDeclaration, HoursCategory, HoursCycle, HoursPolicy, HoursRecord

#: Hours records per person at city scale, activities' included (≈ 1,000,000 in all).
RECORDS_PER_PERSON = 18

CATEGORIES = (
    ("SD", "师德师风", None, Decimal("24")),
    ("XK", "学科教学", None, Decimal("120")),
    ("XX", "信息技术", None, Decimal("50")),
    ("XL", "心理健康", None, None),
    ("ZZ", "自主研修", Decimal("30"), None),
)
ORGANISERS = ("陕西师范大学", "渭南师范学院", "国家中小学智慧教育平台", "省教育学会", "西北大学")
DECL_COLUMNS = (
    "person_id",
    "title",
    "organiser",
    "start_date",
    "end_date",
    "hours",
    "category_id",
    "evidence",
    "evidence_name",
    "status",
    "reason",
    "decided_at",
    "version",
    "created_at",
    "updated_at",
)
RECORD_COLUMNS = (
    "person_id",
    "hours",
    "kind",
    "category_id",
    "date",
    "title",
    "source_type_id",
    "source_id",
    "credited_by_id",
    "created_at",
)
TRAININGS = (
    "{y}年暑期教师研修·{c}专题",
    "国培计划（{y}）{c}能力提升网络研修",
    "{c}骨干教师高级研修班（{y}）",
    "{y}年度{c}校本研修",
    "“三个课堂”应用培训（{y}）·{c}",
)


@step(55)
def build_hours(ctx: DemoContext) -> None:
    rng: random.Random = ctx.rng
    today = ctx.now.date()
    bureaus = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.BUREAU, parent__kind=OrgUnit.Kind.REGION).filter(
            parent__parent__kind=OrgUnit.Kind.REGION, parent__parent__parent__isnull=True
        )
    ) or list(OrgUnit.objects.filter(kind=OrgUnit.Kind.BUREAU).order_by("depth")[:1])
    policies = [
        HoursPolicy(
            org_unit=b,
            cycle_years=5,
            first_cycle_year=2024,
            required_hours=Decimal("360"),
            hours_per_credit=Decimal("10"),
            external_yearly_cap=Decimal("100"),
        )
        for b in bureaus
    ]
    bulk.bulk_create(HoursPolicy, policies)
    cats = [
        HoursCategory(
            org_unit=b, code=code, name=name, order=i, yearly_cap=cap, cycle_minimum=minimum
        )
        for b in bureaus
        for i, (code, name, cap, minimum) in enumerate(CATEGORIES)
    ]
    bulk.bulk_create(HoursCategory, cats)
    settings = rules.Settings()

    people = list(Person.objects.values_list("pk", "org_unit__path"))
    # The activities' hours already credited, per person (their kind and dates).
    act: dict[int, list[rules.Row]] = defaultdict(list)
    for pid, day, hours, kind, cat in (
        HoursRecord.objects.order_by("person_id", "date", "id")
        .values_list("person_id", "date", "hours", "kind", "category_id")
        .iterator(chunk_size=20000)
    ):
        act[pid].append((day, hours, kind, cat))

    ct = ContentType.objects.get_for_model(ExternalDeclaration)
    start = dt.date(2024, 1, 1)
    span = max(1, (today - start).days)
    cycles: list[HoursCycle] = []
    decls: list[tuple] = []  # rows of DECL_COLUMNS, without their ids yet
    records: list[tuple] = []  # (index into decls, person, hours, category, date, title, unit)
    n_records = 0

    def flush(force: bool = False) -> None:
        nonlocal decls, records, n_records
        if not force and len(decls) < 50000:
            return
        ids = bulk.take_ids(ExternalDeclaration, len(decls))
        bulk.insert_values(
            ExternalDeclaration,
            ("id", *DECL_COLUMNS),
            [(i, *row) for i, row in zip(ids, decls, strict=True)],
        )
        bulk.insert_values(
            HoursRecord,
            RECORD_COLUMNS,
            [
                (pid, hours, HoursRecord.Kind.EXTERNAL, cat, day, title, ct.pk, ids[k], unit, at)
                for k, pid, hours, cat, day, title, unit, at in records
            ],
        )
        n_records += len(records)
        decls, records = [], []

    units = dict(Person.objects.values_list("pk", "org_unit_id"))
    for pid, path in people:
        categories = settings.categories(path)
        cycle = services.new_cycle(pid, path, today.year, settings)
        expected = rules.expected(cycle.required_hours, cycle.start_year, cycle.end_year, today)
        target = expected * Decimal(str(max(0.2, rng.gauss(1.1, 0.3))))
        mine = [r for r in act.get(pid, []) if r[0] >= start]
        have = sum((r[1] for r in mine), Decimal("0"))
        n = max(1, RECORDS_PER_PERSON - len(mine))
        rows = list(mine)
        uncapped = [c for c in categories if c.yearly_cap is None] or categories
        for i in range(n):
            end = start + dt.timedelta(days=rng.randrange(span))
            days = rng.choice((1, 1, 2, 3, 5))
            begin = end - dt.timedelta(days=days - 1)
            remaining = max(Decimal("0"), target - have)
            share = float(remaining) / max(1, n - i) * rng.uniform(0.6, 1.4)
            hours = min(Decimal(max(1, round(share))), Decimal("120"))
            cat = (
                rng.choice(categories if rng.random() < 0.15 else uncapped) if categories else None
            )
            title = rng.choice(TRAININGS).format(y=end.year, c=cat.name if cat else "综合")
            status = rng.choices(("approved", "pending", "rejected", "withdrawn"), (90, 5, 4, 1))[0]
            if end > today - dt.timedelta(days=20) and status == "approved":
                status = "pending"
            decided = status in ("approved", "rejected")
            at = ctx.now - dt.timedelta(days=(today - end).days) if decided else None
            created = ctx.now - dt.timedelta(days=max(0, (today - end).days - 2))
            cat_id = cat.id if cat else None
            full_title = f"{title}（{i + 1}）"
            decls.append(
                (
                    pid,
                    full_title,
                    rng.choice(ORGANISERS),
                    begin,
                    end,
                    hours,
                    cat_id,
                    "",
                    "结业证书.pdf",
                    status,
                    "证书与培训时间不符" if status == "rejected" else "",
                    at,
                    1,
                    created,
                    ctx.now,
                )
            )
            if status == "approved":
                records.append(
                    (len(decls) - 1, pid, hours, cat_id, end, full_title, units.get(pid), at)
                )
                rows.append((end, hours, HoursRecord.Kind.EXTERNAL, cat_id))
                have += hours
        rows.sort(key=lambda r: r[0])
        services.fill_progress(cycle, rows, ctx.now)
        cycles.append(cycle)
        flush()
    flush(force=True)
    bulk.bulk_insert(HoursCycle, cycles)
    bulk.analyze(HoursRecord, HoursCycle, ExternalDeclaration)
    behind = sum(
        1
        for c in cycles
        if c.earned < rules.expected(c.required_hours, c.start_year, c.end_year, today)
    )
    ctx.log(
        f"hours: {len(cycles)} cycles ({behind} behind schedule), "
        f"{n_records} external records, {HoursRecord.objects.count()} records in all"
    )
