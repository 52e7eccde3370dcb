"""Every write of the self-review (专业标准自评) and the annual appraisal (年度考核).

Self-review: a bureau keeps its own standard (or uses the built-in one); a researcher
rates themselves once a year on its statements, with evidence from their work record
(activities, observations, residencies, ledger items — each found by the scoped resolver
among the rows of their own record of that year).

Appraisal: a bureau drafts a scheme for a year (default indicators, editable), opens it
(one appraisal per serving researcher of its region), the researcher assesses themselves
(the computed indicators are read from the work record), the institute reviews (scores
the rest, comments, a grade — 优秀 within the scheme's quota, checked with the scheme's
row locked), the bureau confirms; a grade the scheme names calls for an exit review.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.activities.models import Activity
from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.resolve import resolve
from jiaoyan.core.scope import require
from jiaoyan.core.services import clean_text
from jiaoyan.ledger.models import Item
from jiaoyan.observations.models import Observation
from jiaoyan.orgs.models import OrgUnit

from . import queries_appraisal as aq
from .models import (
    Appraisal,
    AppraisalIndicator,
    AppraisalScheme,
    Grade,
    Rating,
    ResearcherProfile,
    Residency,
    ReviewStandard,
    SelfReview,
)

Action = AuditLog.Action
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_EVIDENCE = 20


def _check_year(year: Any) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ServiceError(_("Give a year between 2000 and 2100."), field="year")
    return year


def _check_bureau(unit: OrgUnit) -> None:
    if unit.kind not in {OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE}:
        raise ServiceError(
            _("A standard or a scheme is kept by a bureau or a research institute."),
            field="org_unit",
        )


# --- the standard ------------------------------------------------------------------------------


def parse_dimensions(text: str) -> list[dict]:
    """The standard typed as lines ``维度：陈述`` (one statement a line, the dimension
    before a colon) into dimensions with codes."""
    dims: dict[str, list[str]] = {}
    for n, raw in enumerate(str(text or "").splitlines(), 1):
        line = raw.replace("\x00", "").strip()
        if not line:
            continue
        parts = re.split(r"[:：]", line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ServiceError(
                _("Line %(n)d: write the dimension, a colon, then the statement.") % {"n": n},
                field="dimensions",
            )
        name, statement = parts[0].strip()[:40], parts[1].strip()[:300]
        dims.setdefault(name, []).append(statement)
    if not dims:
        raise ServiceError(_("Write at least one statement."), field="dimensions")
    if sum(len(v) for v in dims.values()) > 100:
        raise ServiceError(_("A standard has at most 100 statements."), field="dimensions")
    return [
        {
            "code": f"d{i}",
            "name": name,
            "statements": [{"code": f"d{i}s{j}", "text": t} for j, t in enumerate(items, 1)],
        }
        for i, (name, items) in enumerate(dims.items(), 1)
    ]


def dimensions_text(dimensions: list[dict]) -> str:
    return "\n".join(f"{d['name']}：{s['text']}" for d in dimensions for s in d["statements"])


@transaction.atomic
def create_standard(*, actor, org_unit: OrgUnit, name: str, dimensions: str) -> ReviewStandard:
    """A bureau's own standard (it replaces the built-in one for its region's researchers
    from then on; their earlier self-reviews keep theirs)."""
    _check_bureau(org_unit)
    standard = ReviewStandard(
        org_unit=org_unit,
        name=clean_text(name, field="name", label=_("The name"), limit=100, required=True),
        dimensions=parse_dimensions(dimensions),
        created_by=actor,
    )
    require(actor, "add", standard)
    ReviewStandard.objects.filter(org_unit=org_unit, is_active=True).update(is_active=False)
    standard.save()
    audit.record(actor, standard, Action.CREATE, {"name": [None, standard.name]})
    return standard


# --- the self-review ---------------------------------------------------------------------------


def evidence_choices(profile: ResearcherProfile, year: int) -> list[tuple[str, str]]:
    """What of the researcher's record of ``year`` may be cited: activities hosted or
    attended, observations made, residencies, ledger items owned (newest first)."""
    out: list[tuple[str, str]] = []
    for model, qs, label in _evidence_sources(profile, year):
        for obj in qs.order_by("-pk")[:60]:
            out.append((f"{model}:{obj.pk}", f"{label}｜{obj}"))
    return out


def _evidence_sources(profile: ResearcherProfile, year: int):
    person_id, user_id = profile.person_id, profile.person.user_id
    yield (
        "activity",
        Activity.objects.filter(
            Q(host_id=person_id) | Q(participations__person_id=person_id),
            starts_at__year=year,
        ).distinct(),
        _("Research activity"),
    )
    yield (
        "observation",
        Observation.objects.filter(
            observer_id=user_id or 0, status=Observation.Status.SUBMITTED, date__year=year
        ),
        _("Observation"),
    )
    yield (
        "residency",
        Residency.objects.filter(
            profile=profile, start_date__year__lte=year, end_date__year__gte=year
        ),
        _("Residency"),
    )
    yield (
        "item",
        Item.objects.filter(responsible_person_id=person_id, due_on__year=year),
        _("Ledger item"),
    )


EVIDENCE_MODELS = {
    "activity": Activity,
    "observation": Observation,
    "residency": Residency,
    "item": Item,
}
EVIDENCE_KINDS = {
    "activity": _lazy("Research activity"),
    "observation": _lazy("Observation"),
    "residency": _lazy("Residency"),
    "item": _lazy("Ledger item"),
}


def _clean_evidence(actor, profile, year, evidence: Mapping[str, Any], dims: set[str]) -> dict:
    """Each cited record found by the scoped resolver among the researcher's record of
    the year (one not there is refused, never stored)."""
    sources = {key: qs for key, qs, _label in _evidence_sources(profile, year)}
    out: dict[str, list[str]] = {}
    for dim, refs in (evidence or {}).items():
        if dim not in dims:
            raise ServiceError(
                _("Evidence names a dimension not in the standard."), field="evidence"
            )
        refs = [r for r in (refs or []) if str(r).strip()]
        if len(refs) > MAX_EVIDENCE:
            raise ServiceError(
                _("At most %(n)d pieces of evidence a dimension.") % {"n": MAX_EVIDENCE},
                field="evidence",
            )
        kept = []
        for ref in refs:
            kind, _sep, pk = str(ref).partition(":")
            if kind not in EVIDENCE_MODELS or not pk.isdigit():
                raise ServiceError(
                    _("“%(ref)s” is not a record of your work.") % {"ref": ref}, field="evidence"
                )
            try:
                resolve(
                    actor, EVIDENCE_MODELS[kind], int(pk), field="evidence", queryset=sources[kind]
                )
            except ServiceError:
                raise ServiceError(
                    _("“%(ref)s” is not in your work record of %(year)d.")
                    % {"ref": ref, "year": year},
                    field="evidence",
                ) from None
            kept.append(f"{kind}:{int(pk)}")
        if kept:
            out[dim] = list(dict.fromkeys(kept))
    return out


@transaction.atomic
def save_self_review(
    *,
    actor,
    profile: ResearcherProfile,
    year: int,
    ratings: Mapping[str, Any],
    evidence: Mapping[str, Any] | None = None,
    reflection: str = "",
    submit: bool = False,
) -> SelfReview:
    """The researcher's self-review of ``year`` (one a year; a draft may be saved again;
    submitted, it is kept as it was). Submitting needs every statement rated."""
    year = _check_year(year)
    review = SelfReview.objects.select_for_update().filter(profile=profile, year=year).first()
    if review is None:
        standard = aq.standard_for(profile)
        if standard is None:
            raise ServiceError(_("No professional standard is in use."))
        review = SelfReview(
            profile=profile, org_unit=profile.org_unit, year=year, standard=standard
        )
        require(actor, "add", review)
    else:
        require(actor, "change", review)
        if review.status == SelfReview.Status.SUBMITTED:
            raise ServiceError(_("This self-review was submitted; it is kept as it was."))
    if profile.status != ResearcherProfile.Status.ACTIVE:
        raise ServiceError(_("This researcher has exited; the record is kept as it was."))
    statements = {s["code"] for _d, s in review.standard.statements()}
    clean: dict[str, int] = {}
    for code, level in (ratings or {}).items():
        if code not in statements:
            raise ServiceError(
                _("A rating names a statement not in the standard."), field="ratings"
            )
        if level in (None, ""):
            continue
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = 0
        if level not in Rating.values:
            raise ServiceError(_("Rate each statement from 1 to 4."), field="ratings")
        clean[code] = level
    if submit and set(clean) != statements:
        raise ServiceError(
            _("Rate every statement before submitting (%(n)d of %(total)d rated).")
            % {"n": len(clean), "total": len(statements)},
            field="ratings",
        )
    dims = {d["code"] for d in review.standard.dimensions}
    review.evidence = _clean_evidence(actor, profile, year, evidence or {}, dims)
    review.ratings = clean
    review.reflection = clean_text(
        reflection, field="reflection", label=_("The reflection"), limit=4000
    )
    created = review.pk is None
    if submit:
        review.status = SelfReview.Status.SUBMITTED
        review.submitted_at = timezone.now()
    review.save()
    audit.record(
        actor,
        review,
        Action.CREATE if created else Action.UPDATE,
        {"year": [None, year], "status": [None, review.status]},
    )
    return review


# --- the scheme --------------------------------------------------------------------------------

DEFAULT_INDICATORS = [
    ("observed", "听评课节数", AppraisalIndicator.Kind.COMPUTED, "observed", 40, 20),
    ("liaison", "联系学校每学期到校", AppraisalIndicator.Kind.COMPUTED, "liaison", 100, 15),
    ("ledger", "台账事项按期完成率", AppraisalIndicator.Kind.COMPUTED, "ledger_on_time", 90, 15),
    ("organised", "组织教研活动", AppraisalIndicator.Kind.COMPUTED, "organised", 4, 10),
    ("guidance", "教学指导成效", AppraisalIndicator.Kind.SCORED, "", None, 20),
    ("research", "教研成果与专业发展", AppraisalIndicator.Kind.SCORED, "", None, 20),
]


def _num(d: Decimal) -> str:
    """A number as people write it: 20, not 20.0; 7.5 stays."""
    return str(int(d)) if d == int(d) else str(d)


def _decimal(value: Any, field: str, label: str, *, lo: Decimal, hi: Decimal) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        d = None
    if d is None or not lo <= d <= hi:
        raise ServiceError(
            _("%(label)s must be a number from %(lo)s to %(hi)s.")
            % {"label": label, "lo": _num(Decimal(lo)), "hi": _num(Decimal(hi))},
            field=field,
        )
    return d


def _check_bands(excellent_min, qualified_min, basic_min) -> tuple[Decimal, Decimal, Decimal]:
    hundred = Decimal(100)
    e = _decimal(
        excellent_min,
        "excellent_min",
        _("The lowest total for excellent"),
        lo=Decimal(0),
        hi=hundred,
    )
    q = _decimal(
        qualified_min,
        "qualified_min",
        _("The lowest total for qualified"),
        lo=Decimal(0),
        hi=hundred,
    )
    b = _decimal(
        basic_min,
        "basic_min",
        _("The lowest total for basically qualified"),
        lo=Decimal(0),
        hi=hundred,
    )
    if not e > q > b:
        raise ServiceError(
            _("The lowest totals must fall: excellent above qualified above basically qualified."),
            field="excellent_min",
        )
    return e, q, b


def _check_exit_grades(grades) -> list[str]:
    grades = list(dict.fromkeys(grades or []))
    if any(g not in Grade.values for g in grades):
        raise ServiceError(_("Unknown grade."), field="exit_grades")
    if Grade.EXCELLENT in grades:
        raise ServiceError(
            _("An excellent grade cannot call for an exit review."), field="exit_grades"
        )
    return grades


@transaction.atomic
def create_scheme(
    *,
    actor,
    org_unit: OrgUnit,
    year: int,
    name: str = "",
    excellent_quota: int | None = None,
    excellent_min: Any = 90,
    qualified_min: Any = 75,
    basic_min: Any = 60,
    exit_grades: list[str] | None = None,
) -> AppraisalScheme:
    """A bureau's appraisal scheme for ``year``, with the default indicators (a draft:
    its indicators may change until it opens)."""
    _check_bureau(org_unit)
    year = _check_year(year)
    e, q, b = _check_bands(excellent_min, qualified_min, basic_min)
    if excellent_quota is not None and not 0 <= int(excellent_quota) <= 10000:
        raise ServiceError(_("The quota of excellent must be 0 or more."), field="excellent_quota")
    scheme = AppraisalScheme(
        org_unit=org_unit,
        year=year,
        name=clean_text(name, field="name", label=_("The name"), limit=100)
        or _("%(year)d annual appraisal of researchers") % {"year": year},
        excellent_quota=excellent_quota,
        excellent_min=e,
        qualified_min=q,
        basic_min=b,
        exit_grades=_check_exit_grades(
            exit_grades if exit_grades is not None else [Grade.UNQUALIFIED]
        ),
        created_by=actor,
    )
    require(actor, "add", scheme)
    if AppraisalScheme.objects.filter(org_unit=org_unit, year=year).exists():
        raise ServiceError(
            _("%(unit)s already has an appraisal scheme for %(year)d.")
            % {"unit": org_unit.name, "year": year},
            field="year",
        )
    scheme.save()
    AppraisalIndicator.objects.bulk_create(
        AppraisalIndicator(
            scheme=scheme,
            code=code,
            name=label,
            kind=kind,
            measure=measure,
            target=target,
            max_score=score,
            order=i,
        )
        for i, (code, label, kind, measure, target, score) in enumerate(DEFAULT_INDICATORS)
    )
    audit.record(actor, scheme, Action.CREATE, {"name": [None, scheme.name], "year": [None, year]})
    return scheme


def _lock_scheme(actor, scheme: AppraisalScheme, action: str | None) -> AppraisalScheme:
    """The scheme's row under a lock: every write of a grade takes it first, so two
    reviews at once cannot both take the last place of the 优秀 quota."""
    fresh = (
        AppraisalScheme.objects.select_for_update(of=("self",))
        .select_related("org_unit")
        .get(pk=scheme.pk)
    )
    if action is not None:
        require(actor, action, fresh)
    return fresh


@transaction.atomic
def save_indicator(
    *,
    actor,
    scheme: AppraisalScheme,
    name: str,
    kind: str,
    max_score: Any,
    measure: str = "",
    target: Any = None,
    indicator: AppraisalIndicator | None = None,
) -> AppraisalIndicator:
    """Add (or change) an indicator of a draft scheme (a change only while no appraisal
    holds a result for it)."""
    scheme = _lock_scheme(actor, scheme, "change")
    if indicator is not None:
        _check_indicator_unused(scheme, indicator)
    _check_draft(scheme)
    if kind not in AppraisalIndicator.Kind.values:
        raise ServiceError(_("Unknown kind of indicator."), field="kind")
    name = clean_text(name, field="name", label=_("The name"), limit=100, required=True)
    score = _decimal(
        max_score, "max_score", _("The full score"), lo=Decimal("0.5"), hi=Decimal(100)
    )
    if kind == AppraisalIndicator.Kind.COMPUTED:
        if measure not in AppraisalIndicator.Measure.values:
            raise ServiceError(
                _("A computed indicator names what it reads from the work record."),
                field="measure",
            )
        target = _decimal(target, "target", _("The target"), lo=Decimal("0.1"), hi=Decimal(100000))
    else:
        measure, target = "", None
    if indicator is None:
        indicator = AppraisalIndicator(scheme=scheme, order=scheme.indicators.count())
        indicator.code = f"i{AppraisalIndicator.objects.filter(scheme=scheme).count() + 1}"
        while AppraisalIndicator.objects.filter(scheme=scheme, code=indicator.code).exists():
            indicator.code += "x"
    require(actor, "change" if indicator.pk else "add", indicator)
    indicator.name, indicator.kind, indicator.measure = name, kind, measure
    indicator.target, indicator.max_score = target, score
    indicator.save()
    audit.record(actor, scheme, Action.UPDATE, {"indicator": [None, name]})
    return indicator


def _check_draft(scheme: AppraisalScheme) -> None:
    if scheme.status == AppraisalScheme.Status.CLOSED:
        raise ServiceError(_("The scheme is closed."))
    if scheme.status != AppraisalScheme.Status.DRAFT:
        raise ServiceError(_("The scheme is open: its indicators are fixed."))


def _check_indicator_unused(scheme: AppraisalScheme, indicator: AppraisalIndicator) -> None:
    """An indicator an appraisal holds a result for keeps its meaning: refused."""
    if indicator.scheme_id != scheme.pk:
        raise ServiceError(_("The indicator is not one of this scheme's."))
    if Appraisal.objects.filter(scheme=scheme, scores__has_key=indicator.code).exists():
        raise ServiceError(
            _("“%(name)s” already has results in appraisals; it can no longer change.")
            % {"name": indicator.name}
        )


@transaction.atomic
def delete_indicator(*, actor, indicator: AppraisalIndicator) -> None:
    """Remove an indicator of a draft scheme, before any appraisal holds a result for it."""
    scheme = _lock_scheme(actor, indicator.scheme, "change")
    require(actor, "delete", indicator)
    _check_indicator_unused(scheme, indicator)
    _check_draft(scheme)
    name = indicator.name
    indicator.delete()
    audit.record(actor, scheme, Action.UPDATE, {"indicator": [name, None]})


@transaction.atomic
def close_scheme(*, actor, scheme: AppraisalScheme) -> AppraisalScheme:
    """Close an open scheme: the year's appraisal is over — no more self-assessments,
    reviews or confirmations; its results stay as they are."""
    scheme = _lock_scheme(actor, scheme, "change")
    if scheme.status != AppraisalScheme.Status.OPEN:
        raise ServiceError(_("Only an open scheme can be closed."))
    require(actor, "close", scheme)
    scheme.status = AppraisalScheme.Status.CLOSED
    scheme.version += 1
    scheme.save(update_fields=["status", "version", "updated_at"])
    audit.record(actor, scheme, Action.UPDATE, {"status": ["open", "closed"]})
    return scheme


@transaction.atomic
def open_scheme(*, actor, scheme: AppraisalScheme) -> int:
    """Open the scheme: one appraisal for every serving researcher of its region (those
    who have one already keep theirs). Returns how many were added."""
    scheme = _lock_scheme(actor, scheme, "change")
    if scheme.status == AppraisalScheme.Status.CLOSED:
        raise ServiceError(_("The scheme is closed."))
    if not scheme.indicators.exists():
        raise ServiceError(_("The scheme has no indicators."))
    total = sum(i.max_score for i in scheme.indicators.all())
    if total != 100:
        raise ServiceError(
            _("The full scores of the indicators add up to %(total)s, not 100.")
            % {"total": _num(total)}
        )
    have = set(Appraisal.objects.filter(scheme=scheme).values_list("profile_id", flat=True))
    rows = [
        Appraisal(scheme=scheme, profile_id=pk, org_unit_id=unit, year=scheme.year)
        for pk, unit in aq.profiles_in_scheme(scheme).values_list("pk", "org_unit_id")
        if pk not in have
    ]
    Appraisal.objects.bulk_create(rows, batch_size=2000)
    if scheme.status != AppraisalScheme.Status.OPEN:
        scheme.status = AppraisalScheme.Status.OPEN
        scheme.version += 1
        scheme.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor, scheme, Action.UPDATE, {"status": ["draft", "open"], "added": [0, len(rows)]}
    )
    return len(rows)


# --- the appraisal ------------------------------------------------------------------------------


def _computed(appraisal: Appraisal, indicators: list[AppraisalIndicator]) -> dict[str, dict]:
    wanted = {i.measure for i in indicators if i.kind == AppraisalIndicator.Kind.COMPUTED}
    values = aq.measures(appraisal.profile, appraisal.year, wanted) if wanted else {}
    out = {}
    for i in indicators:
        if i.kind != AppraisalIndicator.Kind.COMPUTED:
            continue
        value = values.get(i.measure)
        score, met = aq.computed_score(i, value)
        out[i.code] = {"value": value, "score": str(score), "met": met}
    return out


def _locked_appraisal(actor, appraisal: Appraisal, action: str) -> Appraisal:
    fresh = (
        Appraisal.objects.select_for_update(of=("self",))
        .select_related("profile__person", "scheme", "org_unit")
        .get(pk=appraisal.pk)
    )
    require(actor, action, fresh)
    return fresh


def _check_scheme_open(scheme: AppraisalScheme) -> None:
    if scheme.status != AppraisalScheme.Status.OPEN:
        raise ServiceError(_("The appraisal scheme is not open."))


@transaction.atomic
def self_assess(*, actor, appraisal: Appraisal, summary: str, self_grade: str = "") -> Appraisal:
    """The researcher's self-assessment: a summary of the year and the grade they
    propose; the computed indicators are read from the work record now."""
    appraisal = _locked_appraisal(actor, appraisal, "self_assess")
    _check_scheme_open(appraisal.scheme)
    if appraisal.status not in (Appraisal.Status.PENDING, Appraisal.Status.SELF_ASSESSED):
        raise ServiceError(_("The institute has reviewed this appraisal; it can no longer change."))
    self_grade = self_grade or ""
    if self_grade and self_grade not in Grade.values:
        raise ServiceError(_("Unknown grade."), field="self_grade")
    appraisal.self_summary = clean_text(
        summary, field="summary", label=_("The self-assessment"), limit=4000, required=True
    )
    appraisal.self_grade = self_grade
    indicators = list(appraisal.scheme.indicators.all())
    appraisal.scores = {**appraisal.scores, **_computed(appraisal, indicators)}
    appraisal.status = Appraisal.Status.SELF_ASSESSED
    appraisal.self_assessed_at = timezone.now()
    appraisal.save()
    audit.record(actor, appraisal, Action.UPDATE, {"status": [None, appraisal.status]})
    return appraisal


def _check_quota(scheme: AppraisalScheme, appraisal: Appraisal, grade: str) -> None:
    """优秀 within the scheme's quota (call with the scheme's row locked)."""
    if grade != Grade.EXCELLENT or scheme.excellent_quota is None:
        return
    used = aq.excellent_used(scheme, exclude=appraisal.pk)
    if used >= scheme.excellent_quota:
        raise ServiceError(
            _(
                "The quota of excellent is used up: %(quota)d in this scheme, "
                "%(used)d already graded excellent."
            )
            % {"quota": scheme.excellent_quota, "used": used},
            field="grade",
            code="over_quota",
        )


@transaction.atomic
def review_appraisal(
    *,
    actor,
    appraisal: Appraisal,
    scores: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    comment: str = "",
    grade: str | None = "",
) -> Appraisal:
    """The institute's review: a score (0 to the full score) for each scored indicator,
    with comments; the computed ones read again; the total; the grade (by default the
    one the total earns; 优秀 only within the quota)."""
    require(actor, "review", appraisal)
    scheme = _lock_scheme(actor, appraisal.scheme, None)
    appraisal = _locked_appraisal(actor, appraisal, "review")
    _check_scheme_open(scheme)
    if appraisal.status == Appraisal.Status.PENDING:
        raise ServiceError(_("The researcher has not assessed themselves yet."))
    if appraisal.status == Appraisal.Status.CONFIRMED:
        raise ServiceError(_("The bureau has confirmed this appraisal; it is kept as it was."))
    indicators = list(scheme.indicators.all())
    comments = comments or {}
    new_scores = _computed(appraisal, indicators)
    for i in indicators:
        if i.kind != AppraisalIndicator.Kind.SCORED:
            continue
        raw = (scores or {}).get(i.code)
        if raw in (None, ""):
            raise ServiceError(
                _("Give a score for “%(name)s”.") % {"name": i.name}, field=f"score_{i.code}"
            )
        score = _decimal(
            raw,
            f"score_{i.code}",
            _("The score of “%(name)s”") % {"name": i.name},
            lo=Decimal(0),
            hi=Decimal(i.max_score),
        )
        new_scores[i.code] = {
            "score": str(score),
            "comment": clean_text(
                comments.get(i.code, ""),
                field=f"comment_{i.code}",
                label=_("The comment"),
                limit=500,
            ),
        }
    total = sum((Decimal(v["score"]) for v in new_scores.values()), Decimal(0))
    if grade and grade not in Grade.values:
        raise ServiceError(_("Unknown grade."), field="grade")
    grade = grade or scheme.grade_for(total)
    _check_quota(scheme, appraisal, grade)
    appraisal.scores = new_scores
    appraisal.total = total
    appraisal.grade = grade
    appraisal.review_comment = clean_text(
        comment, field="comment", label=_("The comment"), limit=4000
    )
    appraisal.status = Appraisal.Status.REVIEWED
    appraisal.reviewed_at = timezone.now()
    appraisal.reviewed_by = actor
    appraisal.save()
    audit.record(
        actor, appraisal, Action.UPDATE, {"grade": [None, grade], "total": [None, str(total)]}
    )
    return appraisal


@transaction.atomic
def confirm_appraisal(*, actor, appraisal: Appraisal) -> Appraisal:
    """The bureau confirms the institute's review; the result stays on the researcher's
    profile, and a grade the scheme names calls for an exit review."""
    scheme = _lock_scheme(actor, appraisal.scheme, "confirm")
    appraisal = _locked_appraisal(actor, appraisal, "view")
    if appraisal.profile.person.user_id == actor.pk:
        raise ServiceError(_("Nobody confirms their own appraisal."))
    _check_scheme_open(scheme)
    if appraisal.status != Appraisal.Status.REVIEWED:
        raise ServiceError(_("Only an appraisal the institute has reviewed can be confirmed."))
    _check_quota(scheme, appraisal, appraisal.grade)
    appraisal.status = Appraisal.Status.CONFIRMED
    appraisal.confirmed_at = timezone.now()
    appraisal.confirmed_by = actor
    appraisal.exit_review = appraisal.grade in (scheme.exit_grades or [])
    appraisal.save()
    audit.record(actor, appraisal, Action.UPDATE, {"status": ["reviewed", "confirmed"]})
    return appraisal
