"""Rubric structure (dimensions, weights, criteria, score bands) and the arithmetic of a
score sheet: validating scores against their criteria and computing the total.

The arithmetic, once: a dimension with weight *w* (the weights of a rubric add up to 100)
whose criteria were scored *s₁ … sₙ* out of maxima *m₁ … mₙ* earns

    points  = w × (s₁ + … + sₙ) / (m₁ + … + mₙ)
    percent = 100 × (s₁ + … + sₙ) / (m₁ + … + mₙ)

and the total is the sum of the dimensions' points (out of 100), rounded to two places.
Scores are given in steps of 0.5 and must lie within the criterion's band
[lowest, highest]; the total exists only when every criterion is scored.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiaoyan.core.errors import ServiceError

STEP = Decimal("0.5")
TWO_PLACES = Decimal("0.01")
MAX_DIMENSIONS = 20
MAX_CRITERIA = 60
# Default band labels and their lower edges as a share of the highest score.
DEFAULT_BANDS = [("优", Decimal("0.9")), ("良", Decimal("0.75")), ("中", Decimal("0.6")), ("差", 0)]


@dataclass
class CriterionSpec:
    text: str
    max_score: Decimal
    min_score: Decimal = Decimal(0)
    bands: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DimensionSpec:
    name: str
    weight: Decimal
    criteria: list[CriterionSpec] = field(default_factory=list)


def _num(value: Any) -> Decimal:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(text) from None
    if not d.is_finite():
        raise ValueError(text)
    return d


def _fmt(d: Decimal) -> str:
    d = Decimal(d)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def _ceil_step(value: Decimal) -> Decimal:
    return (value / STEP).to_integral_value(rounding=ROUND_CEILING) * STEP


def default_bands(min_score: Decimal, max_score: Decimal) -> list[dict[str, Any]]:
    """优 ≥ 90 %, 良 ≥ 75 %, 中 ≥ 60 % of the highest score, 差 below; in 0.5 steps."""
    bands = []
    upper = max_score
    for label, share in DEFAULT_BANDS:
        low = max(min_score, _ceil_step(max_score * Decimal(share)))
        if low <= upper:
            bands.append({"label": label, "min": float(low), "max": float(upper)})
            upper = low - STEP
    return bands


def _check_bands(where: str, c: CriterionSpec) -> None:
    ranges = []
    for b in c.bands:
        lo, hi = Decimal(str(b["min"])), Decimal(str(b["max"]))
        if lo > hi or lo < c.min_score or hi > c.max_score:
            raise ServiceError(
                _("%(where)s: the band “%(label)s” %(lo)s–%(hi)s lies outside %(min)s–%(max)s.")
                % {
                    "where": where,
                    "label": b["label"],
                    "lo": _fmt(lo),
                    "hi": _fmt(hi),
                    "min": _fmt(c.min_score),
                    "max": _fmt(c.max_score),
                },
                field="structure",
            )
        ranges.append((lo, hi, b["label"]))
    ranges.sort()
    for (_lo1, hi1, l1), (lo2, _hi2, l2) in itertools.pairwise(ranges):
        if lo2 <= hi1:
            raise ServiceError(
                _("%(where)s: the bands “%(a)s” and “%(b)s” overlap.")
                % {"where": where, "a": l1, "b": l2},
                field="structure",
            )


def validate_structure(dims: list[DimensionSpec]) -> list[DimensionSpec]:
    """Check a rubric's content; raise ServiceError (Chinese, names the item) if wrong."""
    if not dims:
        raise ServiceError(_("A rubric needs at least one dimension."), field="structure")
    if len(dims) > MAX_DIMENSIONS:
        raise ServiceError(
            _("A rubric may have at most %(n)d dimensions.") % {"n": MAX_DIMENSIONS},
            field="structure",
        )
    names = set()
    n_criteria = 0
    for d in dims:
        if not d.name or len(d.name) > 50:
            raise ServiceError(
                _("Every dimension needs a name of at most 50 characters."), field="structure"
            )
        if d.name in names:
            raise ServiceError(
                _("The dimension “%(name)s” appears twice.") % {"name": d.name}, field="structure"
            )
        names.add(d.name)
        if d.weight <= 0:
            raise ServiceError(
                _("The weight of “%(name)s” must be more than 0.") % {"name": d.name},
                field="structure",
            )
        if not d.criteria:
            raise ServiceError(
                _("The dimension “%(name)s” has no criteria.") % {"name": d.name},
                field="structure",
            )
        for c in d.criteria:
            n_criteria += 1
            where = f"「{d.name}」{c.text[:20]}"
            if not c.text or len(c.text) > 300:
                raise ServiceError(
                    _("Every criterion of “%(name)s” needs a text of at most 300 characters.")
                    % {"name": d.name},
                    field="structure",
                )
            if c.min_score < 0 or c.max_score <= c.min_score or c.max_score > 1000:
                raise ServiceError(
                    _("%(where)s: the score range %(min)s–%(max)s is not valid.")
                    % {"where": where, "min": _fmt(c.min_score), "max": _fmt(c.max_score)},
                    field="structure",
                )
            if c.min_score % STEP or c.max_score % STEP:
                raise ServiceError(
                    _("%(where)s: scores go in steps of 0.5.") % {"where": where},
                    field="structure",
                )
            if not c.bands:
                c.bands = default_bands(c.min_score, c.max_score)
            _check_bands(where, c)
    if n_criteria > MAX_CRITERIA:
        raise ServiceError(
            _("A rubric may have at most %(n)d criteria.") % {"n": MAX_CRITERIA},
            field="structure",
        )
    total = sum((d.weight for d in dims), Decimal(0))
    if total != 100:
        raise ServiceError(
            _("The dimensions' weights must add up to 100; they add up to %(total)s.")
            % {"total": _fmt(total)},
            field="structure",
        )
    return dims


