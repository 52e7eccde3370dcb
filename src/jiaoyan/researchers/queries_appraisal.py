"""Reads of the self-review (专业标准自评) and the annual appraisal (年度考核).

The appraisal's computed indicators are read from the work record — ``queries.work_record``
for the year and for each of its terms — never counted a second way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from jiaoyan.core.metrics import rate
from jiaoyan.observations.terms import Term, term_of

from . import queries
from .models import (
    Appraisal,
    AppraisalIndicator,
    AppraisalScheme,
    Grade,
    Rating,
    ResearcherProfile,
    ReviewStandard,
    SelfReview,
)

Measure = AppraisalIndicator.Measure
GOVERNING = ("bureau", "institute")  # OrgUnit kinds whose standard is their region's


def standards_for(user) -> QuerySet[ReviewStandard]:
    return ReviewStandard.objects.visible_to(user).select_related("org_unit")


def standard_for(profile: ResearcherProfile) -> ReviewStandard | None:
    """The standard a researcher rates themselves on: the one of the nearest unit above
    their institute that keeps one in use, else the built-in one."""
    ids = profile.org_unit.ancestor_ids
    best, depth = None, -1
    for s in ReviewStandard.objects.filter(
        Q(org_unit_id__in=ids) | Q(org_unit__parent_id__in=ids, org_unit__kind__in=GOVERNING),
        is_active=True,
    ).select_related("org_unit"):
        unit = s.org_unit
        region = unit.parent_id if unit.kind in GOVERNING and unit.parent_id else unit.pk
        if region in ids and ids.index(region) > depth:
            best, depth = s, ids.index(region)
    if best is not None:
        return best
    return (
        ReviewStandard.objects.filter(org_unit__isnull=True, is_active=True).order_by("id").first()
    )


def self_reviews_for(user) -> QuerySet[SelfReview]:
    return SelfReview.objects.visible_to(user).select_related(
        "profile__person", "org_unit", "standard"
    )


def schemes_for(user) -> QuerySet[AppraisalScheme]:
    return AppraisalScheme.objects.visible_to(user).select_related("org_unit")


def appraisals_for(user) -> QuerySet[Appraisal]:
    return Appraisal.objects.visible_to(user).select_related(
        "profile__person", "org_unit", "scheme"
    )


def profiles_in_scheme(scheme: AppraisalScheme) -> QuerySet[ResearcherProfile]:
    """The serving researchers of the scheme's region."""
    return ResearcherProfile.objects.filter(
        org_unit__path__under=scheme.org_unit.scope_root.path,
        status=ResearcherProfile.Status.ACTIVE,
    )


# --- computed indicators -------------------------------------------------------------------------


def terms_of_year(year: int) -> list[Term]:
    """The terms a calendar year's appraisal looks at: the spring term of the year and
    the autumn term that starts in it."""
    return [term_of(dt.date(year, 3, 1)), term_of(dt.date(year, 9, 1))]


def measures(profile: ResearcherProfile, year: int, wanted: set[str] | None = None) -> dict:
    """Each measure of ``wanted`` (all by default) for ``profile``'s ``year``, read from
    the work record; None where there was nothing to measure (no ledger item due, no
    liaison school assigned)."""
    wanted = set(Measure.values) if wanted is None else wanted
    rec = queries.work_record(profile, dt.date(year, 1, 1), dt.date(year, 12, 31))
    out: dict[str, float | None] = {
        Measure.OBSERVED: rec.observed,
        Measure.LEDGER_ON_TIME: rec.ledger_on_time_share,
        Measure.ORGANISED: rec.organised,
        Measure.RESIDENCY_DAYS: rec.residency_days,
        Measure.TRAINING_GIVEN: float(rec.training_given),
    }
    if Measure.LIAISON in wanted:
        pairs = reached = 0
        for term in terms_of_year(year):
            cov = queries.work_record(profile, term.start, term.end).coverage()
            pairs += sum(cov.values())
            reached += cov["observed"] + cov["visited"]
        out[Measure.LIAISON] = rate(reached, pairs) if pairs else None
    return {k: v for k, v in out.items() if k in wanted}


