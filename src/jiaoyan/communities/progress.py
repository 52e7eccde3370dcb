"""Figures computed from the records, never typed: a task's progress, a studio's points.

* An activity **counts for** its organising community when it was held: published, in
  progress or finished (not a draft, not cancelled) and at least one person checked in.
  Its date is its start.
* An observation **by a member** is a submitted observation whose observer's account is a
  person who was a member of the community on the observation's date.
* Evidence counts only for tasks measured by evidence.

Every function here takes many communities at once and reads each table once, so a page
of a thousand studios costs the same few queries as one.

Other modules (research projects, resources) plug in through :func:`register_source`:
a function ``fn(community_ids, year) -> {community_id: count}`` for an item of the points
table (e.g. ``PointItem.PROJECT`` with its level) — until one registers, such items count
nothing and the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.observations.models import Observation

from .models import Community, CommunityTask, Evidence, Measure, PointItem
from .policies import Rule, rule_points

HELD = (Activity.Status.PUBLISHED, Activity.Status.IN_PROGRESS, Activity.Status.FINISHED)
ONLINE_MODES = (Activity.Mode.ONLINE, Activity.Mode.HYBRID)

Source = Callable[[list[int], int], dict[int, dict[str, int]]]
_sources: dict[str, Source] = {}


def register_source(item: str, fn: Source) -> None:
    """A module that knows an item of the points table (``PointItem.PROJECT``) registers
    ``fn(community_ids, year) -> {community_id: {level: count}}``."""
    _sources[item] = fn


def has_source(item: str) -> bool:
    return item in _sources


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    return start, timezone.make_aware(dt.datetime(year + 1, 1, 1))


def held_q():
    return Q(status__in=HELD, checked_in_count__gt=0)


def is_held(activity: Activity) -> bool:
    """:func:`held_q` asked of one activity already read."""
    return activity.status in HELD and activity.checked_in_count > 0


def held_activities(community_ids: Iterable[int], year: int) -> list[dict[str, Any]]:
    """The held activities of the communities in ``year`` (a few columns each)."""
    start, end = year_bounds(year)
    return list(
        Activity.objects.filter(
            held_q(),
            community_id__in=list(community_ids),
            starts_at__gte=start,
            starts_at__lt=end,
        ).values("id", "community_id", "kind", "mode", "level", "checked_in_count")
    )


def member_observations(community_ids: Iterable[int], year: int) -> dict[int, int]:
    """Observations by members, per community, in ``year``: one grouped count in the
    database (each submitted observation of the year joined to the memberships its
    observer held on its date), not the rows."""
    ids = community_ids if isinstance(community_ids, QuerySet) else list(community_ids)
    m = "observer__person__community_memberships"
    rows = (
        Observation.objects.filter(
            Q(**{f"{m}__left_on__isnull": True}) | Q(**{f"{m}__left_on__gte": F("date")}),
            status=Observation.Status.SUBMITTED,
            date__gte=dt.date(year, 1, 1),
            date__lte=dt.date(year, 12, 31),
            **{f"{m}__community_id__in": ids, f"{m}__joined_on__lte": F("date")},
        )
        .order_by()
        .values(jy_community=F(f"{m}__community_id"))
        .annotate(n=Count("pk"))
        .values_list("jy_community", "n")
    )
    return defaultdict(int, rows)


def kept_member_observations(year: int) -> dict[int, int]:
    """:func:`member_observations` of every community in ``year``, kept in the cache while
    the submitted observations and the memberships are unchanged (``core.stamps``: the
    observations' statistics and the membership services change their versions): the
    ranking's walk over every membership is done once per change, not per read."""
    from jiaoyan.core import stamps
    from jiaoyan.observations.stats import SUBMITTED

    from .services import MEMBERS

    return stamps.kept(
        "communities.member_observations",
        (year,),
        (SUBMITTED, MEMBERS),
        lambda: dict(member_observations(Community.objects.order_by().values("pk"), year)),
    )


def activity_groups(
    community_ids: Iterable[int], year: int, thresholds: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """The held activities of the communities in ``year``, counted per community, kind,
    mode and level (``n``), and for each of ``thresholds`` how many of them had at least
    that many people checked in (``ge[t]``) — what the points table and the tasks need,
    grouped in the database instead of one row per activity."""
    start, end = year_bounds(year)
    ids = community_ids if isinstance(community_ids, QuerySet) else list(community_ids)
    levels = sorted(set(thresholds))
    extra = {f"ge{t}": Count("pk", filter=Q(checked_in_count__gte=t)) for t in levels if t > 1}
    rows = (
        Activity.objects.filter(
            held_q(), community_id__in=ids, starts_at__gte=start, starts_at__lt=end
        )
        .order_by()
        .values("community_id", "kind", "mode", "level")
        .annotate(n=Count("pk"), **extra)
    )
    out = []
    for r in rows:
        # Held activities have at least one person checked in: a threshold of 0 or 1 is
        # met by every one of them.
        r["ge"] = {t: (r.pop(f"ge{t}") if t > 1 else r["n"]) for t in levels}
        out.append(r)
    return out


class YearRecords:
    """The held activities (grouped, :func:`activity_groups`) and the observations by
    members (:func:`member_observations`) of some communities in a year, each read once
    and shared by whoever needs them on a page (a workspace's tasks and points).
    ``thresholds``: participant thresholds known in advance, read with the first
    groups so that a later caller's thresholds cost no second query."""

    def __init__(self, community_ids: Iterable[int], year: int, thresholds: Iterable[int] = ()):
        self.ids = community_ids if isinstance(community_ids, QuerySet) else list(community_ids)
        self.year = year
        self._thresholds = set(thresholds)
        self._groups: list[dict[str, Any]] | None = None
        self._observations: dict[int, int] | None = None

    def groups(self, thresholds: Iterable[int] = ()) -> list[dict[str, Any]]:
        want = set(thresholds)
        if self._groups is None or not want <= self._thresholds:
            self._thresholds |= want
            self._groups = activity_groups(self.ids, self.year, self._thresholds)
        return self._groups

    def observations(self) -> dict[int, int]:
        if self._observations is None:
            self._observations = member_observations(self.ids, self.year)
        return self._observations

    def covers(self, community_ids: Iterable[int], year: int) -> bool:
        if isinstance(self.ids, QuerySet):
            return False
        return year == self.year and set(community_ids) <= set(self.ids)


def _counts_for(task, groups: list[dict[str, Any]]) -> int:
    n = 0
    for g in groups:
        if task.measure == Measure.ONLINE:
            if g["mode"] in ONLINE_MODES:
                n += g["ge"][task.min_participants]
        elif task.activity_kind and g["kind"] != task.activity_kind:
            continue
        else:
            n += g["n"]
    return n


def task_progress(tasks: list[CommunityTask], records: YearRecords | None = None) -> dict[int, int]:
    """``{task id: done}`` for tasks of any communities and years (a few queries);
    ``records``: a year's records already read (used for the tasks it covers)."""
    if not tasks:
        return {}
    by_year: dict[int, set[int]] = defaultdict(set)
    for t in tasks:
        by_year[t.year].add(t.community_id)
    thresholds = {t.min_participants for t in tasks if t.measure == Measure.ONLINE}
    activities: dict[tuple[int, int], list] = defaultdict(list)
    observations: dict[tuple[int, int], int] = {}
    for year, cids in by_year.items():
        shared = records if records is not None and records.covers(cids, year) else None
        if any(t.measure in (Measure.ACTIVITIES, Measure.ONLINE) for t in tasks):
            groups = (
                shared.groups(thresholds)
                if shared is not None
                else activity_groups(cids, year, thresholds)
            )
            for g in groups:
                activities[(g["community_id"], year)].append(g)
        if any(t.measure == Measure.OBSERVATIONS for t in tasks):
            seen = shared.observations() if shared is not None else member_observations(cids, year)
            for cid, n in seen.items():
                observations[(cid, year)] = n
    evidence = dict(
        Evidence.objects.filter(task_id__in=[t.pk for t in tasks])
        .values("task_id")
        .annotate(n=Sum("count"))
        .values_list("task_id", "n")
    )
    done: dict[int, int] = {}
    for t in tasks:
        key = (t.community_id, t.year)
        if t.measure in (Measure.ACTIVITIES, Measure.ONLINE):
            done[t.pk] = _counts_for(t, activities.get(key, []))
        elif t.measure == Measure.OBSERVATIONS:
            done[t.pk] = observations.get(key, 0)
        else:
            done[t.pk] = int(evidence.get(t.pk) or 0)
    return done


@dataclass(slots=True)
class Score:
    """A studio's points in a year, and what earned them."""

    community_id: int
    total: Decimal = Decimal("0")
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    points: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, item: str, rule: Rule | None, n: int = 1) -> None:
        if rule is None or n <= 0:
            return
        self.counts[item] += n
        self.points[item] += rule.points * n
        self.total += rule.points * n


def points(
    communities: list[Community],
    year: int,
    rules_for: Callable[[Community], tuple[Rule, ...]],
    records: YearRecords | None = None,
) -> dict[int, Score]:
    """``{community id: Score}`` computed from the records with each community's table."""
    return points_for({c.pk: rules_for(c) for c in communities}, year, records=records)


def online_thresholds(rules: Iterable[tuple[Rule, ...]]) -> set[int]:
    """The participant thresholds of the online items of points tables."""
    return {r.min_participants for table in rules for r in table if r.item == PointItem.ONLINE}


def point_groups(
    community_ids: Iterable[int], year: int, thresholds: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """The held activities of the communities in ``year`` as the points table sees them:
    counted per community, item and level (``item``: a demonstration, else an online
    session candidate by its mode, else another activity), with ``ge[t]`` as in
    :func:`activity_groups` — half the rows of the grouping by kind and mode, read from
    the activities' covering index (``activity_community_held``)."""
    start, end = year_bounds(year)
    ids = community_ids if isinstance(community_ids, QuerySet) else list(community_ids)
    levels = sorted(set(thresholds))
    extra = {f"ge{t}": Count("pk", filter=Q(checked_in_count__gte=t)) for t in levels if t > 1}
    item = Case(
        When(kind=Activity.Kind.DEMONSTRATION, then=Value(PointItem.DEMONSTRATION)),
        When(mode__in=ONLINE_MODES, then=Value(PointItem.ONLINE)),
        default=Value(PointItem.ACTIVITY),
        output_field=CharField(),
    )
    rows = (
        Activity.objects.filter(
            held_q(), community_id__in=ids, starts_at__gte=start, starts_at__lt=end
        )
        .order_by()
        .values("community_id", "level", jy_item=item)
        .annotate(n=Count("pk"), **extra)
    )
    out = []
    for r in rows:
        r["ge"] = {t: (r.pop(f"ge{t}") if t > 1 else r["n"]) for t in levels}
        out.append(r)
    return out


class _Table:
    """A points table looked up by (item, level) in a dict (the ranking asks it once per
    group of thousands), answering as :func:`rule_points` does."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self._found: dict[tuple[str, str], Rule | None] = {}

    def get(self, item: str, level: str) -> Rule | None:
        key = (item, level)
        if key not in self._found:
            self._found[key] = rule_points(self.rules, item, level)
        return self._found[key]


def points_for(
    rules: dict[int, tuple[Rule, ...]],
    year: int,
    ids: QuerySet | None = None,
    records: YearRecords | None = None,
) -> dict[int, Score]:
    """``{community id: Score}`` for the communities ``rules`` names (id → its table);
    ``ids``: the same communities as a subquery (a long list is then not sent as
    parameters); ``records``: the year's records already read for them (a workspace:
    its groups are used), else the activities are grouped by item
    (:func:`point_groups`). A few grouped queries whatever the number of communities."""
    scores = {cid: Score(cid) for cid in rules}
    # One lookup table per distinct table object (callers share one per owning unit).
    tables: dict[int, _Table] = {}
    table_of = {}
    for cid, t in rules.items():
        found = tables.get(id(t))
        if found is None:
            found = tables[id(t)] = _Table(t)
        table_of[cid] = found
    online = online_thresholds(t.rules for t in tables.values())
    if records is not None and records.covers(rules, year):
        groups = [
            {
                **g,
                "jy_item": (
                    PointItem.DEMONSTRATION
                    if g["kind"] == Activity.Kind.DEMONSTRATION
                    else PointItem.ONLINE
                    if g["mode"] in ONLINE_MODES
                    else PointItem.ACTIVITY
                ),
            }
            for g in records.groups(online)
        ]
    else:
        records = None
        groups = point_groups(ids if ids is not None else list(rules), year, online)
    for g in groups:
        cid = g["community_id"]
        if cid not in scores:
            continue
        table, n, item = table_of[cid], g["n"], g["jy_item"]
        if item == PointItem.DEMONSTRATION:
            scores[cid].add(item, table.get(item, g["level"]), n)
            continue
        if item == PointItem.ONLINE:
            rule = table.get(PointItem.ONLINE, g["level"])
            if rule is not None:
                enough = g["ge"][rule.min_participants]
                scores[cid].add(PointItem.ONLINE, rule, enough)
                n -= enough
        scores[cid].add(PointItem.ACTIVITY, table.get(PointItem.ACTIVITY, g["level"]), n)
    seen = records.observations() if records is not None else kept_member_observations(year)
    for cid, n in seen.items():
        if cid in scores:
            scores[cid].add(PointItem.OBSERVATION, table_of[cid].get(PointItem.OBSERVATION, ""), n)
    id_list = list(rules)
    for item, source in _sources.items():
        for cid, by_level in source(id_list, year).items():
            for level, n in by_level.items():
                scores[cid].add(item, table_of[cid].get(item, level), n)
    return scores
