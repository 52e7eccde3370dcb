"""Credit rules and cycle progress: which bureau's rules apply to a person, and how a
cycle's records count.

The rules of the nearest bureau above a person decide (``core.paths.nearest``, as for the
communities' settings): its :class:`~jiaoyan.hours.models.HoursPolicy` (cycle length,
required hours, hours per credit, the yearly cap on external hours) and its categories
(yearly caps, cycle minimums). Where no bureau set anything, :data:`DEFAULT` applies
(360 hours in five years, 10 hours = 1 credit, no caps).

How records count (:func:`count`) — the figures every page, sheet and API call shows:

* records are taken in date order (then in the order they were credited);
* an external record counts only while the year's external hours stay within the cap
  (``external_yearly_cap``); a record of a category with a ``yearly_cap`` counts only
  while that category's hours of that year stay within it; a record cut by a cap counts
  the part that fits;
* credits (学分) = hours counted ÷ hours per credit.

Behind schedule (:func:`expected`): a cycle from 1 January of its first year to 31
December of its last is expected to have earned ``required × days elapsed ÷ days in the
cycle`` hours by the end of today (today counted as elapsed); a person is behind when the
hours counted are below that (shown rounded to 0.1).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q

from jiaoyan.core.paths import nearest, region_id

from .models import HoursCategory, HoursPolicy, HoursRecord

ONE = Decimal("0.1")


def q1(value: Decimal | int | float) -> Decimal:
    return Decimal(value).quantize(ONE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PolicyRules:
    cycle_years: int
    required_hours: Decimal
    hours_per_credit: Decimal
    external_yearly_cap: Decimal | None
    first_cycle_year: int
    unit_id: int | None = None  # None: the defaults

    def cycle_start(self, year: int) -> int:
        """The first year of the cycle that holds ``year``."""
        return self.first_cycle_year + ((year - self.first_cycle_year) // self.cycle_years) * (
            self.cycle_years
        )


DEFAULT = PolicyRules(5, Decimal("360"), Decimal("10"), None, 2024)


@dataclass(frozen=True)
class CategoryRule:
    id: int
    code: str
    name: str
    yearly_cap: Decimal | None
    minimum: Decimal | None


class Settings:
    """Every bureau's policy and categories, each table read once (one small query),
    picked per path in memory."""

    def __init__(self) -> None:
        self._policies: dict[int, PolicyRules] | None = None
        self._categories: dict[int, list[CategoryRule]] | None = None

    def _load_policies(self) -> dict[int, PolicyRules]:
        if self._policies is None:
            self._policies = {}
            for p in HoursPolicy.objects.select_related("org_unit"):
                region = region_id(p.org_unit_id, p.org_unit.kind, p.org_unit.parent_id)
                self._policies[region] = PolicyRules(
                    p.cycle_years,
                    p.required_hours,
                    p.hours_per_credit,
                    p.external_yearly_cap,
                    p.first_cycle_year,
                    unit_id=p.org_unit_id,
                )
        return self._policies

    def _load_categories(self) -> dict[int, list[CategoryRule]]:
        if self._categories is None:
            self._categories = {}
            rows = HoursCategory.objects.filter(active=True).select_related("org_unit")
            for c in rows.order_by("order", "id"):
                region = region_id(c.org_unit_id, c.org_unit.kind, c.org_unit.parent_id)
                self._categories.setdefault(region, []).append(
                    CategoryRule(c.pk, c.code, c.name, c.yearly_cap, c.cycle_minimum)
                )
        return self._categories

    def policy(self, path: str) -> PolicyRules:
        return nearest(self._load_policies(), path) or DEFAULT

    def categories(self, path: str) -> list[CategoryRule]:
        return list(nearest(self._load_categories(), path) or [])


def snapshot(policy: PolicyRules, categories: Iterable[CategoryRule]) -> dict:
    """The rules a new cycle keeps (HoursCycle.rules)."""
    return {
        "external_yearly_cap": _s(policy.external_yearly_cap),
        "categories": {
            str(c.id): {
                "code": c.code,
                "name": c.name,
                "yearly_cap": _s(c.yearly_cap),
                "minimum": _s(c.minimum),
            }
            for c in categories
        },
    }


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _d(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@dataclass
class Counted:
    credited: Decimal = Decimal("0")  # before caps
    earned: Decimal = Decimal("0")  # counted
    by_category: dict[str, Decimal] = field(default_factory=dict)  # "<id>" or "" -> counted
    by_year: dict[str, Decimal] = field(default_factory=dict)


Row = tuple[dt.date, Decimal, str, int | None]  # date, hours, kind, category id


def count(rows: Iterable[Row], rules: dict) -> Counted:
    """How the records of a cycle count under its ``rules`` (see the module text).
    ``rows`` come in date order, then in the order they were credited."""
    ext_cap = _d(rules.get("external_yearly_cap"))
    caps = {
        k: _d(v.get("yearly_cap"))
        for k, v in (rules.get("categories") or {}).items()
        if v.get("yearly_cap") not in (None, "")
    }
    ext_used: dict[int, Decimal] = defaultdict(Decimal)
    cat_used: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    out = Counted()
    by_cat: dict[str, Decimal] = defaultdict(Decimal)
    by_year: dict[str, Decimal] = defaultdict(Decimal)
    for day, hours, kind, category_id in rows:
        hours = Decimal(hours)
        out.credited += hours
        year = day.year
        key = str(category_id) if category_id else ""
        counted = hours
        if kind == HoursRecord.Kind.EXTERNAL and ext_cap is not None:
            counted = min(counted, max(Decimal("0"), ext_cap - ext_used[year]))
        cap = caps.get(key)
        if cap is not None:
            counted = min(counted, max(Decimal("0"), cap - cat_used[(year, key)]))
        if kind == HoursRecord.Kind.EXTERNAL:
            ext_used[year] += counted
        cat_used[(year, key)] += counted
        out.earned += counted
        by_cat[key] += counted
        by_year[str(year)] += counted
    out.by_category = dict(by_cat)
    out.by_year = dict(by_year)
    return out


def cycle_days(start_year: int, end_year: int) -> int:
    return (dt.date(end_year + 1, 1, 1) - dt.date(start_year, 1, 1)).days


def elapsed_share(start_year: int, end_year: int, today: dt.date) -> Decimal:
    """The share of the cycle gone by at the end of ``today`` (0–1)."""
    days = (today - dt.date(start_year, 1, 1)).days + 1
    total = cycle_days(start_year, end_year)
    return Decimal(max(0, min(days, total))) / Decimal(total)


def expected(required: Decimal, start_year: int, end_year: int, today: dt.date) -> Decimal:
    """Hours a cycle should have earned by ``today``: required × elapsed share (shown
    rounded to 0.1; compared unrounded)."""
    return Decimal(required) * elapsed_share(start_year, end_year, today)


def behind_q(pairs: Iterable[tuple[int, int]], today: dt.date) -> Q:
    """Cycles (of the given (first, last) year pairs) whose hours counted are below what
    :func:`expected` asks by ``today`` — one indexed condition per pair."""
    q = Q(pk__in=[])
    for start, end in pairs:
        share = elapsed_share(start, end, today)
        q |= Q(start_year=start, end_year=end, earned__lt=F("required_hours") * share)
    return q


def years_left(end_year: int, today: dt.date) -> int:
    """Calendar years left in the cycle, this one included."""
    return max(0, end_year - today.year + 1)


@dataclass
class CategoryProgress:
    key: str
    code: str
    name: str
    counted: Decimal
    minimum: Decimal | None

    @property
    def short(self) -> Decimal:
        return max(Decimal("0"), (self.minimum or Decimal("0")) - self.counted)


@dataclass
class Progress:
    """A cycle's progress as pages, sheets, the PDF and the API show it."""

    start_year: int
    end_year: int
    required: Decimal
    earned: Decimal
    credited: Decimal
    hours_per_credit: Decimal
    expected: Decimal
    years_left: int
    categories: list[CategoryProgress]
    by_year: list[tuple[int, Decimal]]

    @property
    def credits(self) -> Decimal:
        return q1(self.earned / self.hours_per_credit)

    @property
    def required_credits(self) -> Decimal:
        return q1(self.required / self.hours_per_credit)

    @property
    def behind(self) -> bool:
        return self.earned < self.expected

    @property
    def shortfall(self) -> Decimal:
        return q1(max(Decimal("0"), self.expected - self.earned))

    @property
    def percent(self) -> int:
        if not self.required:
            return 100
        return min(100, int(self.earned * 100 / self.required))

    @property
    def capped(self) -> Decimal:
        return self.credited - self.earned


def progress(cycle, today: dt.date) -> Progress:
    """The progress of ``cycle`` (its kept figures) on ``today``."""
    cats = (cycle.rules or {}).get("categories") or {}
    by_cat = {k: Decimal(str(v)) for k, v in (cycle.by_category or {}).items()}
    categories = [
        CategoryProgress(
            k,
            v.get("code", ""),
            v.get("name", ""),
            by_cat.get(k, Decimal("0")),
            _d(v.get("minimum")),
        )
        for k, v in cats.items()
    ]
    if by_cat.get(""):
        categories.append(CategoryProgress("", "", "", by_cat[""], None))
    by_year = {int(k): Decimal(str(v)) for k, v in (cycle.by_year or {}).items()}
    return Progress(
        start_year=cycle.start_year,
        end_year=cycle.end_year,
        required=cycle.required_hours,
        earned=cycle.earned,
        credited=cycle.credited,
        hours_per_credit=cycle.hours_per_credit,
        expected=expected(cycle.required_hours, cycle.start_year, cycle.end_year, today),
        years_left=years_left(cycle.end_year, today),
        categories=categories,
        by_year=[
            (y, by_year.get(y, Decimal("0"))) for y in range(cycle.start_year, cycle.end_year + 1)
        ],
    )
