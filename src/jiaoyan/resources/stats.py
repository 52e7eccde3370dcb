"""Statistics of the resource library for a scope (a unit's subtree) over a period: the
figures of the statistics page and of the metric registry (``metrics.py``).

Who looks: the bureau and institute staff and the principals (the resources' managers,
``MANAGERS``) for the subtree of a unit they hold that role on — every resource there
that is not a draft is theirs to see (``Resource``'s ``visible`` hook), so the figures
are read from the subtree directly. Drafts are private to their authors: never counted.

The figures of a period are sums of the statistics' tables (kept by the services:
``summary.py``), never counts over the resources, their steps, authors and uses: over the
period's whole months, the month table (``ResourceMonthStat``: per unit *with its
subtree*, month and fact) — the rows of the scope and of the units right below it, and of
its schools; over the days around them, the day table (``ResourceDayStat``: per unit,
local day and fact) of the subtree; the authors per school (different people) from the
day table. Python only adds up rows. The page issues a fixed number of queries whatever
the number of resources:

1. the units of the subtree (names, kinds: the schools a share is counted over);
2. the version of the units' tree (the month table is read only while the tree is the
   one it was rolled up under: else every day comes from the day table);
3. whole months, per unit right below the scope: submitted by status, published, and the
   scope's uses; 4. … the scope's submissions per kind and subject; 5. … decisions per
   tenth of a day of turnaround; 6. per school: published, submitted with authors;
7.–9. the same from the day rows of the days outside whole months (none when the
   period is made of whole months);
10. the subjects' names;
11. the top resources by views, 12. by uses in lessons, 13. by mean rating (all time,
   each walking its index ``resource_top_*`` until ten of the scope are found: no
   resource row is read but the thirty listed);
14. authors per school (different people among the day rows of the schools' authors).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jiaoyan.core import metrics
from jiaoyan.core.lists import cache_key
from jiaoyan.core.paths import is_under, path_ids
from jiaoyan.core.scope import under_q, user_scopes
from jiaoyan.observations.terms import Term, parse_term, term_of
from jiaoyan.orgs.models import OrgUnit, Subject

from . import summary
from .models import (
    MANAGERS,
    Kind,
    Resource,
    ResourceDayStat,
    ResourceEvent,
    ResourceMonthStat,
    StatFact,
    Status,
)

#: Who reads a scope's statistics: its admins, researchers and principals.
STATS_ROLES = MANAGERS
#: The steps that decide a submission (the end of a review's turnaround).
DECISIONS = (
    ResourceEvent.Step.PUBLISHED,
    ResourceEvent.Step.RETURNED,
    ResourceEvent.Step.REJECTED,
)
SUBMISSIONS = (ResourceEvent.Step.SUBMITTED, ResourceEvent.Step.RESUBMITTED)
#: The statuses counted (drafts are private): listed, so that the index ``resource_stats``
#: (unit, status, submission moment …) is read as one range per unit and status.
COUNTED = tuple(s for s in Status.values if s != Status.DRAFT)
#: The facts of the day table counted per unit (submitted by status, published, submitted
#: with authors, used in lessons).
UNIT_FACTS = (StatFact.SUBMITTED, StatFact.PUBLISHED, StatFact.AUTHORED, StatFact.USED)
#: How long the figures of a scope and period are kept (seconds).
STATS_SECONDS = 120
#: How many top resources each ranking lists.
TOP = 10
#: Schools listed on the page (the export has every one).
AUTHOR_ROWS = 30


# --- who sees which scope --------------------------------------------------------------------


def stats_units(user) -> list[OrgUnit]:
    """The units whose statistics the viewer may open directly: the units of their
    managing roles (a superuser: the roots), broadest first."""
    if getattr(user, "is_superuser", False):
        return list(OrgUnit.objects.filter(parent__isnull=True).order_by("path"))
    ids = {s.unit_id for s in user_scopes(user) if s.role in STATS_ROLES}
    return list(OrgUnit.objects.filter(pk__in=ids).order_by("depth", "path"))


def may_see(user, unit: OrgUnit) -> bool:
    """Whether ``user`` manages the resources of ``unit``'s subtree (no query: the
    scopes are cached on the user)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(s.role in STATS_ROLES and is_under(unit.path, s.path) for s in user_scopes(user))


# --- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsPeriod:
    """The period the page shows, with how it was chosen (a term, a year or dates)."""

    period: metrics.Period
    label: str
    term: str = ""
    year: int | None = None


