"""Reads of pairing assistance: the lists' rows and the pairing page's figures.

What changed for the helped side (the pairing page):

* **Quality** — from the quality module's stored analysis (``quality.GroupStat``, the
  total score): the helped unit's figures in the last exam before the pairing started and
  in the latest exam since, beside the same figures pooled over comparable units that
  were not helped. The latest exam is one of the same stage as the one before, where
  there is one. Comparable: for a school, the schools of the same city with the same
  school kind (which fixes the stage) and location class (urban / township / rural); for
  a district, the other districts of its city. A unit that is (or lies inside) the helped
  side of a pairing of the same level is left out, and only units tested in both exams
  count, so the two columns compare the same group. Pooled figures weight each unit by its students
  tested: mean = Σnᵢx̄ᵢ/Σnᵢ, rates alike, and Z = (pooled mean − μ)/σ with μ, σ of the
  whole exam (= Σnᵢzᵢ/Σnᵢ). Groups of fewer than ten students are suppressed
  (``core.restricted.suppress_cells``) unless the viewer holds the student-data
  permission on them.
* **Observations** — the mean total score of submitted lesson observations of the helped
  unit's teachers in the terms before the one the pairing started in, and since.
* **Hours** — class hours credited to people of the helped unit for the joint
  activities.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear

from jiaoyan.activities.models import Activity
from jiaoyan.core import restricted
from jiaoyan.hours.models import HoursRecord
from jiaoyan.observations.models import UnitTermStat
from jiaoyan.observations.terms import term_start
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.quality.models import SMALL_GROUP, GroupStat, Level

from .models import Fund, JointActivity, Pairing, PersonSent

FIGURES = ("mean", "pass_rate", "excellent_rate", "z")


def pairings_for(user):
    return Pairing.objects.visible_to(user).select_related("helping_unit", "helped_unit")


def fund_totals(pairing_ids) -> dict[str, Any]:
    """Totals of the funds of the pairings ``pairing_ids`` (a list or a subquery): the
    whole, and per year of the fund's date."""
    rows = Fund.objects.filter(pairing_id__in=pairing_ids)
    per_year = list(
        rows.annotate(year=ExtractYear("date"))
        .values("year")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by("year")
    )
    total = sum((r["total"] for r in per_year), start=0)
    return {"total": total, "count": sum(r["count"] for r in per_year), "per_year": per_year}


def people_sent_totals(pairing_ids) -> dict[str, Any]:
    """People sent under the pairings: rows per role and distinct people."""
    rows = PersonSent.objects.filter(pairing_id__in=pairing_ids)
    by_role = dict(rows.values_list("role").annotate(n=Count("id")).order_by())
    return {
        "rows": sum(by_role.values()),
        "people": rows.values("person_id").distinct().count(),
        "by_role": [
            {"role": r, "label": PersonSent.Role(r).label, "count": by_role.get(r, 0)}
            for r in PersonSent.Role.values
        ],
    }


# --- what changed for the helped side --------------------------------------------------------


@dataclass
class Figures:
    n: int = 0
    units: int = 0
    values: dict[str, float | None] = field(default_factory=dict)
    hidden: bool = False


@dataclass
class QualityComparison:
    stat_level: str | None
    before: Any = None  # quality.Exam
    after: Any = None
    helped: dict[str, Figures] = field(default_factory=dict)  # "before"/"after"
    comparable: dict[str, Figures] = field(default_factory=dict)
    comparable_units: int = 0
    note: str = ""


STAT_LEVEL = {
    Pairing.Level.SCHOOL: Level.SCHOOL,
    Pairing.Level.COUNTY: Level.COUNTY,
    Pairing.Level.CITY: Level.ALL,
}


def _helped_paths(level: str) -> list[str]:
    """Paths of the units helped by a pairing of ``level``."""
    return list(
        Pairing.objects.filter(level=level)
        .values_list("helped_unit__path", flat=True)
        .distinct()
        .order_by()
    )


def comparable_units(pairing: Pairing) -> list[int]:
    """Ids of the units the helped side is compared with (see the module's text)."""
    helped = pairing.helped_unit
    city = helped.region_of(OrgUnit.Level.CITY)
    if city is None or pairing.level == Pairing.Level.CITY:
        return []
    excluded = _helped_paths(pairing.level)
    if pairing.level == Pairing.Level.SCHOOL:
        school = School.objects.filter(org_unit=helped).only("kind", "location").first()
        if school is None:
            return []
        rows = School.objects.filter(
            org_unit__path__under=city.path, kind=school.kind, location=school.location
        ).values_list("org_unit_id", "org_unit__path")
    else:
        rows = OrgUnit.objects.filter(
            parent=city, level=OrgUnit.Level.COUNTY, kind=OrgUnit.Kind.REGION
        ).values_list("pk", "path")
    excluded_prefixes = tuple(excluded)  # str.startswith tries them all in one call
    return [
        pk
        for pk, path in rows
        if pk != helped.pk and not (excluded_prefixes and path.startswith(excluded_prefixes))
    ]


