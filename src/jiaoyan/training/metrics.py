"""Training's main figures in the metric registry (:mod:`jiaoyan.core.metrics`):
programmes organised in the unit's subtree and starting in the period, the people they
enrolled, the share who completed, and the hours they credited."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import Enrolment, Programme


def _programmes(ctx: metrics.Context):
    return (
        Programme.objects.filter(ctx.under(Programme, "org_unit__path"))
        .filter(ctx.period.days("starts_on"))
        .exclude(status=Programme.Status.DRAFT)
    )


def _enrolments(ctx: metrics.Context):
    def compute():
        return Enrolment.objects.filter(
            programme__in=_programmes(ctx), status=Enrolment.Status.ENROLLED
        ).aggregate(
            n=Count("id"),
            done=Count("id", filter=Q(outcome=Enrolment.Outcome.COMPLETED)),
            decided=Count("id", filter=~Q(outcome="")),
            hours=Sum("hours_earned", filter=Q(outcome=Enrolment.Outcome.COMPLETED)),
            adj=Sum("hours_adjustment", filter=Q(outcome=Enrolment.Outcome.COMPLETED)),
        )

    return ctx.once("training.enrolments", compute)


def programmes(ctx: metrics.Context) -> int:
    return _programmes(ctx).count()


def participants(ctx: metrics.Context) -> int:
    return _enrolments(ctx)["n"]


def completion_rate(ctx: metrics.Context) -> float | None:
    e = _enrolments(ctx)
    return metrics.rate(e["done"], e["decided"])


def hours_credited(ctx: metrics.Context) -> Decimal:
    e = _enrolments(ctx)
    return (e["hours"] or Decimal("0")) + (e["adj"] or Decimal("0"))


for key, name, definition, unit, fn, order, digits in (
    (
        "training.programmes",
        _lazy("Training programmes"),
        _lazy(
            "Programmes organised by the unit or a unit below it, open, running or closed, "
            "whose first session falls within the period."
        ),
        metrics.ITEMS,
        programmes,
        50,
        0,
    ),
    (
        "training.participants",
        _lazy("Training participants"),
        _lazy("Enrolments (not waiting, not withdrawn) in those programmes."),
        metrics.PERSONS,
        participants,
        51,
        0,
    ),
    (
        "training.completion_rate",
        _lazy("Training completion rate"),
        _lazy(
            "Of the participants whose completion was computed, the share who met the "
            "programme's rule."
        ),
        metrics.PERCENT,
        completion_rate,
        52,
        1,
    ),
    (
        "training.hours_credited",
        _lazy("Training hours credited"),
        _lazy(
            "Hours credited to the participants who completed those programmes, "
            "corrections included."
        ),
        metrics.HOURS,
        hours_credited,
        53,
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
