"""The hours' figure in the metric registry (:mod:`jiaoyan.core.metrics`)."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import HoursRecord


def credited(ctx: metrics.Context):
    total = (
        HoursRecord.objects.filter(ctx.under(HoursRecord, "person__org_unit__path"))
        .filter(ctx.period.days("date"))
        .aggregate(total=Sum("hours"))["total"]
    )
    return total or 0


metrics.register(
    metrics.Metric(
        key="hours.credited",
        name=_lazy("Hours credited"),
        definition=_lazy(
            "Class hours credited to people whose unit is the unit or lies below it, for "
            "activities and programmes dated within the period."
        ),
        unit=metrics.HOURS,
        compute=credited,
        order=60,
        digits=1,
    )
)


def _cycle_figures(ctx: metrics.Context) -> dict:
    """People with a current cycle under the unit, their hours counted, and how many are
    behind schedule at the end of the period."""
    from . import rules
    from .models import HoursCycle

    def compute() -> dict:
        qs = HoursCycle.objects.filter(ctx.under(HoursCycle, "person__org_unit__path")).filter(
            is_current=True
        )
        agg = qs.aggregate(n=Count("id"), total=Sum("earned"))
        pairs = set(qs.order_by().values_list("start_year", "end_year").distinct())
        behind = qs.filter(rules.behind_q(pairs, ctx.period.end)).count() if pairs else 0
        return {"n": agg["n"] or 0, "total": agg["total"] or 0, "behind": behind}

    return ctx.once("hours.cycles", compute)


def per_person(ctx: metrics.Context):
    f = _cycle_figures(ctx)
    return round(float(f["total"]) / f["n"], 1) if f["n"] else None


def behind_share(ctx: metrics.Context):
    f = _cycle_figures(ctx)
    return round(100 * f["behind"] / f["n"], 1) if f["n"] else None


metrics.register(
    metrics.Metric(
        key="hours.per_person",
        name=_lazy("Hours per person in the current cycle"),
        definition=_lazy(
            "Hours counted (after the yearly caps) in the current continuing-education cycle, "
            "averaged over the people under the unit who have one."
        ),
        unit=metrics.HOURS,
        compute=per_person,
        order=61,
        digits=1,
    )
)
metrics.register(
    metrics.Metric(
        key="hours.behind_share",
        name=_lazy("Share behind schedule"),
        definition=_lazy(
            "Share of the people under the unit with a current cycle whose hours counted are "
            "below the required hours times the share of the cycle gone by at the end of the "
            "period."
        ),
        unit=metrics.PERCENT,
        compute=behind_share,
        order=62,
        digits=1,
    )
)
