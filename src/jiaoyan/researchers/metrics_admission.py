"""Admission (准入) figures in the metric registry: the applications to the rounds of the
unit's bureaus that opened in the period, and how many of them were appointed."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics

from .models import AdmissionApplication


def _counts(ctx: metrics.Context) -> dict:
    def compute() -> dict:
        return AdmissionApplication.objects.filter(
            ctx.under(AdmissionApplication, "org_unit__path"),
            round__opens_on__range=(ctx.period.start, ctx.period.end),
        ).aggregate(
            applied=Count("pk", filter=~Q(status=AdmissionApplication.Status.WITHDRAWN)),
            appointed=Count("pk", filter=Q(status=AdmissionApplication.Status.APPOINTED)),
        )

    return ctx.once("researchers.admission", compute)


def applications(ctx: metrics.Context) -> int:
    return _counts(ctx)["applied"]


def appointed(ctx: metrics.Context) -> int:
    return _counts(ctx)["appointed"]


for key, name, definition, fn, order in (
    (
        "researchers.admission_applications",
        _lazy("Admission applications"),
        _lazy(
            "Applications (not withdrawn) to the researcher admission rounds of the bureaus "
            "in the unit's subtree that opened in the period."
        ),
        applications,
        62,
    ),
    (
        "researchers.admission_appointed",
        _lazy("Researchers appointed through admission"),
        _lazy(
            "Candidates of the admission rounds of the bureaus in the unit's subtree that "
            "opened in the period who were appointed researchers."
        ),
        appointed,
        63,
    ),
):
    metrics.register(
        metrics.Metric(
            key=key,
            name=name,
            definition=definition,
            unit=metrics.PERSONS,
            compute=fn,
            order=order,
            digits=0,
        )
    )
