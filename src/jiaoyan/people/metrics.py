"""The people's figures in the metric registry (:mod:`jiaoyan.core.metrics`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics
from jiaoyan.core.roles import Role

from .models import Person, RoleAssignment


def teachers(ctx: metrics.Context) -> int:
    roles = RoleAssignment.objects.filter(role=Role.TEACHER, is_active=True).values("person_id")
    return (
        Person.objects.filter(status=Person.Status.ACTIVE, pk__in=roles)
        .filter(ctx.under(Person, "org_unit__path"))
        .count()
    )


metrics.register(
    metrics.Metric(
        key="people.teachers",
        name=_lazy("Number of teachers"),
        definition=_lazy(
            "People in post holding an active teacher role whose unit is the unit or lies "
            "below it, as they are now (the period does not apply)."
        ),
        unit=metrics.PERSONS,
        compute=teachers,
        order=11,
    )
)
