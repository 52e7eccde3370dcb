"""The appraisal's figures in the metric registry: the share of the year's confirmed
appraisals graded 优秀 and 不合格 (grades of people: hidden, through core's small-cell
suppression, where fewer appraisals stand behind the share than the threshold), the share
of serving researchers whose appraisal the bureau confirmed, and the self-reviews
submitted. Imported by metrics.py."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import metrics, restricted

from .models import Appraisal, Grade, ResearcherProfile, SelfReview


def _years(ctx: metrics.Context) -> tuple[int, int]:
    return ctx.period.start.year, ctx.period.end.year


def _grades(ctx: metrics.Context) -> dict:
    def count():
        return Appraisal.objects.filter(
            ctx.under(Appraisal, "org_unit__path"),
            status=Appraisal.Status.CONFIRMED,
            year__range=_years(ctx),
        ).aggregate(
            n=Count("id"),
            excellent=Count("id", filter=Q(grade=Grade.EXCELLENT)),
            unqualified=Count("id", filter=Q(grade=Grade.UNQUALIFIED)),
        )

    return ctx.once("researchers.grades", count)


def _share(ctx: metrics.Context, grade: str):
    g = _grades(ctx)
    if not g["n"]:
        return None
    # A grade is a person's: a share over fewer appraisals than the threshold is hidden.
    if "all" in restricted.suppress_cells([restricted.Cell("all", g["n"])]):
        return metrics.SUPPRESSED
    return metrics.rate(g[grade], g["n"])


def excellent_share(ctx: metrics.Context):
    return _share(ctx, "excellent")


def unqualified_share(ctx: metrics.Context):
    return _share(ctx, "unqualified")


def confirmed_share(ctx: metrics.Context):
    serving = ResearcherProfile.objects.filter(
        ctx.under(ResearcherProfile, "org_unit__path"), status=ResearcherProfile.Status.ACTIVE
    )
    n = serving.count()
    if not n:
        return None
    done = (
        Appraisal.objects.filter(
            profile__in=serving, status=Appraisal.Status.CONFIRMED, year__range=_years(ctx)
        )
        .values("profile_id")
        .distinct()
        .count()
    )
    return metrics.rate(done, n)


def self_reviews(ctx: metrics.Context) -> int:
    return SelfReview.objects.filter(
        ctx.under(SelfReview, "org_unit__path"),
        status=SelfReview.Status.SUBMITTED,
        year__range=_years(ctx),
    ).count()


for key, name, definition, unit, fn, order, digits in (
    (
        "researchers.appraisal_excellent",
        _lazy("Appraisals graded excellent"),
        _lazy(
            "Share of the confirmed annual appraisals of the unit's researchers, for the "
            "years of the period, graded excellent; hidden when fewer than the small-group "
            "threshold stand behind it."
        ),
        metrics.PERCENT,
        excellent_share,
        62,
        1,
    ),
    (
        "researchers.appraisal_unqualified",
        _lazy("Appraisals graded unqualified"),
        _lazy(
            "Share of the confirmed annual appraisals of the unit's researchers, for the "
            "years of the period, graded unqualified; hidden when fewer than the small-group "
            "threshold stand behind it."
        ),
        metrics.PERCENT,
        unqualified_share,
        63,
        1,
    ),
    (
        "researchers.appraisal_confirmed",
        _lazy("Appraisals confirmed"),
        _lazy(
            "Share of the unit's serving researchers whose annual appraisal for a year of "
            "the period the bureau confirmed."
        ),
        metrics.PERCENT,
        confirmed_share,
        64,
        1,
    ),
    (
        "researchers.self_reviews",
        _lazy("Self-reviews submitted"),
        _lazy(
            "Professional-standard self-reviews the unit's researchers submitted for the "
            "years of the period."
        ),
        metrics.ITEMS,
        self_reviews,
        65,
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