# --- the text form used by the rubric editor ---------------------------------------------

_SPLIT = re.compile(r"\s*[|｜]\s*")
_RANGE = re.compile(r"^(?P<lo>\d+(?:\.\d+)?)\s*[-–—~～至]\s*(?P<hi>\d+(?:\.\d+)?)$")
_BAND = re.compile(
    r"^(?P<label>[^\d\s]{1,10})\s*(?P<lo>\d+(?:\.\d+)?)\s*[-–—~～至]\s*(?P<hi>\d+(?:\.\d+)?)$"
)

TEXT_HELP = gettext_lazy(
    "One dimension per line starting with #, then its criteria, each on a line starting "
    "with -. Example:\n"
    "# 教学目标 | 10\n"
    "- 目标明确具体，符合课程标准和学生实际 | 10\n"
    "- 目标达成度高 | 0-10 | 优 9-10；良 7.5-8.5；中 6-7；差 0-5.5\n"
    "The number after a dimension is its weight (the weights add up to 100); after a "
    "criterion, its highest score or its score range, then optionally its bands."
)


def _line_error(lineno: int, message: str) -> ServiceError:
    return ServiceError(
        _("Line %(n)d: %(message)s") % {"n": lineno, "message": message}, field="structure"
    )


def parse_rubric_text(text: str) -> list[DimensionSpec]:
    """The editor's text (see TEXT_HELP) → dimension specs (validated)."""
    dims: list[DimensionSpec] = []
    for lineno, raw in enumerate((text or "").splitlines(), 1):
        line = unicodedata.normalize("NFKC", raw).strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = _SPLIT.split(line.lstrip("#").strip())
            if len(parts) != 2:
                raise _line_error(lineno, _("write a dimension as “# name | weight”."))
            try:
                weight = _num(parts[1])
            except ValueError:
                raise _line_error(
                    lineno, _("the weight “%(v)s” is not a number.") % {"v": parts[1]}
                ) from None
            dims.append(DimensionSpec(name=parts[0], weight=weight))
        elif line.startswith(("-", "*", "•")):
            if not dims:
                raise _line_error(lineno, _("a criterion must follow a dimension line (#)."))
            parts = _SPLIT.split(line.lstrip("-*• ").strip())
            if len(parts) not in (2, 3):
                raise _line_error(
                    lineno, _("write a criterion as “- text | highest score [| bands]”.")
                )
            lo, hi = Decimal(0), None
            m = _RANGE.match(parts[1])
            try:
                if m:
                    lo, hi = _num(m["lo"]), _num(m["hi"])
                else:
                    hi = _num(parts[1])
            except ValueError:
                hi = None
            if hi is None:
                raise _line_error(
                    lineno, _("“%(v)s” is not a score or a score range.") % {"v": parts[1]}
                )
            bands = []
            if len(parts) == 3 and parts[2]:
                for piece in re.split(r"[;；,，、]\s*", parts[2]):
                    piece = piece.strip()
                    if not piece:
                        continue
                    bm = _BAND.match(piece)
                    if not bm:
                        raise _line_error(
                            lineno,
                            _("the band “%(v)s” should look like “优 9-10”.") % {"v": piece},
                        )
                    bands.append(
                        {
                            "label": bm["label"],
                            "min": float(_num(bm["lo"])),
                            "max": float(_num(bm["hi"])),
                        }
                    )
            dims[-1].criteria.append(
                CriterionSpec(text=parts[0], min_score=lo, max_score=hi, bands=bands)
            )
        else:
            raise _line_error(lineno, _("start a line with # (a dimension) or - (a criterion)."))
    return validate_structure(dims)


def structure_from_data(data: list[dict[str, Any]]) -> list[DimensionSpec]:
    """The API's JSON form → dimension specs (validated)."""
    dims = []
    try:
        for d in data:
            dim = DimensionSpec(name=str(d["name"]).strip(), weight=_num(d["weight"]))
            for c in d.get("criteria") or []:
                dim.criteria.append(
                    CriterionSpec(
                        text=str(c["text"]).strip(),
                        min_score=_num(c.get("min_score", 0)),
                        max_score=_num(c["max_score"]),
                        bands=[
                            {
                                "label": str(b["label"])[:10],
                                "min": float(_num(b["min"])),
                                "max": float(_num(b["max"])),
                            }
                            for b in c.get("bands") or []
                        ],
                    )
                )
            dims.append(dim)
    except (KeyError, TypeError, ValueError) as e:
        raise ServiceError(
            _("The rubric's structure is malformed (%(e)s).") % {"e": str(e)[:60]},
            field="structure",
        ) from None
    return validate_structure(dims)


