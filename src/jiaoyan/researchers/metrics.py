"""The researchers app's main figures in the metric registry (:mod:`jiaoyan.core.metrics`):
serving researchers of the unit's institutes and the share
of (researcher, liaison school) pairs reached — visited or observed — in the period."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics
from jiaoyan.observations.models import Observation

from . import queries
from .models import ResearcherProfile, Visit


def _profiles(ctx: metrics.Context):
    return ResearcherProfile.objects.filter(
        ctx.under(ResearcherProfile, "org_unit__path"), status=ResearcherProfile.Status.ACTIVE
    )


def researchers(ctx: metrics.Context) -> int:
    return _profiles(ctx).count()


def liaison_reach(ctx: metrics.Context) -> float | None:
    start, end = ctx.period.start, ctx.period.end
    people = _profiles(ctx).values("person_id")
    pairs = {(pid, school) for pid, school, _name in queries.liaison_pairs(people, start, end)}
    if not pairs:
        return None
    reached = set(
        Visit.objects.filter(researcher_id__in=people, date__range=(start, end)).values_list(
            "researcher_id", "school_id"
        )
    )
    person_of = dict(
        _profiles(ctx).exclude(person__user_id=None).values_list("person__user_id", "person_id")
    )
    reached |= {
        (person_of[user], school)
        for user, school in Observation.objects.filter(
            observer_id__in=list(person_of),
            status=Observation.Status.SUBMITTED,
            date__range=(start, end),
        )
        .values_list("observer_id", "org_unit_id")
        .order_by()
        .distinct()
    }
    return metrics.rate(len(pairs & reached), len(pairs))


for key, name, definition, unit, fn, order, digits in (
    (
        "researchers.serving",
        _lazy("Serving researchers"),
        _lazy("Researchers with a profile at an institute in the unit's subtree, not exited."),
        metrics.PERSONS,
        researchers,
        60,
        0,
    ),
    (
        "researchers.liaison_reach",
        _lazy("Liaison schools reached"),
        _lazy(
            "Of the pairs of a serving researcher and a liaison school assigned in the period, "
            "the share the researcher visited or observed a lesson at within it."
        ),
        metrics.PERCENT,
        liaison_reach,
        61,
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

# Admission (准入), the self-review and the annual appraisal register their own figures.
from . import metrics_admission, metrics_appraisal  # noqa: E402, F401