def default_period(today: dt.date | None = None) -> StatsPeriod:
    """The current school term."""
    return term_period(term_of(today or timezone.localdate()))


def term_period(term: Term) -> StatsPeriod:
    return StatsPeriod(metrics.Period(term.start, term.end), term.label, term=term.code)


def year_period(year: int) -> StatsPeriod:
    return StatsPeriod(
        metrics.Period(dt.date(year, 1, 1), dt.date(year, 12, 31)),
        _("Year %(year)s") % {"year": year},
        year=year,
    )


def dates_period(start: dt.date, end: dt.date) -> StatsPeriod:
    """Raises ``ServiceError`` when the period ends before it starts."""
    return StatsPeriod(metrics.Period(start, end), f"{start.isoformat()} – {end.isoformat()}")


def recent_terms(today: dt.date | None = None, n: int = 6) -> list[Term]:
    term = term_of(today or timezone.localdate())
    out = [term]
    for _i in range(n - 1):
        term = term.previous()
        out.append(term)
    return out


def pick_period(
    *, term: str = "", year: int | None = None, start=None, end=None, today=None
) -> StatsPeriod:
    """Dates win over a year, a year over a term; nothing chosen: the current term."""
    today = today or timezone.localdate()
    if start or end:
        return dates_period(start or dt.date(today.year, 1, 1), end or today)
    if year:
        return year_period(year)
    found = parse_term(term) if term else None
    return term_period(found) if found else default_period(today)


# --- SQL helpers -----------------------------------------------------------------------------


def percentile(histogram: dict[int, int], share: float) -> float | None:
    """The nearest-rank percentile of a histogram of tenths of a day, in days."""
    n = sum(histogram.values())
    if not n:
        return None
    rank = max(1, math.ceil(share * n))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket / 10
    return None  # pragma: no cover - the ranks add up to n


# --- reads -------------------------------------------------------------------------------------


def in_scope(root: OrgUnit) -> QuerySet[Resource]:
    """The resources of ``root``'s subtree that are not drafts (what the figures count)."""
    return Resource.objects.filter(
        under_q(Resource, "org_unit__path", [root.path]), status__in=COUNTED
    )


def _summed(rows: QuerySet, *fields: str) -> QuerySet:
    """``rows`` (day or month rows) added up per ``fields``: ``(*fields, n)`` tuples."""
    return rows.values(*fields).annotate(n=Sum("n")).values_list(*fields, "n").order_by()


def day_rows(root: OrgUnit, period: metrics.Period, *facts: str) -> QuerySet[ResourceDayStat]:
    """The statistics' day rows (``summary.py``) of ``root``'s subtree in the period:
    one index range per unit of the subtree and fact."""
    return ResourceDayStat.objects.filter(
        under_q(ResourceDayStat, "org_unit__path", [root.path]),
        fact__in=facts,
        day__gte=period.start,
        day__lte=period.end,
    )


def split(period: metrics.Period) -> tuple[tuple[dt.date, dt.date] | None, list]:
    """The period as its whole months (the first days of the first and last, or None:
    none) and the days outside them (up to two ranges of days, both ends included)."""
    first = period.start if period.start.day == 1 else next_month(period.start)
    after = next_month(period.end)
    last = after - dt.timedelta(days=1)
    if period.end != last:
        after = period.end.replace(day=1)
    if first >= after:
        return None, [(period.start, period.end)]
    edges = []
    if period.start < first:
        edges.append((period.start, first - dt.timedelta(days=1)))
    if after <= period.end:
        edges.append((after, period.end))
    return (first, (after - dt.timedelta(days=1)).replace(day=1)), edges


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_rows(units, months: tuple[dt.date, dt.date], *facts: str) -> QuerySet:
    """The month rows (``summary.py``: each unit with everything below it) of ``units``
    (ids, or a subquery of them) over the whole months ``months`` (first days)."""
    return ResourceMonthStat.objects.filter(
        org_unit_id__in=units, fact__in=facts, month__gte=months[0], month__lte=months[1]
    )


def edge_rows(root: OrgUnit, edges: list, *facts: str) -> QuerySet[ResourceDayStat]:
    """The day rows of ``root``'s subtree on the days ``edges`` (ranges of days)."""
    days = Q()
    for start, end in edges:
        days |= Q(day__gte=start, day__lte=end)
    return ResourceDayStat.objects.filter(
        under_q(ResourceDayStat, "org_unit__path", [root.path]), days, fact__in=facts
    )


