"""Pairing assistance's figures in the metric registry (:mod:`jiaoyan.core.metrics`).

A pairing counts for a unit when either side lies in the unit's subtree (a city counts
the pairings its schools give and receive); funds and people sent follow their pairing."""

from __future__ import annotations

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import Fund, Pairing, PersonSent


def _pairings(ctx: metrics.Context):
    def ids():
        sides = ctx.under(Pairing, "helping_unit__path") | ctx.under(Pairing, "helped_unit__path")
        running = Q(start_date__lte=ctx.period.end, end_date__gte=ctx.period.start)
        return list(Pairing.objects.filter(sides, running).values_list("pk", flat=True))

    return ctx.once("pairing.ids", ids)


def pairings(ctx: metrics.Context):
    return len(_pairings(ctx))


def funds(ctx: metrics.Context):
    total = (
        Fund.objects.filter(pairing_id__in=_pairings(ctx))
        .filter(ctx.period.days("date"))
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or 0


def people_sent(ctx: metrics.Context):
    running = Q(start_date__lte=ctx.period.end, end_date__gte=ctx.period.start)
    return (
        PersonSent.objects.filter(running, pairing_id__in=_pairings(ctx))
        .values("person_id")
        .distinct()
        .count()
    )


metrics.register(
    metrics.Metric(
        key="pairing.pairings",
        name=_lazy("Pairings running"),
        definition=_lazy(
            "Pairings (结对帮扶) running at some time in the period one of whose sides is "
            "the unit or lies below it."
        ),
        unit=metrics.ITEMS,
        compute=pairings,
        order=70,
    )
)
metrics.register(
    metrics.Metric(
        key="pairing.funds",
        name=_lazy("Assistance funds"),
        definition=_lazy(
            "Yuan of assistance funds dated within the period, under the pairings counted "
            "in “Pairings running”."
        ),
        unit=metrics.YUAN,
        compute=funds,
        order=71,
        digits=2,
    )
)
metrics.register(
    metrics.Metric(
        key="pairing.people_sent",
        name=_lazy("People sent"),
        definition=_lazy(
            "Distinct people sent (support teaching or stationed) at some time in the "
            "period under the pairings counted in “Pairings running”."
        ),
        unit=metrics.PERSONS,
        compute=people_sent,
        order=72,
    )
)
