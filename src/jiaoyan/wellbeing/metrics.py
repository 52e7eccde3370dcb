"""The screening figures in the metric registry (:mod:`jiaoyan.core.metrics`).

Screening data are restricted: a unit's figure is computed only from the schools whose
group the viewer may see — a school of fewer than 10 screened students is hidden by the
suppression helper (:func:`jiaoyan.core.restricted.suppress_cells`) unless the viewer
holds the wellbeing permission on it — so no published total contains a small group
(subtracting shown figures gives nothing back); and a figure of fewer than 10 students
is itself hidden to a viewer without the permission on the unit."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics, restricted

from .models import Alert, Participation

HANDED_IN = (Participation.Status.FINISHED, Participation.Status.INVALID)


# Keys of the published aggregates (registered in ``apps.py``).
AGGREGATE_FIGURES = "wellbeing.figures"  # a campaign's table by school, grade, gender, class
AGGREGATE_METRICS = "wellbeing.metrics"  # the figures below, per unit


def _schools(ctx: metrics.Context) -> dict[int, dict]:
    """Per school of the subtree: invited, handed in, screened (valid), open and handled
    alerts, and whether the viewer may see the school's group (two queries)."""

    def compute() -> dict[int, dict]:
        period = ctx.period.moments("campaign__starts_at")
        rows = {
            r["school_id"]: {**r, "open": 0, "handled": 0}
            for r in Participation.objects.filter(ctx.under(Participation, "school__path"), period)
            .values("school_id", "school__path")
            .annotate(
                invited=Count("id"),
                handed_in=Count("id", filter=Q(status__in=HANDED_IN)),
                screened=Count("id", filter=Q(status=Participation.Status.FINISHED)),
            )
            .order_by()
        }
        for r in (
            Alert.objects.filter(
                ctx.under(Alert, "school__path"),
                ctx.period.moments("participation__campaign__starts_at"),
            )
            .values("school_id")
            .annotate(
                open=Count("id", filter=Q(status=Alert.Status.OPEN)),
                handled=Count("id", filter=~Q(status=Alert.Status.OPEN)),
            )
            .order_by()
        ):
            if r["school_id"] in rows:
                rows[r["school_id"]].update(open=r["open"], handled=r["handled"])
        hidden = restricted.suppress_cells(
            restricted.Cell(
                sid,
                r["screened"],
                exempt=restricted.has_permission(
                    ctx.viewer, restricted.WELLBEING, r["school__path"]
                ),
            )
            for sid, r in rows.items()
        )
        return {sid: r for sid, r in rows.items() if sid not in hidden}

    return ctx.once("wellbeing.schools", compute)


def _guard(ctx: metrics.Context, value, students: int):
    """The figure, or hidden when fewer than 10 students are behind it."""
    if students < restricted.SMALL_CELL and not restricted.has_permission(
        ctx.viewer, restricted.WELLBEING, ctx.unit
    ):
        return metrics.SUPPRESSED
    return value


def screened(ctx: metrics.Context):
    n = sum(r["screened"] for r in _schools(ctx).values())
    return _guard(ctx, n, n)


def participation_rate(ctx: metrics.Context):
    shown = _schools(ctx).values()
    invited = sum(r["invited"] for r in shown)
    return _guard(ctx, metrics.rate(sum(r["handed_in"] for r in shown), invited), invited)


def alerts_open(ctx: metrics.Context):
    n = sum(r["open"] for r in _schools(ctx).values())
    return _guard(ctx, n, n)


def alerts_handled(ctx: metrics.Context):
    n = sum(r["handled"] for r in _schools(ctx).values())
    return _guard(ctx, n, n)


metrics.register(
    metrics.Metric(
        key="wellbeing.screened",
        name=_lazy("Students screened"),
        definition=_lazy(
            "Students of the schools below the unit who finished a valid questionnaire in "
            "a screening campaign that opened within the period. Schools with fewer than 10 "
            "screened students are left out, and the figure is hidden under 10 students."
        ),
        unit=metrics.PERSONS,
        compute=screened,
        order=70,
    )
)
metrics.register(
    metrics.Metric(
        key="wellbeing.participation_rate",
        name=_lazy("Screening participation rate"),
        definition=_lazy(
            "Questionnaires handed in (valid or not) as a share of the students invited, in "
            "the screening campaigns that opened within the period. Schools with fewer than "
            "10 screened students are left out, and the figure is hidden under 10 students."
        ),
        unit=metrics.PERCENT,
        compute=participation_rate,
        order=71,
        digits=1,
    )
)
metrics.register(
    metrics.Metric(
        key="wellbeing.alerts_open",
        name=_lazy("Screening alerts open"),
        definition=_lazy(
            "Alerts (crisis items and high risk levels) raised in the campaigns that opened "
            "within the period and not yet handled. Schools with fewer than 10 screened "
            "students are left out, and the figure is hidden under 10 alerts."
        ),
        unit=metrics.PERSON_TIMES,
        compute=alerts_open,
        order=72,
    )
)
metrics.register(
    metrics.Metric(
        key="wellbeing.alerts_handled",
        name=_lazy("Screening alerts handled"),
        definition=_lazy(
            "Alerts raised in the campaigns that opened within the period and handled by "
            "the school's counsellors. Schools with fewer than 10 screened students are left "
            "out, and the figure is hidden under 10 alerts."
        ),
        unit=metrics.PERSON_TIMES,
        compute=alerts_handled,
        order=73,
    )
)