def published_in(root: OrgUnit, period: metrics.Period) -> dict[int, int]:
    """Resources published in the period, per unit of the subtree (units with some)."""
    return {
        r["org_unit_id"]: r["n"]
        for r in day_rows(root, period, StatFact.PUBLISHED)
        .values("org_unit_id")
        .annotate(n=Sum("n"))
        .order_by()
        if r["n"]
    }


def turnaround(root: OrgUnit, period: metrics.Period) -> dict[int, dict[int, int]]:
    """The histogram of review turnaround (tenths of a day → decisions of the period) per
    unit of the subtree, in one query."""
    out: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for unit, bucket, n in _summed(day_rows(root, period, StatFact.DECIDED), "org_unit_id", "key"):
        out[unit][bucket] += n
    return out


def merged(histograms) -> dict[int, int]:
    total: dict[int, int] = defaultdict(int)
    for h in histograms:
        for k, v in h.items():
            total[k] += v
    return dict(total)


def active_schools(root: OrgUnit) -> int:
    return OrgUnit.objects.filter(
        path__under=root.path, kind=OrgUnit.Kind.SCHOOL, is_active=True
    ).count()


def uses_in(root: OrgUnit, period: metrics.Period) -> int:
    return day_rows(root, period, StatFact.USED).aggregate(n=Sum("n"))["n"] or 0


@dataclass
class UnitRow:
    """One unit right below the scope (or the scope itself, for its own resources)."""

    unit_id: int
    name: str
    kind: str
    submitted: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Status.values, 0))
    published: int = 0  # published in the period
    schools: int = 0  # active schools in it
    contributing: int = 0  # of them, with a resource published in the period
    turnaround: dict[int, int] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return metrics.rate(self.contributing, self.schools)

    @property
    def decisions(self) -> int:
        return sum(self.turnaround.values())

    @property
    def median(self) -> float | None:
        return percentile(self.turnaround, 0.5)

    @property
    def p90(self) -> float | None:
        return percentile(self.turnaround, 0.9)

    def status(self, key: str) -> int:
        return self.by_status.get(key, 0)

    @property
    def in_review(self) -> int:
        return self.status(Status.SUBMITTED) + self.status(Status.IN_REVIEW)

    @property
    def returned(self) -> int:
        return self.status(Status.RETURNED)

    @property
    def rejected(self) -> int:
        return self.status(Status.REJECTED)

    @property
    def now_published(self) -> int:
        return self.status(Status.PUBLISHED)


def statistics(root: OrgUnit, period: metrics.Period) -> dict[str, Any]:
    """Every figure of the statistics page for ``root``'s subtree over ``period``, kept
    ``STATS_SECONDS`` per scope and period (as the activities' statistics): everyone who
    may open a scope sees the same figures, so a page opened by many people in a meeting
    costs the database once."""
    key = cache_key("resources:stats", root.pk, root.path, period.start, period.end, get_language())
    data = cache.get(key)
    if data is None:
        data = compute(root, period)
        cache.set(key, data, STATS_SECONDS)
    return data


