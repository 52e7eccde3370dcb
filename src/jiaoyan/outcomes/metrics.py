"""The outcomes' main figures in the metric registry (:mod:`jiaoyan.core.metrics`): the
outcomes submitted in the period, those honoured at county level or above, promotion
records and adoptions, and the points earned (:mod:`.points`, the same computation the
ranking shows) — what communities, evaluation and researchers' appraisal read. A person's
or a community's points are read from :func:`.points.compute` (or :func:`.points.kept`,
the ranking's), the one implementation."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from . import points
from .models import Adoption, Entry, Outcome, Promotion


def _points(ctx: metrics.Context) -> points.Points:
    return ctx.once("outcomes.points", lambda: points.compute(ctx.period.start, ctx.period.end))


def submitted(ctx: metrics.Context) -> int:
    return (
        Outcome.objects.filter(ctx.under(Outcome, "org_unit__path"))
        .filter(ctx.period.moments("created_at"))
        .count()
    )


def selected(ctx: metrics.Context) -> int:
    return (
        Entry.objects.filter(ctx.under(Entry, "outcome__org_unit__path"))
        .filter(
            ctx.period.moments("round__announced_at"),
            honoured=True,
            level__in=("county", "city", "province"),
        )
        .count()
    )


def promotions(ctx: metrics.Context) -> int:
    return (
        Promotion.objects.filter(ctx.under(Promotion, "outcome__org_unit__path"))
        .filter(ctx.period.days("date"))
        .count()
    )


def adoptions(ctx: metrics.Context) -> int:
    return (
        Adoption.objects.filter(ctx.under(Adoption, "outcome__org_unit__path"))
        .filter(ctx.period.days("adopted_on"))
        .count()
    )


def unit_points(ctx: metrics.Context) -> Decimal:
    return points.unit_points(_points(ctx), ctx.unit.path)


for key, name, definition, unit, fn, order, digits in (
    (
        "outcomes.submitted",
        _lazy("Outcomes submitted"),
        _lazy("Outcomes and typical cases submitted by the unit or a unit below it."),
        metrics.ITEMS,
        submitted,
        70,
        0,
    ),
    (
        "outcomes.selected",
        _lazy("Outcomes selected at county level or above"),
        _lazy(
            "Outcomes of the unit or a unit below it honoured at county, city or province "
            "level in a selection round announced in the period."
        ),
        metrics.ITEMS,
        selected,
        71,
        0,
    ),
    (
        "outcomes.promotions",
        _lazy("Outcome promotion records"),
        _lazy("Records of the unit's outcomes applied or exhibited in the period."),
        metrics.SESSIONS,
        promotions,
        72,
        0,
    ),
    (
        "outcomes.adoptions",
        _lazy("Outcome adoptions"),
        _lazy("Adoptions of the unit's outcomes by other units in the period."),
        metrics.ITEMS,
        adoptions,
        73,
        0,
    ),
    (
        "outcomes.points",
        _lazy("Outcome points"),
        _lazy(
            "Points the unit and the units below it earned in the period by the nearest "
            "bureau's point table (each record counted once per unit)."
        ),
        metrics.POINTS,
        unit_points,
        74,
        1,
    ),
):
    metrics.register(
        metrics.Metric(
            key=key,
            name=name,
            definition=definition,
            unit=unit,
            compute=fn,
            order=order,
            digits=digits,
        )
    )
