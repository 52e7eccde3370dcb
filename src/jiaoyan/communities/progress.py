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

from django.db.models import Sum
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.observations.models import Observation

from .models import Community, CommunityTask, Evidence, Measure, Membership, PointItem
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
    from django.db.models import Q

    return Q(status__in=HELD, checked_in_count__gt=0)


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
    """Observations by members, per community, in ``year``."""
    ids = list(community_ids)
    spans: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for m in Membership.objects.filter(community_id__in=ids, person__user_id__isnull=False).values(
        "community_id", "person__user_id", "joined_on", "left_on"
    ):
        spans[m["person__user_id"]].append((m["community_id"], m["joined_on"], m["left_on"]))
    counts: dict[int, int] = defaultdict(int)
    if not spans:
        return counts
    rows = (
        Observation.objects.filter(
            status=Observation.Status.SUBMITTED,
            date__gte=dt.date(year, 1, 1),
            date__lte=dt.date(year, 12, 31),
            observer_id__in=Membership.objects.filter(
                community_id__in=ids, person__user_id__isnull=False
            ).values("person__user_id"),
        )
        .values_list("observer_id", "date")
        .iterator(chunk_size=5000)
    )
    for observer, day in rows:
        for community_id, joined, left in spans.get(observer, ()):
            if joined <= day and (left is None or day <= left):
                counts[community_id] += 1
    return counts


def _counts_for(task, activities: list[dict[str, Any]]) -> int:
    n = 0
    for a in activities:
        if task.measure == Measure.ONLINE:
            if a["mode"] in ONLINE_MODES and a["checked_in_count"] >= task.min_participants:
                n += 1
        elif task.activity_kind and a["kind"] != task.activity_kind:
            continue
        else:
            n += 1
    return n


def task_progress(tasks: list[CommunityTask]) -> dict[int, int]:
    """``{task id: done}`` for tasks of any communities and years (a few queries)."""
    if not tasks:
        return {}
    by_year: dict[int, set[int]] = defaultdict(set)
    for t in tasks:
        by_year[t.year].add(t.community_id)
    activities: dict[tuple[int, int], list] = defaultdict(list)
    observations: dict[tuple[int, int], int] = {}
    for year, cids in by_year.items():
        if any(t.measure in (Measure.ACTIVITIES, Measure.ONLINE) for t in tasks):
            for a in held_activities(cids, year):
                activities[(a["community_id"], year)].append(a)
        if any(t.measure == Measure.OBSERVATIONS for t in tasks):
            for cid, n in member_observations(cids, year).items():
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


@dataclass
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


def activity_item(a: dict[str, Any], rules: tuple[Rule, ...]) -> tuple[str, Rule | None]:
    """The points-table line one held activity earns: a demonstration by its level, an
    online session with enough participants, or any other activity."""
    if a["kind"] == Activity.Kind.DEMONSTRATION:
        return PointItem.DEMONSTRATION, rule_points(rules, PointItem.DEMONSTRATION, a["level"])
    if a["mode"] in ONLINE_MODES:
        rule = rule_points(rules, PointItem.ONLINE, a["level"])
        if rule is not None and a["checked_in_count"] >= rule.min_participants:
            return PointItem.ONLINE, rule
    return PointItem.ACTIVITY, rule_points(rules, PointItem.ACTIVITY, a["level"])


def points(
    communities: list[Community], year: int, rules_for: Callable[[Community], tuple[Rule, ...]]
) -> dict[int, Score]:
    """``{community id: Score}`` computed from the records with each community's table."""
    ids = [c.pk for c in communities]
    scores = {c.pk: Score(c.pk) for c in communities}
    rules = {c.pk: rules_for(c) for c in communities}
    for a in held_activities(ids, year):
        item, rule = activity_item(a, rules[a["community_id"]])
        scores[a["community_id"]].add(item, rule)
    for cid, n in member_observations(ids, year).items():
        scores[cid].add(
            PointItem.OBSERVATION, rule_points(rules[cid], PointItem.OBSERVATION, ""), n
        )
    for item, source in _sources.items():
        for cid, by_level in source(ids, year).items():
            for level, n in by_level.items():
                scores[cid].add(item, rule_points(rules[cid], item, level), n)
    return scores
