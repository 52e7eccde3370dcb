"""The resource library's main figures in the metric registry
(:mod:`jiaoyan.core.metrics`), computed as the statistics page computes them
(:mod:`.stats`): resources published in the unit's subtree in the period, the share of
its schools that published at least one, the uses in lessons recorded, and the median
review turnaround."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics
from jiaoyan.orgs.models import OrgUnit

from . import stats


def _published(ctx: metrics.Context) -> dict:
    def compute() -> dict:
        per_unit = stats.published_in(ctx.unit, ctx.period)
        schools = OrgUnit.objects.filter(pk__in=list(per_unit), kind=OrgUnit.Kind.SCHOOL)
        return {"n": sum(per_unit.values()), "schools": schools.count()}

    return ctx.once("resources.published", compute)


def published(ctx: metrics.Context) -> int:
    return _published(ctx)["n"]


def contributing_share(ctx: metrics.Context) -> float | None:
    return metrics.rate(_published(ctx)["schools"], stats.active_schools(ctx.unit))


def uses(ctx: metrics.Context) -> int:
    return stats.uses_in(ctx.unit, ctx.period)


def median_turnaround(ctx: metrics.Context) -> float | None:
    return stats.percentile(stats.merged(stats.turnaround(ctx.unit, ctx.period).values()), 0.5)


for key, name, definition, unit, fn, order, digits in (
    (
        "resources.published",
        _lazy("Resources published"),
        _lazy(
            "Resources of the unit and the units below it published in the library within "
            "the period, after review."
        ),
        metrics.ITEMS,
        published,
        80,
        0,
    ),
    (
        "resources.contributing_schools",
        _lazy("Schools contributing resources"),
        _lazy(
            "Of the schools in the unit's subtree, the share that published at least one "
            "resource within the period."
        ),
        metrics.PERCENT,
        contributing_share,
        81,
        1,
    ),
    (
        "resources.uses",
        _lazy("Uses of resources in lessons"),
        _lazy(
            "Times teachers recorded that they used a resource of the unit's subtree in a "
            "lesson on a day within the period."
        ),
        metrics.PERSON_TIMES,
        uses,
        82,
        0,
    ),
    (
        "resources.review_turnaround",
        _lazy("Median review turnaround"),
        _lazy(
            "For the decisions (published, returned, rejected) on the subtree's resources "
            "within the period: the median time from the submission to the decision, in days."
        ),
        metrics.DAYS,
        median_turnaround,
        83,
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
