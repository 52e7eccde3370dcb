"""Points (积分): computed from the records, never typed.

A bureau keeps a point table (:class:`PointRule` rows: a rule's code, the level it
applies to — or any level — and its points). The nearest bureau above a record's unit
decides (``core.paths.nearest``); a rule at the record's level wins over the same rule at
any level; a record no table prices earns nothing (and the page says so).

**Point sources.** Records become points through a small registry: a module registers
``register_source(code, fn)`` where ``fn(start, end)`` yields :class:`Credit` rows —
``(person_id, unit_id, community_id, rule, level, date, reference)`` — for the records
dated within ``[start, end]``: one row per person credited (``person_id`` None for a
record that credits only its unit). ``rule`` is a code of :data:`RULES` (a module adds
its own with :func:`register_rule`). This module registers its sources: outcomes honoured
in an announced round (``case_selected`` for typical cases and case collections,
``outcome_selected`` for the other kinds, at the level that chose them), demonstrations
at an activity (``demonstration``) and adoptions by other units (``adopted``). The
research projects app will register ``project_approved`` (levels 校/县/市/省/国家:
5/8/15/25/40 in the demo table) and ``project_excellent`` (the 优秀 conclusion bonus).

**Totals.** A person's points are the sum over their rows; a unit's (a school's) and a
community's count each record once — the distinct ``(rule, level, reference)`` of its
rows — so an outcome of three authors earns its school the rule's points once. Each
total keeps its rows, so every figure is shown with the rules it came from.

The ranking is kept in the cache while the records are unchanged (``core.stamps``: every
write of a record points come from bumps :data:`services.POINTS`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import stamps
from jiaoyan.core.paths import nearest

from .models import Adoption, Entry, Kind, PointLevel, PointRule, Promotion
from .services import POINTS


class Credit(NamedTuple):
    """One row a point source yields: who is credited for which record, by which rule."""

    person_id: int | None
    unit_id: int
    community_id: int | None
    rule: str
    level: str
    date: dt.date
    reference: str  # "<model>:<id>", the record


Source = Callable[[dt.date, dt.date], Iterable[Credit]]

#: Rule code -> its label (shown beside every figure). Modules add theirs.
RULES: dict[str, Any] = {}
_sources: dict[str, Source] = {}


def register_rule(code: str, label: Any) -> None:
    RULES[code] = label


def register_source(code: str, fn: Source) -> None:
    """A module that knows records worth points registers ``fn(start, end)`` yielding
    :class:`Credit` rows under a source ``code`` (e.g. ``"outcomes.honours"``)."""
    _sources[code] = fn


def sources() -> dict[str, Source]:
    return dict(_sources)


register_rule("case_selected", _lazy("Typical case selected"))
register_rule("outcome_selected", _lazy("Outcome selected"))
register_rule("demonstration", _lazy("Demonstration at an activity"))
register_rule("adopted", _lazy("Outcome adopted by another unit"))
register_rule("project_approved", _lazy("Research project approved"))
register_rule("project_excellent", _lazy("Research project concluded excellent"))

CASE_KINDS = (Kind.CASE, Kind.CASEBOOK)


def _authors(outcome_ids: Iterable[int]) -> dict[int, list[int]]:
    from .models import Outcome

    out: dict[int, list[int]] = defaultdict(list)
    rows = Outcome.authors.through.objects.filter(outcome_id__in=list(outcome_ids))
    for oid, pid in rows.values_list("outcome_id", "person_id").order_by("outcome_id", "id"):
        out[oid].append(pid)
    return out


def _credits(rows, rule_of, level_of, date_of, ref: str) -> Iterator[Credit]:
    rows = list(rows)
    authors = _authors({r["outcome_id"] for r in rows})
    for r in rows:
        people = authors.get(r["outcome_id"]) or [None]
        for pid in people:
            yield Credit(
                pid,
                r["outcome__org_unit_id"],
                r["outcome__community_id"],
                rule_of(r),
                level_of(r),
                date_of(r),
                f"{ref}:{r['id']}",
            )


def honours_source(start: dt.date, end: dt.date) -> Iterator[Credit]:
    """Outcomes honoured in rounds announced within the period, at the honour's level."""
    rows = Entry.objects.filter(
        honoured=True,
        round__announced_at__date__gte=start,
        round__announced_at__date__lte=end,
    ).values(
        "id",
        "outcome_id",
        "level",
        "outcome__kind",
        "outcome__org_unit_id",
        "outcome__community_id",
        "round__announced_at",
    )
    return _credits(
        rows,
        lambda r: "case_selected" if r["outcome__kind"] in CASE_KINDS else "outcome_selected",
        lambda r: r["level"],
        lambda r: r["round__announced_at"].date(),
        "entry",
    )


def demonstrations_source(start: dt.date, end: dt.date) -> Iterator[Credit]:
    """Promotion records that were a demonstration at an activity, at the level of the
    unit where it was held."""
    rows = Promotion.objects.filter(Q(demonstration=True), date__gte=start, date__lte=end).values(
        "id",
        "outcome_id",
        "date",
        "org_unit__level",
        "outcome__org_unit_id",
        "outcome__community_id",
    )
    return _credits(
        rows,
        lambda r: "demonstration",
        lambda r: r["org_unit__level"],
        lambda r: r["date"],
        "promotion",
    )


