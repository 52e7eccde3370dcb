"""Statistics of the resource library for a scope (a unit's subtree) over a period: the
figures of the statistics page and of the metric registry (``metrics.py``).

Who looks: the bureau and institute staff and the principals (the resources' managers,
``MANAGERS``) for the subtree of a unit they hold that role on — every resource there
that is not a draft is theirs to see (``Resource``'s ``visible`` hook), so the figures
are read from the subtree directly. Drafts are private to their authors: never counted.

Every figure is an aggregate the database computes (``GROUP BY``); Python only adds up
rows per unit (at most one per unit of the subtree) or per tenth of a day (the review
turnaround's histogram). The page issues a fixed number of queries whatever the number
of resources:

1. the units of the subtree (names, kinds: the schools a share is counted over);
2. resources submitted, and published, in the period per unit and status;
3. … submitted per kind and subject (4. the subjects' names);
5. review turnaround: the decisions of the period (published, returned, rejected) with
   the turnaround each one keeps, per unit of the scope's next level and tenth of a day;
6. the top resources by views, 7. by uses in lessons, 8. by rating (all time);
9. authors per school; 10. uses in lessons recorded in the period.

Each reads an index alone (``resource_stats``: a unit's resources by status, submission
and publication moments, kind, subject and use figures; ``resourceevent_decision``: a
resource's decisions with their turnaround; the author links' unique index), one range
per unit of the subtree — no resource row is read but the thirty of the top lists.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Greatest, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jiaoyan.core import metrics
from jiaoyan.core.lists import cache_key
from jiaoyan.core.paths import is_under, path_ids
from jiaoyan.core.scope import under_q, user_scopes
from jiaoyan.observations.terms import Term, parse_term, term_of
from jiaoyan.orgs.models import OrgUnit, Subject

from .models import MANAGERS, Application, Kind, Resource, ResourceEvent, Status

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


#: Seconds in a tenth of a day: the buckets of the turnaround histogram.
TENTH_OF_A_DAY = 8640


def child_id(root: OrgUnit, lookup: str):
    """The id (text) of the unit right below ``root`` on the path at ``lookup`` ("" for
    ``root`` itself): the path's segment after ``root``'s."""
    rest = Substr(F(lookup), len(root.path) + 1)
    return Substr(rest, 1, Greatest(StrIndex(rest, Value("/")) - 1, Value(0)))


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
    """The resources of ``root``'s subtree that are not drafts."""
    return Resource.objects.filter(
        under_q(Resource, "org_unit__path", [root.path]), status__in=COUNTED
    )


def submitted_in(root: OrgUnit, period: metrics.Period) -> QuerySet[Resource]:
    """The resources of the subtree (last) submitted in the period."""
    return in_scope(root).filter(period.moments("submitted_at"))


def published_in(root: OrgUnit, period: metrics.Period) -> QuerySet[Resource]:
    return in_scope(root).filter(status=Status.PUBLISHED).filter(period.moments("published_at"))


def decisions_in(root: OrgUnit, period: metrics.Period) -> QuerySet[ResourceEvent]:
    """The decisions of the period on resources of the subtree, each with its turnaround
    (whole seconds from the (re)submission it answered, written with the decision:
    ``services.decide``; migration 0005 for the older ones) — read from the index
    ``resourceevent_decision`` alone."""
    return (
        ResourceEvent.objects.filter(turnaround__isnull=False)
        .filter(period.moments("created_at"))
        .filter(under_q(ResourceEvent, "resource__org_unit__path", [root.path]))
    )


