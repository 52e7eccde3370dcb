"""Reads of the communities module: lists, a workspace, the ranking, coverage and the
upward report — every one starts from the viewer's scope.

**Coverage** (computed, never typed) for a unit's subtree, as of a day:

* the communities *in the subtree* are those owned by a unit in it whose period holds the
  day; a *current membership* is one whose joining day is on or before the day and that
  has not ended before it;
* *participants* of a kind are the distinct members of its communities: schools for
  consortia (the leading school included), persons for principal communities and studios;
* a participant is *rural* when its school (a person's employing unit) is rural, *weak*
  when the school is flagged weak; the share of a kind is rural-or-weak participants over
  all participants, compared with the target of the kind's policy (met when ≥);
* *schools in no consortium* are schools of the subtree with no current membership in any
  consortium current on the day;
* *people in too many communities* are persons with more current memberships in
  communities of a kind (in the subtree) than the kind's policy allows;
* an *idle* community held no activity (see :mod:`.progress`) in the 90 days up to the day.

The participants figures (a grouping of every current membership of the subtree: some
100 ms for a city) are kept in the cache per unit and day under the versions of what they
are computed from (:mod:`jiaoyan.core.stamps`: the memberships and communities, the
units' places and schools' flags, the people's units), so they are computed again after
any change to those and on a new day, and otherwise read at once. The ranking's count of
members' observations is kept alike (:func:`.progress.kept_member_observations`, under the
versions of the submitted observations and the memberships). The rest (counts of
communities, schools in no consortium, idle communities, the activities behind the points)
is read fresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.core import stamps
from jiaoyan.core.scope import under_q, user_scopes
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.orgs.services import UNITS as ORG_UNITS
from jiaoyan.people.models import Person
from jiaoyan.people.services import UNITS as PEOPLE_UNITS

from . import progress
from .models import Community, CommunityTask, Evidence, Kind, Level, Measure, Membership
from .policies import Settings
from .services import MEMBERS

IDLE_DAYS = 90
# What the participants are computed from (the versions their kept figures depend on).
PARTICIPANT_INPUTS = (MEMBERS, ORG_UNITS, PEOPLE_UNITS)


def visible_communities(user) -> QuerySet[Community]:
    return Community.objects.visible_to(user)


def for_list(qs: QuerySet[Community]) -> QuerySet[Community]:
    return qs.select_related("org_unit", "leader", "leading_school")


def current_q(day: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}joined_on__lte": day}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gte": day})
    )


def community_current_q(day: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_on__lte": day, f"{prefix}end_on__gte": day})


def members(community: Community) -> QuerySet[Membership]:
    return community.members.select_related("person", "person__org_unit", "school").order_by(
        "left_on", "role", "id"
    )


def tasks_with_progress(
    community: Community, year: int, records: progress.YearRecords | None = None
) -> list[dict[str, Any]]:
    """The community's tasks of ``year`` with their progress; ``records``: the year's
    records already read for the page (shared with the points)."""
    tasks = list(CommunityTask.objects.filter(community=community, year=year))
    done = progress.task_progress(tasks, records)
    out = []
    for t in tasks:
        n = done.get(t.pk, 0)
        pct = min(100, round(100 * n / t.target)) if t.target else 100
        out.append({"task": t, "done": n, "percent": pct, "met": n >= t.target})
    return out


#: How many of the newest activities and shared files a workspace lists.
NEWEST = 50


def community_activities(community: Community, user, limit: int = NEWEST) -> list[Activity]:
    return list(
        Activity.objects.filter(community=community)
        .select_related("org_unit")
        .order_by("-starts_at", "-id")[:limit]
    )


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def completed_tasks(community: Community, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The met tasks of ``tasks`` (rows of :func:`tasks_with_progress`), each with the
    moment it was completed: the record that brought its count to the target (the held
    activity's start, the evidence's date); observations, the year's end or today."""
    met = [t["task"] for t in tasks if t["met"]]
    if not met:
        return []
    year = met[0].year
    out = []
    counted = [t for t in met if t.measure in (Measure.ACTIVITIES, Measure.ONLINE)]
    if counted:
        start, end = progress.year_bounds(year)
        held = list(
            Activity.objects.filter(
                progress.held_q(), community=community, starts_at__gte=start, starts_at__lt=end
            )
            .order_by("starts_at", "id")
            .values("kind", "mode", "level", "checked_in_count", "starts_at")
        )
        for t in counted:
            n = 0
            for a in held:
                # One held activity as a group of one (what _counts_for reads).
                one = {**a, "n": 1, "ge": {t.min_participants: 1}}
                if a["checked_in_count"] < t.min_participants:
                    one["ge"][t.min_participants] = 0
                n += progress._counts_for(t, [one])
                if n >= t.target:
                    out.append({"when": a["starts_at"], "task": t})
                    break
    manual = [t for t in met if t.measure == Measure.EVIDENCE]
    if manual:
        rows = Evidence.objects.filter(task__in=manual).order_by("date", "id")
        sums: dict[int, int] = {}
        targets = {t.pk: t for t in manual}
        done: set[int] = set()
        for task_id, day, count in rows.values_list("task_id", "date", "count"):
            sums[task_id] = sums.get(task_id, 0) + count
            if task_id not in done and sums[task_id] >= targets[task_id].target:
                done.add(task_id)
                out.append({"when": _moment(day), "task": targets[task_id]})
    last = _moment(min(timezone.localdate(), dt.date(year, 12, 31)))
    out += [{"when": last, "task": t} for t in met if t.measure == Measure.OBSERVATIONS]
    return out


