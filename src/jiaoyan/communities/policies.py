"""A bureau's settings as they apply to a unit: the nearest setting on the way up.

Task templates, the points table and the kind policies belong to a unit (a bureau or
institute stands for its region). For a community owned by a unit, the setting that
applies is the one of the nearest region above it (or at it) that has one; where no bureau
set anything, the defaults below apply. Every reader loads the (small) settings tables
once and picks per path in memory, so a ranking of thousands of studios costs one query
per table, not one per studio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from jiaoyan.core.paths import nearest, region_id
from jiaoyan.orgs.models import OrgUnit

from .models import Kind, KindPolicy, Measure, PointItem, PointRule, TaskTemplate

OFFICES = (OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE)


@dataclass(frozen=True)
class Policy:
    kind: str
    target_share: Decimal
    max_per_person: int
    allow_several_leads: bool
    allow_several_consortia: bool
    unit_id: int | None = None  # None: the defaults


DEFAULT_POLICY = {
    Kind.CONSORTIUM: Policy(Kind.CONSORTIUM, Decimal("50"), 1, False, False),
    Kind.PRINCIPAL: Policy(Kind.PRINCIPAL, Decimal("40"), 2, False, False),
    Kind.STUDIO: Policy(Kind.STUDIO, Decimal("50"), 2, False, False),
}


@dataclass(frozen=True)
class Template:
    name: str
    measure: str
    target: int
    activity_kind: str = ""
    min_participants: int = 0


# A studio's "10+N" and a principal community's "六个一", as most bureaus write them.
DEFAULT_TEMPLATES: dict[str, tuple[Template, ...]] = {
    Kind.STUDIO: (
        Template("示范课", Measure.ACTIVITIES, 4, activity_kind="demonstration"),
        Template("集体研修活动", Measure.ACTIVITIES, 10),
        Template("网络研修", Measure.ONLINE, 12, min_participants=15),
        Template("成员听评课", Measure.OBSERVATIONS, 20),
        Template("课题研究", Measure.EVIDENCE, 1),
    ),
    Kind.PRINCIPAL: (
        Template("专题研讨", Measure.ACTIVITIES, 6),
        Template("跟岗访学", Measure.EVIDENCE, 1),
        Template("成员听评课", Measure.OBSERVATIONS, 12),
        Template("办学诊断报告", Measure.EVIDENCE, 1),
    ),
    Kind.CONSORTIUM: (
        Template("联合教研活动", Measure.ACTIVITIES, 8),
        Template("送教下乡", Measure.ACTIVITIES, 2, activity_kind="outreach"),
        Template("教师交流轮岗", Measure.EVIDENCE, 5),
    ),
}


@dataclass(frozen=True)
class Rule:
    item: str
    level: str
    points: Decimal
    min_participants: int = 0


DEFAULT_POINTS: tuple[Rule, ...] = (
    Rule(PointItem.DEMONSTRATION, "school", Decimal("2")),
    Rule(PointItem.DEMONSTRATION, "county", Decimal("3")),
    Rule(PointItem.DEMONSTRATION, "city", Decimal("5")),
    Rule(PointItem.DEMONSTRATION, "province", Decimal("5")),
    Rule(PointItem.ONLINE, "", Decimal("2"), 15),
    Rule(PointItem.ACTIVITY, "", Decimal("1")),
    Rule(PointItem.OBSERVATION, "", Decimal("0.5")),
    Rule(PointItem.PROJECT, "school", Decimal("5")),
    Rule(PointItem.PROJECT, "county", Decimal("8")),
    Rule(PointItem.PROJECT, "city", Decimal("15")),
    Rule(PointItem.PROJECT, "province", Decimal("25")),
)


class Settings:
    """Every bureau's settings, each table loaded once when first asked (one small query
    each), picked per path."""

    def __init__(self) -> None:
        self._policies: dict[str, dict[int, Policy]] | None = None
        self._points: dict[int, list[Rule]] | None = None
        self._point_units: dict[int, int] = {}
        self._templates: dict[str, dict[int, list[Template]]] | None = None

    def _load_policies(self) -> dict[str, dict[int, Policy]]:
        if self._policies is None:
            self._policies = {}
            for p in KindPolicy.objects.select_related("org_unit").order_by("org_unit__depth"):
                region = region_id(p.org_unit_id, p.org_unit.kind, p.org_unit.parent_id)
                self._policies.setdefault(p.kind, {})[region] = Policy(
                    p.kind,
                    p.target_share,
                    p.max_per_person,
                    p.allow_several_leads,
                    p.allow_several_consortia,
                    unit_id=p.org_unit_id,
                )
        return self._policies

    def _load_points(self) -> dict[int, list[Rule]]:
        if self._points is None:
            self._points = {}
            for r in PointRule.objects.select_related("org_unit").order_by("item", "level"):
                region = region_id(r.org_unit_id, r.org_unit.kind, r.org_unit.parent_id)
                self._points.setdefault(region, []).append(
                    Rule(r.item, r.level, r.points, r.min_participants)
                )
                self._point_units[region] = r.org_unit_id
        return self._points

    def _load_templates(self) -> dict[str, dict[int, list[Template]]]:
        if self._templates is None:
            self._templates = {}
            for t in TaskTemplate.objects.select_related("org_unit").order_by("order", "id"):
                region = region_id(t.org_unit_id, t.org_unit.kind, t.org_unit.parent_id)
                self._templates.setdefault(t.kind, {}).setdefault(region, []).append(
                    Template(t.name, t.measure, t.target, t.activity_kind, t.min_participants)
                )
        return self._templates

    def policy(self, kind: str, path: str) -> Policy:
        return nearest(self._load_policies().get(kind, {}), path) or DEFAULT_POLICY[kind]

    def points(self, path: str) -> tuple[Rule, ...]:
        """The points table on ``path``: the nearest bureau's lines, and the default
        lines it did not replace — a line replaces the default of its item and level, a
        line for any level ("") every default line of its item. (Setting one line must
        not turn every other item to 0 points.)"""
        found = nearest(self._load_points(), path)
        if not found:
            return DEFAULT_POINTS
        whole = {r.item for r in found if r.level == ""}
        lines = {(r.item, r.level) for r in found}
        kept = tuple(
            r for r in DEFAULT_POINTS if r.item not in whole and (r.item, r.level) not in lines
        )
        return tuple(found) + kept

    def points_unit_id(self, path: str) -> int | None:
        """The unit whose table applies on ``path`` (None: the defaults)."""
        self._load_points()
        return nearest(self._point_units, path)

    def templates(self, kind: str, path: str) -> tuple[Template, ...]:
        found = nearest(self._load_templates().get(kind, {}), path)
        return tuple(found) if found else DEFAULT_TEMPLATES[kind]


def rule_points(rules: Iterable[Rule], item: str, level: str) -> Rule | None:
    """The rule of ``item`` at ``level``, or the item's rule for any level."""
    any_level = None
    for r in rules:
        if r.item != item:
            continue
        if r.level == level:
            return r
        if r.level == "":
            any_level = r
    return any_level