def structure_text(dimensions) -> str:
    """A version's dimensions (with ``criteria`` prefetched) in the editor's text form."""
    lines = []
    for d in dimensions:
        lines.append(f"# {d.name} | {_fmt(d.weight)}")
        for c in d.criteria.all():
            rng = (
                _fmt(c.max_score) if not c.min_score else f"{_fmt(c.min_score)}-{_fmt(c.max_score)}"
            )
            bands = "；".join(
                f"{b['label']} {_fmt(Decimal(str(b['min'])))}-{_fmt(Decimal(str(b['max'])))}"
                for b in c.bands or []
            )
            lines.append(f"- {c.text} | {rng}" + (f" | {bands}" if bands else ""))
    return "\n".join(lines)


def structure_of(dimensions) -> list[DimensionSpec]:
    """A stored version's content as specs (to compare with an edit)."""
    return [
        DimensionSpec(
            name=d.name,
            weight=Decimal(d.weight),
            criteria=[
                CriterionSpec(
                    text=c.text,
                    min_score=Decimal(c.min_score),
                    max_score=Decimal(c.max_score),
                    bands=list(c.bands or []),
                )
                for c in d.criteria.all()
            ],
        )
        for d in dimensions
    ]


def same_structure(a: list[DimensionSpec], b: list[DimensionSpec]) -> bool:
    def key(dims):
        return [
            (
                d.name,
                Decimal(d.weight),
                [
                    (
                        c.text,
                        Decimal(c.min_score),
                        Decimal(c.max_score),
                        [(x["label"], float(x["min"]), float(x["max"])) for x in c.bands],
                    )
                    for c in d.criteria
                ],
            )
            for d in dims
        ]

    return key(a) == key(b)


# --- scoring -----------------------------------------------------------------------------


def clean_scores(dimensions, raw: dict[Any, Any], *, complete: bool) -> dict[int, Decimal]:
    """Validate scores (criterion id → value) against a version's criteria.

    Blank values are dropped; with ``complete`` every criterion must be scored.
    """
    criteria = {c.pk: c for d in dimensions for c in d.criteria.all()}
    cleaned: dict[int, Decimal] = {}
    for key, value in (raw or {}).items():
        try:
            cid = int(key)
        except (TypeError, ValueError):
            cid = None
        criterion = criteria.get(cid)
        if criterion is None:
            raise ServiceError(
                _("A score was given for a criterion that is not in this rubric."), field="scores"
            )
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            score = _num(value)
        except ValueError:
            raise ServiceError(
                _("“%(criterion)s”: “%(value)s” is not a number.")
                % {"criterion": criterion.text[:30], "value": str(value)[:20]},
                field="scores",
            ) from None
        if not criterion.min_score <= score <= criterion.max_score:
            raise ServiceError(
                _("“%(criterion)s”: the score %(score)s is outside its band %(min)s–%(max)s.")
                % {
                    "criterion": criterion.text[:30],
                    "score": _fmt(score),
                    "min": _fmt(criterion.min_score),
                    "max": _fmt(criterion.max_score),
                },
                field="scores",
            )
        if score % STEP:
            raise ServiceError(
                _("“%(criterion)s”: scores go in steps of 0.5 (%(score)s).")
                % {"criterion": criterion.text[:30], "score": _fmt(score)},
                field="scores",
            )
        cleaned[cid] = score
    if complete:
        missing = [c.text[:20] for cid, c in criteria.items() if cid not in cleaned]
        if missing:
            raise ServiceError(
                _("%(n)d criteria are not scored yet: %(list)s")
                % {
                    "n": len(missing),
                    "list": "、".join(missing[:5]) + ("…" if len(missing) > 5 else ""),
                },
                field="scores",
            )
    return cleaned


def compute_results(dimensions, scores: dict[int, Decimal]) -> tuple[Decimal | None, list[dict]]:
    """(total or None when incomplete, per-dimension results) for a version's scores."""
    results = []
    total = Decimal(0)
    complete = True
    for d in dimensions:
        crit = list(d.criteria.all())
        got = [scores[c.pk] for c in crit if c.pk in scores]
        maximum = sum((Decimal(c.max_score) for c in crit), Decimal(0))
        done = len(got) == len(crit)
        complete &= done
        if got and done and maximum:
            s = sum(got, Decimal(0))
            points = (Decimal(d.weight) * s / maximum).quantize(TWO_PLACES, ROUND_HALF_UP)
            percent = (100 * s / maximum).quantize(TWO_PLACES, ROUND_HALF_UP)
            total += Decimal(d.weight) * s / maximum
        else:
            points = percent = None
        results.append(
            {
                "dimension": d.pk,
                "name": d.name,
                "weight": float(d.weight),
                "points": float(points) if points is not None else None,
                "percent": float(percent) if percent is not None else None,
            }
        )
    return (total.quantize(TWO_PLACES, ROUND_HALF_UP) if complete else None), results