def adoptions_source(start: dt.date, end: dt.date) -> Iterator[Credit]:
    """Adoptions by other units."""
    rows = Adoption.objects.filter(adopted_on__gte=start, adopted_on__lte=end).values(
        "id", "outcome_id", "adopted_on", "outcome__org_unit_id", "outcome__community_id"
    )
    return _credits(rows, lambda r: "adopted", lambda r: "", lambda r: r["adopted_on"], "adoption")


register_source("outcomes.honours", honours_source)
register_source("outcomes.demonstrations", demonstrations_source)
register_source("outcomes.adoptions", adoptions_source)


# --- the table ------------------------------------------------------------------------------


def tables() -> dict[int, dict[tuple[str, str], PointRule]]:
    """Every bureau's table, by the region the bureau serves."""
    out: dict[int, dict[tuple[str, str], PointRule]] = defaultdict(dict)
    for rule in PointRule.objects.select_related("org_unit"):
        region = rule.org_unit.parent_id if rule.org_unit.kind in ("bureau", "institute") else None
        out[region or rule.org_unit_id][(rule.code, rule.level)] = rule
    return out


def price(table: dict[tuple[str, str], PointRule] | None, credit: Credit) -> PointRule | None:
    if not table:
        return None
    return table.get((credit.rule, credit.level)) or table.get((credit.rule, ""))


@dataclass
class Total:
    """A person's, unit's or community's points and the rows they came from."""

    key: int
    points: Decimal = Decimal(0)
    rows: list[tuple[Credit, PointRule]] = field(default_factory=list)

    def by_rule(self) -> list[dict[str, Any]]:
        """The figure explained: per rule and level, how many records and points."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for credit, rule in self.rows:
            row = out.setdefault(
                (credit.rule, credit.level),
                {
                    "rule": rule,
                    "label": rule.label,
                    "level": rule.get_level_display() if rule.level else _level(credit.level),
                    "count": 0,
                    "points": Decimal(0),
                },
            )
            row["count"] += 1
            row["points"] += rule.points
        return sorted(out.values(), key=lambda r: -r["points"])


def _level(code: str) -> str:
    """The level of a record (a unit's level code) as people read it."""
    return str(PointLevel(code).label) if code and code in PointLevel.values else code


@dataclass
class Points:
    persons: dict[int, Total]
    units: dict[int, Total]
    communities: dict[int, Total]
    unpriced: int = 0
    paths: dict[int, str] = field(default_factory=dict)  # unit id -> path

    def within(self, totals: dict[int, Total], paths: list[str] | None) -> list[Total]:
        """The totals with a record of a unit under one of ``paths`` (None: all), most
        points first."""
        rows = list(totals.values())
        if paths is not None:
            prefixes = tuple(paths)
            rows = [
                t
                for t in rows
                if any(self.paths.get(c.unit_id, "").startswith(prefixes) for c, _r in t.rows)
            ]
        return sorted(rows, key=lambda t: (-t.points, t.key))


def compute(start: dt.date, end: dt.date) -> Points:
    """Every source's rows in the period, priced by the nearest bureau's table."""
    from jiaoyan.orgs.models import OrgUnit

    by_region = tables()
    credits = [c for fn in _sources.values() for c in fn(start, end)]
    paths = dict(
        OrgUnit.objects.filter(pk__in={c.unit_id for c in credits}).values_list("pk", "path")
    )
    persons: dict[int, Total] = {}
    units: dict[int, Total] = {}
    communities: dict[int, Total] = {}
    seen_unit: set[tuple] = set()
    seen_community: set[tuple] = set()
    unpriced = 0
    for c in credits:
        rule = price(nearest(by_region, paths.get(c.unit_id, "")), c)
        if rule is None:
            unpriced += 1
            continue
        if c.person_id is not None:
            t = persons.setdefault(c.person_id, Total(c.person_id))
            t.points += rule.points
            t.rows.append((c, rule))
        key = (c.unit_id, c.rule, c.level, c.reference)
        if key not in seen_unit:
            seen_unit.add(key)
            t = units.setdefault(c.unit_id, Total(c.unit_id))
            t.points += rule.points
            t.rows.append((c, rule))
        if c.community_id is not None:
            key = (c.community_id, c.rule, c.level, c.reference)
            if key not in seen_community:
                seen_community.add(key)
                t = communities.setdefault(c.community_id, Total(c.community_id))
                t.points += rule.points
                t.rows.append((c, rule))
    return Points(persons, units, communities, unpriced, paths)


def kept(year: int) -> Points:
    """:func:`compute` of a calendar year, kept while the records are unchanged."""
    return stamps.kept(
        "outcomes.points",
        (year,),
        (POINTS,),
        lambda: compute(dt.date(year, 1, 1), dt.date(year, 12, 31)),
    )


def unit_points(points: Points, path: str) -> Decimal:
    """The points of the units in the subtree of ``path`` (``path``'s own included)."""
    from jiaoyan.orgs.models import OrgUnit

    ids = set(points.units)
    if not ids:
        return Decimal(0)
    under = OrgUnit.objects.filter(pk__in=ids, path__startswith=path).values_list("pk", flat=True)
    return sum((points.units[i].points for i in under), Decimal(0))


__all__ = ["Credit", "Points", "compute", "kept", "register_source"]