def _q(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def computed_score(indicator: AppraisalIndicator, value) -> tuple[Decimal, bool]:
    """The score a computed indicator earns with ``value``, and whether the target was
    reached: the full score at the target or above (and when there was nothing to
    measure), its share below."""
    full = Decimal(indicator.max_score)
    target = Decimal(indicator.target or 0)
    if value is None or target <= 0 or Decimal(str(value)) >= target:
        return _q(full), True
    return _q(full * Decimal(str(value)) / target), False


# --- charts' figures -----------------------------------------------------------------------------


@dataclass
class Distribution:
    year: int
    reviews: int
    dimensions: list[str]
    counts: dict[int, list[int]]  # rating level -> count per dimension
    averages: list[float | None]


def self_review_distribution(user, year: int, unit_id: int | None = None) -> Distribution:
    """How the submitted self-reviews of ``year`` the viewer sees spread over the levels,
    per dimension of the standard (statements' ratings counted)."""
    rows = self_reviews_for(user).filter(year=year, status=SelfReview.Status.SUBMITTED)
    if unit_id:
        rows = rows.filter(org_unit_id=unit_id)
    dims: dict[str, str] = {}
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    n = 0
    standards: dict[int, list] = {}
    for standard_id, ratings in rows.values_list("standard_id", "ratings").iterator(
        chunk_size=2000
    ):
        n += 1
        if standard_id not in standards:
            standards[standard_id] = ReviewStandard.objects.get(pk=standard_id).dimensions
        for d in standards[standard_id]:
            dims.setdefault(d["code"], d["name"])
            for s in d.get("statements", []):
                level = ratings.get(s["code"])
                if level in Rating.values:
                    counts[d["code"]][level] += 1
    codes = list(dims)
    averages = []
    for c in codes:
        total = sum(counts[c].values())
        averages.append(
            round(sum(k * v for k, v in counts[c].items()) / total, 2) if total else None
        )
    return Distribution(
        year=year,
        reviews=n,
        dimensions=[dims[c] for c in codes],
        counts={level: [counts[c][level] for c in codes] for level in Rating.values},
        averages=averages,
    )


def development(user, profile: ResearcherProfile) -> tuple[list[int], dict[str, list]]:
    """A researcher's average rating per dimension, year by year (their submitted
    self-reviews the viewer sees)."""
    return development_of(self_reviews_for(user).filter(profile=profile))


def development_of(reviews) -> tuple[list[int], dict[str, list]]:
    """:func:`development` over self-reviews already read (their submitted ones)."""
    years: list[int] = []
    series: dict[str, list] = {}
    reviews = sorted(
        (r for r in reviews if r.status == SelfReview.Status.SUBMITTED), key=lambda r: r.year
    )
    for r in reviews:
        years.append(r.year)
    for i, r in enumerate(reviews):
        for d in r.standard.dimensions:
            levels = [r.ratings.get(s["code"]) for s in d.get("statements", [])]
            levels = [v for v in levels if v in Rating.values]
            row = series.setdefault(d["name"], [None] * len(reviews))
            row[i] = round(sum(levels) / len(levels), 2) if levels else None
    return years, series


def grade_counts(appraisals: QuerySet[Appraisal]) -> dict[str, int]:
    counts = dict(
        appraisals.exclude(grade="")
        .order_by()
        .values_list("grade")
        .annotate(n=Count("id"))
        .values_list("grade", "n")
    )
    return {g: counts.get(g, 0) for g in Grade.values}


def excellent_used(scheme: AppraisalScheme, exclude: int | None = None) -> int:
    qs = Appraisal.objects.filter(
        scheme=scheme,
        grade=Grade.EXCELLENT,
        status__in=(Appraisal.Status.REVIEWED, Appraisal.Status.CONFIRMED),
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.count()


def latest_result(user, profile: ResearcherProfile) -> Appraisal | None:
    return (
        appraisals_for(user)
        .filter(profile=profile, status=Appraisal.Status.CONFIRMED)
        .order_by("-year")
        .first()
    )


@dataclass(frozen=True)
class EvidenceLink:
    """One cited record of a self-review as the viewer may see it: its name and page, or
    only its kind when the viewer cannot see the record (nothing of it is told)."""

    ref: str
    label: str
    url: str | None


def evidence_links(user, refs: list[str]) -> dict[str, EvidenceLink]:
    """The cited records ``refs`` (``"activity:12"`` …) as links, each read from
    ``visible_to(user)``: one query per kind cited."""
    from django.utils.translation import gettext as _

    from .services_appraisal import EVIDENCE_KINDS, EVIDENCE_MODELS

    wanted: dict[str, set[int]] = defaultdict(set)
    for ref in refs:
        kind, _sep, pk = ref.partition(":")
        if kind in EVIDENCE_MODELS and pk.isdigit():
            wanted[kind].add(int(pk))
    seen: dict[str, object] = {}
    for kind, pks in wanted.items():
        for obj in EVIDENCE_MODELS[kind].objects.visible_to(user).filter(pk__in=pks):
            seen[f"{kind}:{obj.pk}"] = obj
    out: dict[str, EvidenceLink] = {}
    for ref in refs:
        kind = ref.partition(":")[0]
        name = str(EVIDENCE_KINDS.get(kind, ""))
        obj = seen.get(ref)
        if obj is None:
            out[ref] = EvidenceLink(ref, _("%(kind)s (not yours to open)") % {"kind": name}, None)
        else:
            out[ref] = EvidenceLink(ref, f"{name}｜{obj}", obj.get_absolute_url())
    return out
