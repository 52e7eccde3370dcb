"""The research activities' figures in the metric registry (:mod:`jiaoyan.core.metrics`):
one aggregate query gives all three."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import Activity

HELD = (Activity.Status.PUBLISHED, Activity.Status.IN_PROGRESS, Activity.Status.FINISHED)


def _totals(ctx: metrics.Context) -> dict:
    def read() -> dict:
        return (
            Activity.objects.filter(ctx.under(Activity, "org_unit__path"))
            .filter(ctx.period.moments("starts_at"), status__in=HELD)
            .aggregate(
                held=Count("pk"),
                participants=Sum("participant_count"),
                checked_in=Sum("checked_in_count"),
            )
        )

    return ctx.once("activities", read)


def held(ctx: metrics.Context) -> int:
    return _totals(ctx)["held"]


def participations(ctx: metrics.Context) -> int:
    return _totals(ctx)["participants"] or 0


def checkin_rate(ctx: metrics.Context) -> float | None:
    t = _totals(ctx)
    return metrics.rate(t["checked_in"], t["participants"])


_SCOPE = _lazy(
    "Activities organised by the unit or a unit below it, starting within the period, "
    "published, in progress or finished (drafts and cancelled activities are not counted)."
)

metrics.register(
    metrics.Metric(
        key="activities.held",
        name=_lazy("Activities held"),
        definition=_SCOPE,
        unit=metrics.SESSIONS,
        compute=held,
        order=20,
    )
)
metrics.register(
    metrics.Metric(
        key="activities.participations",
        name=_lazy("Participations"),
        definition=_lazy(
            "Invited or registered participants of those activities, one per person and "
            "activity (people who declined are not counted)."
        ),
        unit=metrics.PERSON_TIMES,
        compute=participations,
        order=21,
    )
)
metrics.register(
    metrics.Metric(
        key="activities.checkin_rate",
        name=_lazy("Check-in rate"),
        definition=_lazy(
            "Participants of those activities who checked in, as a share of all their participants."
        ),
        unit=metrics.PERCENT,
        compute=checkin_rate,
        order=22,
        digits=1,
    )
)
