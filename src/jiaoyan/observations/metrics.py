"""The lesson observations' figures in the metric registry (:mod:`jiaoyan.core.metrics`):
one aggregate query gives both."""

from __future__ import annotations

from django.db.models import Avg, Count
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import Observation


def _totals(ctx: metrics.Context) -> dict:
    def read() -> dict:
        return (
            Observation.objects.filter(unit_path__under=ctx.unit.path)
            .filter(ctx.period.days("date"), status=Observation.Status.SUBMITTED)
            .aggregate(lessons=Count("pk"), mean=Avg("total"))
        )

    return ctx.once("observations", read)


def lessons(ctx: metrics.Context) -> int:
    return _totals(ctx)["lessons"]


def mean_score(ctx: metrics.Context) -> float | None:
    mean = _totals(ctx)["mean"]
    return None if mean is None else round(float(mean), 1)


metrics.register(
    metrics.Metric(
        key="observations.lessons",
        name=_lazy("Lessons observed"),
        definition=_lazy(
            "Submitted observations of lessons given at schools in the unit's subtree, "
            "dated within the period (drafts are not counted)."
        ),
        unit=metrics.LESSONS,
        compute=lessons,
        order=30,
    )
)
metrics.register(
    metrics.Metric(
        key="observations.mean_score",
        name=_lazy("Mean observation score"),
        definition=_lazy(
            "Mean total score of those observations, each scored on the rubric version it "
            "was observed with."
        ),
        unit=metrics.POINTS,
        compute=mean_score,
        order=31,
        digits=1,
    )
)