def feed(
    community: Community,
    limit: int = 20,
    tasks: list[dict[str, Any]] | None = None,
    *,
    members: list[Membership] | None = None,
    activities: list[Activity] | None = None,
    files: list | None = None,
) -> list[dict[str, Any]]:
    """What happened, newest first, derived from the records: members who joined,
    activities held, tasks completed (of ``tasks``, the workspace's year) and files
    shared. A few queries whatever the community's size, and none for what the page read
    already: all its ``members`` (:func:`members`), its newest ``activities``
    (:func:`community_activities`) and ``files`` (:func:`shared_files`)."""
    if members is None:
        members = list(
            community.members.select_related("person", "school").order_by("-joined_on", "-id")[
                :limit
            ]
        )
    joined = sorted(members, key=lambda m: (m.joined_on, m.pk), reverse=True)[:limit]
    held = None
    if activities is not None:
        held = [a for a in activities if progress.is_held(a)]
        if len(held) < limit and len(activities) >= NEWEST:
            held = None  # held ones older than the newest the page read may be missing
    if held is None:
        held = list(community.activities.filter(progress.held_q()).order_by("-starts_at")[:limit])
    if files is None or (len(files) < limit and len(files) >= NEWEST):
        files = list(community.files.order_by("-created_at", "-id")[:limit])
    items: list[dict[str, Any]] = []
    for m in joined:
        items.append({"when": _moment(m.joined_on), "kind": "member", "text": str(m.member)})
    for a in held[:limit]:
        items.append({"when": a.starts_at, "kind": "activity", "text": a.title, "obj": a})
    for f in files[:limit]:
        items.append({"when": f.created_at, "kind": "file", "text": f.name, "obj": f})
    for c in completed_tasks(community, tasks or []):
        items.append({"when": c["when"], "kind": "task", "text": c["task"].name})
    items.sort(key=lambda i: i["when"], reverse=True)
    return items[:limit]


def shared_files(community: Community, limit: int = NEWEST) -> list:
    return list(community.files.order_by("-created_at", "-id")[:limit])


# --- roots -------------------------------------------------------------------------------


def roots_for(user) -> list[OrgUnit]:
    """The regions (or schools) a viewer's coverage and report can be about: the units of
    their roles, broadest first."""
    if user.is_superuser:
        return list(OrgUnit.objects.filter(parent__isnull=True).order_by("path"))
    ids = {s.unit_id for s in user_scopes(user)}
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("depth", "path"))


def communities_under(root: OrgUnit) -> QuerySet[Community]:
    return Community.objects.filter(under_q(Community, "org_unit__path", [root.path]))


# --- coverage ----------------------------------------------------------------------------


def _pct(n: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(100) * n / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class KindCoverage:
    kind: str
    label: str
    communities: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    participants: int = 0
    rural: int = 0
    weak: int = 0
    rural_or_weak: int = 0
    target: Decimal = Decimal("0")
    max_per_person: int = 0
    participants_by_level: dict[str, int] = field(default_factory=dict)
    over_count: int = 0  # persons over the limit; ``over_limit`` lists the first of them
    over_limit: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rural_share(self) -> Decimal | None:
        return _pct(self.rural, self.participants)

    @property
    def weak_share(self) -> Decimal | None:
        return _pct(self.weak, self.participants)

    @property
    def share(self) -> Decimal | None:
        return _pct(self.rural_or_weak, self.participants)

    @property
    def met(self) -> bool:
        return self.share is not None and self.share >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "communities": self.communities,
            "by_level": dict(self.by_level),
            "participants": self.participants,
            "rural": self.rural,
            "weak": self.weak,
            "rural_or_weak": self.rural_or_weak,
            "rural_share": _float(self.rural_share),
            "weak_share": _float(self.weak_share),
            "share": _float(self.share),
            "target": float(self.target),
            "met": self.met,
            "max_per_person": self.max_per_person,
            "over_limit": self.over_count,
        }


