"""The work ledger's figures in the metric registry (:mod:`jiaoyan.core.metrics`): one
aggregate query gives all three."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import OPEN_STATUSES, Item, Status


def _totals(ctx: metrics.Context) -> dict:
    def read() -> dict:
        today = timezone.localdate()
        return (
            Item.objects.filter(ctx.under(Item, "responsible_unit__path"))
            .filter(ctx.period.days("due_on"))
            .exclude(status=Status.CANCELLED)
            .aggregate(
                items=Count("pk"),
                completed=Count("pk", filter=Q(status__in=[Status.DONE, Status.VERIFIED])),
                overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
            )
        )

    return ctx.once("ledger", read)


def items(ctx: metrics.Context) -> int:
    return _totals(ctx)["items"]


def completion_rate(ctx: metrics.Context) -> float | None:
    t = _totals(ctx)
    return metrics.rate(t["completed"], t["items"])


def overdue(ctx: metrics.Context) -> int:
    return _totals(ctx)["overdue"]


metrics.register(
    metrics.Metric(
        key="ledger.items",
        name=_lazy("Ledger items due"),
        definition=_lazy(
            "Work ledger items whose responsible unit is the unit or lies below it, with a "
            "deadline within the period (cancelled items are not counted)."
        ),
        unit=metrics.ITEMS,
        compute=items,
        order=40,
    )
)
metrics.register(
    metrics.Metric(
        key="ledger.completion_rate",
        name=_lazy("Ledger completion rate"),
        definition=_lazy("Those items marked done or verified, as a share of all of them."),
        unit=metrics.PERCENT,
        compute=completion_rate,
        order=41,
        digits=1,
    )
)
metrics.register(
    metrics.Metric(
        key="ledger.overdue",
        name=_lazy("Overdue ledger items"),
        definition=_lazy(
            "Those items still not started or in progress although their deadline has passed "
            "(as of today)."
        ),
        unit=metrics.ITEMS,
        compute=overdue,
        order=42,
    )
)
