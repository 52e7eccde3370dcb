"""Research projects' main figures in the metric registry (:mod:`jiaoyan.core.metrics`):
projects hosted in the unit's subtree approved in the period, those concluded in it and
the share of them graded excellent, and the stages overdue now."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import Grade, Project


def _hosted(ctx: metrics.Context):
    return Project.objects.filter(ctx.under(Project, "org_unit__path"))


def approved(ctx: metrics.Context) -> int:
    return _hosted(ctx).filter(ctx.period.days("approved_on")).count()


def _concluded(ctx: metrics.Context):
    def compute():
        return (
            _hosted(ctx)
            .filter(ctx.period.days("concluded_on"), status=Project.Status.CONCLUDED)
            .aggregate(n=Count("id"), excellent=Count("id", filter=Q(grade=Grade.EXCELLENT)))
        )

    return ctx.once("projects.concluded", compute)


def concluded(ctx: metrics.Context) -> int:
    return _concluded(ctx)["n"]


def excellent_rate(ctx: metrics.Context) -> float | None:
    c = _concluded(ctx)
    return metrics.rate(c["excellent"], c["n"])


def overdue(ctx: metrics.Context) -> int:
    return (
        _hosted(ctx).filter(status=Project.Status.ONGOING, due_on__lt=timezone.localdate()).count()
    )


for key, name, definition, unit, fn, order, digits in (
    (
        "projects.approved",
        _lazy("Research projects approved"),
        _lazy("Projects hosted by the unit or a unit below it approved within the period."),
        metrics.ITEMS,
        approved,
        60,
        0,
    ),
    (
        "projects.concluded",
        _lazy("Research projects concluded"),
        _lazy("Those projects concluded within the period, whatever their grade."),
        metrics.ITEMS,
        concluded,
        61,
        0,
    ),
    (
        "projects.excellent_rate",
        _lazy("Share of conclusions graded excellent"),
        _lazy("Of the projects concluded within the period, the share graded excellent."),
        metrics.PERCENT,
        excellent_rate,
        62,
        1,
    ),
    (
        "projects.overdue",
        _lazy("Overdue project stages"),
        _lazy(
            "Ongoing projects hosted by the unit or a unit below it whose current stage is "
            "past its deadline today (the period does not apply)."
        ),
        metrics.ITEMS,
        overdue,
        63,
        0,
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