def _float(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def _participants(
    members: QuerySet[Membership], limits: dict[str, int], *, names: int = 0
) -> list[dict[str, Any]]:
    """Per kind, from the current memberships ``members``: the distinct participants (a
    person, or a school for consortia), how many of them are from a rural school, from a
    weak school and from either, and how many persons hold more memberships of the kind
    than ``limits[kind]`` — plus, with ``names``, the first ``names`` of those persons per
    kind (``member``, ``name``, ``n`` = their memberships). ``by_level``: the distinct participants
    of the kind's communities of each level (the upward report's column).

    One statement, one pass over the memberships (one index: each membership keeps its
    community's kind and level): they are grouped once by kind and member (plain columns,
    a person's row or a school's, so the grouping compares integers), then each *group*
    (not each membership: a city's 56,000 memberships are 37,000 participants) is flagged
    rural/weak from the id sets of rural/weak schools and their people, computed once
    (instead of a join to every member's person row); that grouping is read twice —
    totals, and the first persons over the limit.
    """
    grouped = (
        members.order_by()
        .values("kind", "person_id", "school_id")
        .annotate(
            jy_persons=Count("person_id"),
            **{
                f"jy_at_{lv}": Max(
                    Case(
                        When(level=lv, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                )
                for lv in Level.values
            },
        )
    )
    try:
        inner, params = grouped.query.sql_with_params()
    except EmptyResultSet:
        return []
    connection = connections[members.db]
    qn = connection.ops.quote_name
    kind, person, school, persons = (
        qn(c) for c in ("kind", "person_id", "school_id", "jy_persons")
    )

    def units(condition: str) -> str:
        return f"SELECT {qn('org_unit_id')} FROM {qn(School._meta.db_table)} WHERE {condition}"

    def flag(condition: str) -> str:
        people = (
            f"SELECT {qn('id')} FROM {qn(Person._meta.db_table)} "
            f"WHERE {qn('org_unit_id')} IN ({units(condition)})"
        )
        return (
            f"CASE WHEN {school} IN ({units(condition)}) OR {person} IN ({people}) "
            "THEN 1 ELSE 0 END"
        )

    rural_sql = flag(f"{qn('location')} = %s")
    weak_sql = flag(f"{qn('is_weak')} = %s")
    flag_params = [School.Location.RURAL, School.Location.RURAL, True, True]
    limit = "CASE " + " ".join(f"WHEN {kind} = %s THEN %s" for _k in limits) + " ELSE 0 END"
    limit_params = [v for k, n in limits.items() for v in (k, n)]
    at = ", ".join(f"SUM({qn(f'jy_at_{lv}')})" for lv in Level.values)
    zeros = ", ".join("0" for _lv in Level.values)
    rural, weak = qn("jy_rural"), qn("jy_weak")
    sql = (
        f"WITH g AS MATERIALIZED ({inner}), "
        f"f AS MATERIALIZED (SELECT g.*, {rural_sql} AS {rural}, {weak_sql} AS {weak} FROM g) "
        f"SELECT {kind}, NULL, NULL, COUNT(*), SUM({rural}), SUM({weak}), "
        f"SUM(CASE WHEN {rural} = 1 OR {weak} = 1 THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {persons} > {limit} THEN 1 ELSE 0 END), {at} FROM f GROUP BY {kind}"
    )
    all_params = [*params, *flag_params, *limit_params]
    if names:
        sql += (
            f" UNION ALL SELECT x.{kind}, x.{person}, p.{qn('name')}, x.{persons}, 0, 0, 0, 0, "
            f"{zeros} FROM (SELECT {kind}, {person}, {persons}, ROW_NUMBER() OVER "
            f"(PARTITION BY {kind} ORDER BY {person}) AS jy_rn FROM g "
            f"WHERE {person} IS NOT NULL AND {persons} > {limit}) x "
            f"INNER JOIN {qn(Person._meta.db_table)} p ON p.{qn('id')} = x.{person} "
            f"WHERE x.jy_rn <= %s"
        )
        all_params += [*limit_params, names]
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        rows = cursor.fetchall()
    out = [
        {
            "kind": k,
            "member": m,
            "name": name or "",
            "n": n,
            "rural": r or 0,
            "weak": w or 0,
            "either": e or 0,
            "over": o or 0,
            "by_level": {lv: v or 0 for lv, v in zip(Level.values, levels, strict=True)},
        }
        for k, m, name, n, r, w, e, o, *levels in rows
    ]
    out.sort(key=lambda r: (r["kind"], r["member"] is not None, r["member"] or 0))
    return out


def coverage(
    root: OrgUnit, day: dt.date | None = None, *, lists: bool = True, kinds_only: bool = False
) -> dict[str, Any]:
    """Every coverage figure of ``root``'s subtree on ``day`` (see the module's text);
    ``lists``: also the first schools in no consortium and idle communities (the page);
    ``kinds_only``: only the figures per kind (the upward report), not the schools in no
    consortium and the idle communities.

    Every figure is one aggregate query in the database (distinct members counted there),
    so the cost does not grow with the rows handed to Python."""
    day = day or timezone.localdate()
    settings = Settings()
    current = communities_under(root).filter(community_current_q(day))
    kinds = {k: KindCoverage(k, str(label)) for k, label in Kind.choices}
    for k, cov in kinds.items():
        policy = settings.policy(k, root.path)
        cov.target, cov.max_per_person = policy.target_share, policy.max_per_person
        cov.by_level = dict.fromkeys(Level.values, 0)
    total = 0
    for row in current.values("kind", "level").annotate(n=Count("pk")).order_by():
        kinds[row["kind"]].communities += row["n"]
        kinds[row["kind"]].by_level[row["level"]] = row["n"]
        total += row["n"]
    members = Membership.objects.filter(current_q(day), community__in=current.values("pk"))
    limits = {k: cov.max_per_person for k, cov in kinds.items()}
    names = 20 if lists else 0
    # Kept while the memberships, communities, units and people's units are unchanged
    # (core.stamps): a city's participants are a grouping of every membership.
    participants = stamps.kept(
        "communities.participants",
        (root.pk, root.path, day.isoformat(), sorted(limits.items()), names),
        PARTICIPANT_INPUTS,
        lambda: _participants(members, limits, names=names),
        using=members.db,
    )
    for row in participants:
        cov = kinds[row["kind"]]
        if row["member"] is None:
            cov.participants, cov.rural, cov.weak = row["n"], row["rural"], row["weak"]
            cov.rural_or_weak, cov.over_count = row["either"], row["over"]
            cov.participants_by_level = row["by_level"]
        else:
            cov.over_limit.append(
                {"person_id": row["member"], "name": row["name"], "count": row["n"]}
            )
    if kinds_only:
        return {
            "day": day,
            "root": root,
            "kinds": [kinds[k] for k in Kind.values],
            "communities": total,
        }
    # Schools in no consortium (of any owner) current on the day: the consortia first
    # (a few hundred, from the kind's index), then their current member schools.
    consortia = Community.objects.filter(community_current_q(day), kind=Kind.CONSORTIUM)
    in_consortium = Membership.objects.filter(
        current_q(day), community__in=consortia.values("pk"), school__isnull=False
    ).values("school_id")
    schools = School.objects.filter(under_q(School, "org_unit__path", [root.path]))
    # Every lonely school's id in path order, once: the count and the first of them.
    lonely_ids = list(
        schools.exclude(pk__in=in_consortium)
        .order_by("org_unit__path")
        .values_list("pk", flat=True)
    )
    lonely_schools = []
    if lists and lonely_ids:
        first = lonely_ids[:20]
        by_pk = School.objects.select_related("org_unit").in_bulk(first)
        lonely_schools = [by_pk[pk] for pk in first]
    # Idle communities: no activity held in the last 90 days (the window's held
    # activities read from the status index, whichever community organised them).
    since = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=IDLE_DAYS), dt.time()))
    until = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    active = Activity.objects.filter(
        progress.held_q(),
        starts_at__gte=since,
        starts_at__lt=until,
        community__isnull=False,
    ).values("community_id")
    idle = list(current.exclude(pk__in=active).order_by("code").values("id", "name", "code"))
    return {
        "day": day,
        "root": root,
        "kinds": [kinds[k] for k in Kind.values],
        "communities": total,
        "schools": schools.count(),
        "schools_without_consortium": len(lonely_ids),
        "lonely_schools": lonely_schools,
        "idle": len(idle),
        "idle_list": idle[:20] if lists else [],
    }


