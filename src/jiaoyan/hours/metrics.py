"""The hours' figure in the metric registry (:mod:`jiaoyan.core.metrics`)."""

from __future__ import annotations

from django.db.models import Sum
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