def _pooled(rows: list[dict[str, Any]]) -> Figures:
    """Figures pooled over ``rows`` (``n`` and each of :data:`FIGURES`, one unit each)."""
    n = sum(r["n"] for r in rows)
    out = Figures(n=n, units=len(rows))
    for f in FIGURES:
        parts = [(r["n"], r[f]) for r in rows if r[f] is not None and r["n"]]
        weight = sum(w for w, _v in parts)
        out.values[f] = sum(w * v for w, v in parts) / weight if weight else None
    return out


def quality_comparison(pairing: Pairing, viewer=None) -> QualityComparison:
    level = STAT_LEVEL[pairing.level]
    helped = pairing.helped_unit
    out = QualityComparison(stat_level=level)
    own = list(
        GroupStat.objects.filter(org_unit=helped, level=level, subject__isnull=True)
        .select_related("exam")
        .only("exam__name", "exam__date", "exam__stage_id", "org_unit_id", "n", *FIGURES)
        .order_by("exam__date", "exam_id")
    )
    before = [r for r in own if r.exam.date < pairing.start_date]
    after = [r for r in own if r.exam.date >= pairing.start_date]
    if before:  # the latest exam since of the same stage, where there is one
        same = [r for r in after if r.exam.stage_id == before[-1].exam.stage_id]
        after = same or after
    chosen = {"before": before[-1] if before else None, "after": after[-1] if after else None}
    out.before = chosen["before"].exam if chosen["before"] else None
    out.after = chosen["after"].exam if chosen["after"] else None
    for when, row in chosen.items():
        if row is not None:
            out.helped[when] = Figures(
                n=row.n, units=1, values={f: getattr(row, f) for f in FIGURES}
            )
    exams = {when: row.exam_id for when, row in chosen.items() if row is not None}
    candidates = comparable_units(pairing)
    if exams and candidates:
        # Plain rows, not model instances: a city's comparable schools are hundreds.
        rows = GroupStat.objects.filter(
            exam_id__in=list(exams.values()),
            level=level,
            subject__isnull=True,
            org_unit_id__in=candidates,
        ).values("exam_id", "org_unit_id", "n", *FIGURES)
        by_exam: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for r in rows:
            by_exam[r["exam_id"]][r["org_unit_id"]] = r
        common = set.intersection(*(set(by_exam[e]) for e in exams.values()))
        out.comparable_units = len(common)
        for when, exam_id in exams.items():
            out.comparable[when] = _pooled([by_exam[exam_id][u] for u in sorted(common)])
    _suppress(out, pairing, viewer)
    return out


def _suppress(out: QualityComparison, pairing: Pairing, viewer) -> None:
    """Hide figures of fewer than ``SMALL_GROUP`` students (primary suppression; no
    totals are shown beside them, so there is nothing to subtract from)."""
    exempt = viewer is not None and restricted.has_permission(
        viewer, restricted.STUDENT_DATA, pairing.helped_unit
    )
    cells = [
        restricted.Cell((side, when), figs.n, exempt=exempt and side == "helped")
        for side, table in (("helped", out.helped), ("comparable", out.comparable))
        for when, figs in table.items()
    ]
    hidden = restricted.suppress_cells(cells, threshold=SMALL_GROUP)
    for side, table in (("helped", out.helped), ("comparable", out.comparable)):
        for when, figs in table.items():
            if (side, when) in hidden:
                figs.hidden = True
                figs.values = dict.fromkeys(FIGURES)


def observation_averages(pairing: Pairing) -> dict[str, dict[str, Any]]:
    """Mean total score and count of the submitted observations of the helped unit's
    teachers, by term: the terms before the one the pairing started in, and since. Read
    from observations' pre-aggregated ``UnitTermStat`` (one row per unit and term, kept
    by the observation services), so a city costs as little as a school."""
    first = term_start(pairing.start_date)
    rows = UnitTermStat.objects.filter(unit=pairing.helped_unit)
    before = Q(term__lt=first)
    got = rows.aggregate(
        before_n=Sum("observations", filter=before),
        before_total=Sum("total_sum", filter=before),
        after_n=Sum("observations", filter=~before),
        after_total=Sum("total_sum", filter=~before),
    )
    out = {}
    for when in ("before", "after"):
        n = got[f"{when}_n"] or 0
        out[when] = {"n": n, "mean": got[f"{when}_total"] / n if n else None}
    return out


def joint_hours(pairing: Pairing) -> dict[str, Any]:
    """Hours credited to people of the helped unit for the pairing's joint activities."""
    ct = ContentType.objects.get_for_model(Activity)
    got = HoursRecord.objects.filter(
        source_type=ct,
        source_id__in=JointActivity.objects.filter(pairing=pairing).values("activity_id"),
        person__org_unit__path__under=pairing.helped_unit.path,
    ).aggregate(total=Sum("hours"), people=Count("person_id", distinct=True))
    return {"total": got["total"] or 0, "people": got["people"]}


def joint_activities(pairing: Pairing):
    return (
        JointActivity.objects.filter(pairing=pairing)
        .select_related("activity", "activity__org_unit")
        .order_by("-activity__starts_at")
    )