def coverage_dict(data: dict[str, Any]) -> dict[str, Any]:
    """The coverage as JSON (the API, the tests)."""
    return {
        "unit": data["root"].pk,
        "day": data["day"].isoformat(),
        "communities": data["communities"],
        "schools": data["schools"],
        "schools_without_consortium": data["schools_without_consortium"],
        "idle": data["idle"],
        "kinds": [k.as_dict() for k in data["kinds"]],
    }


# --- the assessment ranking ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRef:
    pk: int
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class Ranked:
    """A community as the ranking shows it: the few columns it reads (a ranking of
    thousands of studios builds no model instances)."""

    pk: int
    code: str
    name: str
    level: str
    org_unit: UnitRef

    @property
    def id(self) -> int:
        return self.pk

    @property
    def org_unit_id(self) -> int:
        return self.org_unit.pk

    def get_level_display(self) -> str:
        return str(Level(self.level).label)

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", args=[self.pk])


def ranking(
    qs: QuerySet[Community], year: int, *, kind: str = Kind.STUDIO, level: str = ""
) -> list[dict[str, Any]]:
    """The communities of ``qs`` of a kind (and level), ranked by their points in ``year``
    (ties by code), each scored with the table that applies to it."""
    qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    settings = Settings()
    # One UnitRef and one table lookup per owning unit (a few hundred), not per studio.
    units: dict[int, tuple[UnitRef, tuple]] = {}
    communities, rules = [], {}
    for pk, code, name, lv, unit, unit_name, path in qs.order_by("code").values_list(
        "pk", "code", "name", "level", "org_unit_id", "org_unit__name", "org_unit__path"
    ):
        if unit not in units:
            units[unit] = (UnitRef(unit, unit_name, path), settings.points(path))
        ref, table = units[unit]
        communities.append(Ranked(pk, code, name, lv, ref))
        rules[pk] = table
    scores = progress.points_for(rules, year, ids=qs.order_by().values("pk"))
    rows = [{"community": c, "score": scores[c.pk]} for c in communities]
    # Ties by code as Python orders them (the database's collation may differ), then a
    # stable sort by points, highest first: no negated Decimal per row.
    rows.sort(key=lambda r: r["community"].code)
    rows.sort(key=lambda r: r["score"].total, reverse=True)
    rank, last = 0, None
    for i, r in enumerate(rows, 1):
        if r["score"].total != last:
            rank, last = i, r["score"].total
        r["rank"] = rank
    return rows