def compute(root: OrgUnit, period: metrics.Period) -> dict[str, Any]:
    """:func:`statistics`, computed (a fixed number of queries, see the module's
    docstring)."""
    units = {
        pk: (name, kind, path, active)
        for pk, name, kind, path, active in OrgUnit.objects.filter(
            path__under=root.path
        ).values_list("pk", "name", "kind", "path", "is_active")
    }
    depth = len(path_ids(root.path))
    # each unit's unit right below the scope (the scope itself for the scope), read once
    below: dict[int, int] = {}
    children = []
    for pk, (_n, _k, path, _a) in units.items():
        ids = path_ids(path)
        below[pk] = ids[depth] if len(ids) > depth else root.pk
        if len(ids) == depth + 1:
            children.append(pk)

    def child_of(unit_id: int) -> int:
        return below.get(unit_id, root.pk)

    rows: dict[int, UnitRow] = {}

    def row(unit_id: int) -> UnitRow:
        if unit_id not in rows:
            name, kind, _path, _active = units.get(unit_id, (root.name, root.kind, "", True))
            rows[unit_id] = UnitRow(unit_id, name, kind)
        return rows[unit_id]

    school_child: dict[int, int] = {}
    for pk, (_name, kind, _path, active) in units.items():
        if kind == OrgUnit.Kind.SCHOOL and active:
            school_child[pk] = child_of(pk)
            row(school_child[pk]).schools += 1

    whole, edges = split(period)
    if whole is not None and not summary.tree_unchanged():
        whole, edges = None, [(period.start, period.end)]
    submitted: dict[tuple[int, str], int] = defaultdict(int)  # (child, status) → n
    published: dict[int, int] = defaultdict(int)  # child → n
    school_published: dict[int, int] = defaultdict(int)
    authored: dict[int, int] = defaultdict(int)
    per_kind: dict[str, int] = defaultdict(int)
    per_subject: dict[int | None, int] = defaultdict(int)
    histograms: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    uses = 0

    # The whole months: the month rows of the scope and of the units right below it (the
    # scope's own resources: its rows less its children's), and of its schools.
    if whole is not None:
        above = [root.pk, *children]
        for unit, fact, status, n in _summed(
            month_rows(above, whole, StatFact.SUBMITTED, StatFact.PUBLISHED, StatFact.USED),
            "org_unit_id",
            "fact",
            "status",
        ):
            if fact == StatFact.USED:
                uses += n if unit == root.pk else 0
                continue
            # a child's rows: the child's, and not the scope's own
            for target, count in ((unit, n),) if unit == root.pk else ((unit, n), (root.pk, -n)):
                if fact == StatFact.SUBMITTED:
                    submitted[(target, status)] += count
                else:
                    published[target] += count
        for kind, subject, n in _summed(
            month_rows([root.pk], whole, StatFact.SUBMITTED), "kind", "subject"
        ):
            per_kind[kind] += n
            per_subject[subject or None] += n
        for unit, bucket, n in _summed(
            month_rows(above, whole, StatFact.DECIDED), "org_unit_id", "key"
        ):
            histograms[unit][bucket] += n
            if unit != root.pk:
                histograms[root.pk][bucket] -= n
        schools = OrgUnit.objects.filter(path__under=root.path, kind=OrgUnit.Kind.SCHOOL)
        for unit, fact, n in _summed(
            month_rows(schools.values("pk"), whole, StatFact.PUBLISHED, StatFact.AUTHORED),
            "org_unit_id",
            "fact",
        ):
            if fact == StatFact.PUBLISHED:
                school_published[unit] += n
            else:
                authored[unit] += n

    # The days outside whole months: the day rows of the subtree.
    if edges:
        for unit, fact, status, n in _summed(
            edge_rows(root, edges, *UNIT_FACTS), "org_unit_id", "fact", "status"
        ):
            if fact == StatFact.SUBMITTED:
                submitted[(child_of(unit), status)] += n
            elif fact == StatFact.PUBLISHED:
                published[child_of(unit)] += n
                school_published[unit] += n
            elif fact == StatFact.AUTHORED:
                authored[unit] += n
            else:
                uses += n
        for kind, subject, n in _summed(
            edge_rows(root, edges, StatFact.SUBMITTED), "kind", "subject"
        ):
            per_kind[kind] += n
            per_subject[subject or None] += n
        for unit, bucket, n in _summed(
            edge_rows(root, edges, StatFact.DECIDED), "org_unit_id", "key"
        ):
            histograms[child_of(unit)][bucket] += n

    for (child, status), n in submitted.items():
        if n:
            target = row(child)
            target.submitted += n
            target.by_status[status] = target.by_status.get(status, 0) + n
    for child, n in published.items():
        if n:
            row(child).published += n
    for unit, n in school_published.items():
        if n and unit in school_child:
            row(school_child[unit]).contributing += 1
    for child, histogram in histograms.items():
        histogram = {k: v for k, v in histogram.items() if v}
        if histogram:
            target = row(child)
            target.turnaround = merged([target.turnaround, histogram])
    per_kind = {k: n for k, n in per_kind.items() if n}
    per_subject = {k: n for k, n in per_subject.items() if n}
    kinds = dict(Kind.choices)
    by_kind = [
        {"key": key, "name": str(kinds.get(key, key)), "value": n}
        for key, n in sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    subjects = dict(Subject.objects.values_list("pk", "name"))
    by_subject = [
        {"name": subjects.get(pk) or _("No subject"), "value": n}
        for pk, n in sorted(per_subject.items(), key=lambda kv: (-kv[1], kv[0] or 0))
    ]

    unit_rows = sorted(
        rows.values(), key=lambda r: (r.unit_id != root.pk, units.get(r.unit_id, ("", "", ""))[2])
    )
    status_labels = dict(Status.choices)
    by_status = [
        {
            "key": key,
            "name": str(status_labels[key]),
            "value": sum(r.status(key) for r in unit_rows),
        }
        for key in Status.values
        if key != Status.DRAFT
    ]
    all_turnaround = merged(r.turnaround for r in unit_rows)
    schools = sum(r.schools for r in unit_rows)
    contributing = sum(r.contributing for r in unit_rows)
    return {
        "root": root,
        "period": period,
        "submitted": sum(r.submitted for r in unit_rows),
        "published": sum(r.published for r in unit_rows),
        "schools": schools,
        "contributing": contributing,
        "share": metrics.rate(contributing, schools),
        "decisions": sum(all_turnaround.values()),
        "median": percentile(all_turnaround, 0.5),
        "p90": percentile(all_turnaround, 0.9),
        "uses": uses,
        "units": unit_rows,
        "by_kind": by_kind,
        "by_subject": by_subject,
        "by_status": by_status,
        "top": top_resources(root),
        "authors": authors_per_school(root, period, units, authored),
    }


def _top(ranked: QuerySet[Resource], order: tuple[str, ...], limit: int) -> list[Resource]:
    """The first ``limit`` resources of ``ranked``: their ids chosen from an index alone
    (a subquery walking it in ``order``), then only those rows read."""
    ids = ranked.order_by(*order).values("pk")[:limit]
    rows = Resource.objects.filter(pk__in=ids).select_related("org_unit")
    return list(
        rows.only(
            "pk",
            "title",
            "kind",
            "org_unit__name",
            "view_count",
            "download_count",
            "use_count",
            "rating_count",
            "rating_sum",
        ).order_by(*order)
    )


def top_resources(root: OrgUnit, limit: int = TOP) -> dict[str, list[Resource]]:
    """The published resources of the subtree most viewed, most used in lessons and best
    rated (by their average, then their number of ratings; rated at least once) — all
    time, three queries."""
    # The published resources walked in each order (the indexes ``resource_top_views``,
    # ``resource_top_uses`` and ``resource_top_rated``, which hold the unit too) until ten
    # of the subtree are found — the unit compared as ``org_unit_id + 0``, so that the
    # database does not gather every published resource of the subtree by unit and sort
    # them all instead. The mean rating is the row's own (``rating_mean``, kept by the
    # database: NULL before the first rating).
    units = OrgUnit.objects.filter(path__under=root.path).values("pk")
    walked = Resource.objects.alias(unit_ref=F("org_unit_id") + 0).filter(
        status=Status.PUBLISHED, unit_ref__in=units
    )
    return {
        "views": _top(walked.filter(view_count__gt=0), ("-view_count", "-id"), limit),
        "uses": _top(walked.filter(use_count__gt=0), ("-use_count", "-id"), limit),
        "rating": _top(
            walked.filter(rating_mean__gte=0, rating_count__gt=0),
            ("-rating_mean", "-rating_count", "-id"),
            limit,
        ),
    }


def authors_per_school(
    root: OrgUnit,
    period: metrics.Period,
    units: dict[int, tuple] | None = None,
    authored: dict[int, int] | None = None,
) -> list[dict[str, Any]]:
    """Per school of the subtree with resources submitted in the period: how many
    different people wrote them and how many there are (with authors); most authors
    first. ``authored`` (unit → resources with authors in the period), when the caller
    has read it already."""
    schools = OrgUnit.objects.filter(path__under=root.path, kind=OrgUnit.Kind.SCHOOL).values("pk")
    in_period = ResourceDayStat.objects.filter(
        org_unit_id__in=schools, day__gte=period.start, day__lte=period.end, n__gt=0
    )
    people = dict(
        in_period.filter(fact=StatFact.AUTHOR)
        .values("org_unit_id")
        .annotate(authors=Count("key", distinct=True))
        .values_list("org_unit_id", "authors")
        .order_by()
    )
    if authored is None:
        authored = dict(
            in_period.filter(fact=StatFact.AUTHORED)
            .values("org_unit_id")
            .annotate(n=Sum("n"))
            .values_list("org_unit_id", "n")
            .order_by()
        )
    if units is None:
        units = {
            pk: (name,)
            for pk, name in OrgUnit.objects.filter(path__under=root.path).values_list("pk", "name")
        }
    found = sorted(
        ((people[u], authored.get(u, 0), u) for u in people),
        key=lambda r: (-r[0], -r[1], r[2]),
    )
    return [
        {
            "unit_id": unit,
            "name": units.get(unit, ("",))[0],
            "authors": n_authors,
            "resources": n_resources,
        }
        for n_authors, n_resources, unit in found
    ]
