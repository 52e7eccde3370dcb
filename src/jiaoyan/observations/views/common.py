"""Helpers the observation pages share: the observation in scope, score rows, the term."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone

from jiaoyan.core.lists import querystring_without
from jiaoyan.core.scope import get_visible_or_404

from .. import queries
from ..models import Observation
from ..terms import parse_term, recent_terms, term_of


def requested_term(request: HttpRequest):
    return parse_term(request.GET.get("term")) or term_of(timezone.localdate())


def term_context(request: HttpRequest, term) -> dict:
    return {
        "term": term,
        "terms": recent_terms(timezone.localdate(), 6),
        "base_query_noterm": querystring_without(request, "term", "export"),
    }


def score_rows(dims, scores: dict, posted: dict | None = None) -> list[dict]:
    rows = []
    for d in dims:
        crit = []
        for c in d.criteria.all():
            value = scores.get(c.pk)
            shown = (
                posted.get(c.pk, "")
                if posted is not None
                else (fmt_score(value) if value is not None else "")
            )
            crit.append(
                {
                    "criterion": c,
                    "value": shown,
                    "score": value,
                    "band": c.band_of(value) if value is not None else "",
                }
            )
        rows.append({"dimension": d, "criteria": crit})
    return rows


def fmt_score(value) -> str:
    d = Decimal(value)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def posted_scores(request: HttpRequest, dims) -> dict[int, str]:
    out = {}
    for d in dims:
        for c in d.criteria.all():
            out[c.pk] = request.POST.get(f"score_{c.pk}", "").strip()
    return out


def get_observation(request, pk: int) -> Observation:
    return get_visible_or_404(queries.for_detail(request.user), request.user, pk=pk)


def organiser_units(user, model):
    return queries.organiser_units(user, model)