# --- the upward report --------------------------------------------------------------------


def upward_report(root: OrgUnit, year: int) -> dict[str, Any]:
    """Per kind and level: communities, participants, activities held in ``year`` and their
    participants, and the rural/weak shares (coverage as of the year's last day, or today
    in the current year). Aggregate queries, like the coverage."""
    today = timezone.localdate()
    day = min(today, dt.date(year, 12, 31))
    cov = coverage(root, day, lists=False, kinds_only=True)
    current = communities_under(root).filter(community_current_q(day))
    start, end = progress.year_bounds(year)
    # Communities and participants per kind and level come with the coverage (the same
    # grouped pass over the memberships); only the activities are read here.
    counts = {(k.kind, lv): n for k in cov["kinds"] for lv, n in k.by_level.items()}
    members = {(k.kind, lv): n for k in cov["kinds"] for lv, n in k.participants_by_level.items()}
    held = {
        (r["community__kind"], r["community__level"]): (r["n"], r["attendance"] or 0)
        for r in Activity.objects.filter(
            progress.held_q(),
            community__in=current.values("pk"),
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .values("community__kind", "community__level")
        .annotate(n=Count("pk"), attendance=Sum("checked_in_count"))
        .order_by()
    }
    rows = []
    for k, klabel in Kind.choices:
        for lv, llabel in Level.choices:
            key = (k, lv)
            rows.append(
                {
                    "kind": k,
                    "kind_label": str(klabel),
                    "level": lv,
                    "level_label": str(llabel),
                    "communities": counts.get(key, 0),
                    "participants": members.get(key, 0),
                    "activities": held.get(key, (0, 0))[0],
                    "attendance": held.get(key, (0, 0))[1],
                }
            )
    return {"root": root, "year": year, "day": day, "rows": rows, "coverage": cov}