def turnaround(root: OrgUnit, period: metrics.Period) -> dict[str, dict[int, int]]:
    """The histogram of review turnaround (tenths of a day → decisions) per unit right
    below ``root`` (by id as text; "" is ``root`` itself), in one query."""
    rows = (
        decisions_in(root, period)
        .annotate(
            child=child_id(root, "resource__org_unit__path"),
            tenths=ExpressionWrapper(F("turnaround") / TENTH_OF_A_DAY, output_field=IntegerField()),
        )
        .values("child", "tenths")
        .annotate(n=Count("*"))
        .order_by()
    )
    out: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        out[r["child"]][max(0, r["tenths"] or 0)] += r["n"]
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
    return (
        Application.objects.filter(under_q(Application, "resource__org_unit__path", [root.path]))
        .filter(period.days("day"))
        .count()
    )


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

    def child_of(unit_id: int) -> int:
        ids = path_ids(units[unit_id][2]) if unit_id in units else []
        return ids[depth] if len(ids) > depth else root.pk

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

    submitted = submitted_in(root, period)
    published_q = Q(status=Status.PUBLISHED) & period.moments("published_at")
    for r in (
        in_scope(root)
        .filter(period.moments("submitted_at") | published_q)
        .values("org_unit_id", "status")
        .annotate(
            n=Count("pk", filter=period.moments("submitted_at")),
            published=Count("pk", filter=published_q),
        )
        .order_by()
    ):
        target = row(child_of(r["org_unit_id"]))
        target.submitted += r["n"]
        target.by_status[r["status"]] = target.by_status.get(r["status"], 0) + r["n"]
        target.published += r["published"]
        if r["published"] and r["org_unit_id"] in school_child:
            target.contributing += 1  # one row per unit has published ones: its status's
    # per kind and per subject: one query per pair (a few dozen rows), added up here
    per_kind: dict[str, int] = defaultdict(int)
    per_subject: dict[int | None, int] = defaultdict(int)
    for r in submitted.values("kind", "subject_id").annotate(n=Count("pk")).order_by():
        per_kind[r["kind"]] += r["n"]
        per_subject[r["subject_id"]] += r["n"]
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
    for key, histogram in turnaround(root, period).items():
        target = row(int(key) if key.isdigit() and int(key) in units else root.pk)
        target.turnaround = merged([target.turnaround, histogram])

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
        "uses": uses_in(root, period),
        "units": unit_rows,
        "by_kind": by_kind,
        "by_subject": by_subject,
        "by_status": by_status,
        "top": top_resources(root),
        "authors": authors_per_school(root, period, units),
    }


def _top(
    ranked: QuerySet[Resource], order: tuple[str, ...], limit: int, **annotations
) -> list[Resource]:
    """The first ``limit`` resources of ``ranked``: their ids chosen from the index
    ``resource_stats`` alone (a subquery), then only those rows read."""
    ids = ranked.annotate(**annotations).order_by(*order).values("pk")[:limit]
    rows = Resource.objects.filter(pk__in=ids).select_related("org_unit").annotate(**annotations)
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
    published = in_scope(root).filter(status=Status.PUBLISHED)
    average = ExpressionWrapper(
        F("rating_sum") * 1.0 / F("rating_count"), output_field=FloatField()
    )
    return {
        "views": _top(published.filter(view_count__gt=0), ("-view_count", "-id"), limit),
        "uses": _top(published.filter(use_count__gt=0), ("-use_count", "-id"), limit),
        "rating": _top(
            published.filter(rating_count__gt=0),
            ("-average", "-rating_count", "-id"),
            limit,
            average=average,
        ),
    }


def authors_per_school(
    root: OrgUnit, period: metrics.Period, units: dict[int, tuple] | None = None
) -> list[dict[str, Any]]:
    """Per school of the subtree with resources submitted in the period: how many
    different people wrote them and how many there are; most authors first."""
    # From the resources (the index ``resource_stats``: unit, submission moment, status)
    # to their author links (the link table's unique index): no resource row is read.
    schools = OrgUnit.objects.filter(path__under=root.path, kind=OrgUnit.Kind.SCHOOL).values("pk")
    rows = (
        Resource.objects.filter(org_unit_id__in=schools, status__in=COUNTED)
        .filter(period.moments("submitted_at"), authors__isnull=False)
        .values("org_unit_id")
        .annotate(authors=Count("authors", distinct=True), resources=Count("pk", distinct=True))
        .order_by("-authors", "-resources", "org_unit_id")
    )
    if units is None:
        units = {
            pk: (name,)
            for pk, name in OrgUnit.objects.filter(path__under=root.path).values_list("pk", "name")
        }
    return [
        {
            "unit_id": r["org_unit_id"],
            "name": units.get(r["org_unit_id"], ("",))[0],
            "authors": r["authors"],
            "resources": r["resources"],
        }
        for r in rows
    ]
