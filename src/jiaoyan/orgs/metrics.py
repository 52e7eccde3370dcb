"""The organisation's figures in the metric registry (:mod:`jiaoyan.core.metrics`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import OrgUnit


def schools(ctx: metrics.Context) -> int:
    return (
        OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL, is_active=True)
        .filter(path__under=ctx.unit.path)
        .count()
    )


metrics.register(
    metrics.Metric(
        key="orgs.schools",
        name=_lazy("Number of schools"),
        definition=_lazy(
            "Active schools in the unit and every unit below it, as they are now (the period "
            "does not apply)."
        ),
        unit=metrics.SCHOOLS,
        compute=schools,
        order=10,
    )
)
