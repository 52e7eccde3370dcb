"""The communities' main figures in the metric registry (:mod:`jiaoyan.core.metrics`): the
coverage of the unit's subtree as of the period's last day (:func:`queries.coverage`,
computed once for all of them) and the activities communities held in the period."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.activities.models import Activity
from jiaoyan.core import metrics

from . import progress, queries
from .models import Kind


def _coverage(ctx: metrics.Context) -> dict:
    return ctx.once(
        "communities.coverage", lambda: queries.coverage(ctx.unit, ctx.period.end, lists=False)
    )


def _kind(ctx: metrics.Context, kind: str):
    return next(k for k in _coverage(ctx)["kinds"] if k.kind == kind)


def communities(ctx: metrics.Context) -> int:
    return _coverage(ctx)["communities"]


def studio_teachers(ctx: metrics.Context) -> int:
    return _kind(ctx, Kind.STUDIO).participants


def consortium_schools(ctx: metrics.Context) -> int:
    return _kind(ctx, Kind.CONSORTIUM).participants


def studio_rural_weak_share(ctx: metrics.Context) -> float | None:
    share = _kind(ctx, Kind.STUDIO).share
    return None if share is None else float(share)


def activities_held(ctx: metrics.Context) -> int:
    return (
        Activity.objects.filter(ctx.under(Activity, "org_unit__path"))
        .filter(progress.held_q(), ctx.period.moments("starts_at"), community__isnull=False)
        .count()
    )


_COVERAGE = _lazy(
    "Communities owned by the unit or a unit below it whose period holds the period's last "
    "day; members are those current on that day."
)

for key, name, definition, unit, fn, order, digits in (
    (
        "communities.count",
        _lazy("Communities of practice"),
        _COVERAGE,
        metrics.ITEMS,
        communities,
        60,
        0,
    ),
    (
        "communities.studio_teachers",
        _lazy("Teachers in studios"),
        _lazy("Distinct persons who are current members of those teacher studios."),
        metrics.PERSONS,
        studio_teachers,
        61,
        0,
    ),
    (
        "communities.consortium_schools",
        _lazy("Schools in consortia"),
        _lazy(
            "Distinct schools that are current members (or the leading school) of those "
            "school consortia."
        ),
        metrics.SCHOOLS,
        consortium_schools,
        62,
        0,
    ),
    (
        "communities.studio_rural_weak_share",
        _lazy("Studio members from rural or weak schools"),
        _lazy(
            "Of the teachers in those studios, the share employed by a rural school or a "
            "school flagged weak."
        ),
        metrics.PERCENT,
        studio_rural_weak_share,
        63,
        1,
    ),
    (
        "communities.activities_held",
        _lazy("Activities held by communities"),
        _lazy(
            "Activities organised in the unit's subtree for a community of practice, "
            "starting within the period, in which at least one person checked in."
        ),
        metrics.SESSIONS,
        activities_held,
        64,
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
