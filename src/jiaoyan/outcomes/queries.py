"""Reads of outcomes: the scoped lists, an outcome's reach (promotion records and
adoptions, with the chart), and the overview of a scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from jiaoyan.core import charts
from jiaoyan.projects.models import Project

from .models import Adoption, Outcome, Promotion


def outcomes(user) -> QuerySet[Outcome]:
    return Outcome.objects.visible_to(user)


def promotions(user) -> QuerySet[Promotion]:
    return Promotion.objects.visible_to(user)


def adoptions(user) -> QuerySet[Adoption]:
    return Adoption.objects.visible_to(user)


def reach(user, outcome: Outcome) -> dict[str, Any]:
    """Where ``outcome`` was applied or shown and who adopted it: the rows (the latest
    50 of each), the counts (records, participants, distinct units) and a chart of both
    by year."""
    proms = promotions(user).filter(outcome=outcome)
    adopts = adoptions(user).filter(outcome=outcome)
    p_sum = proms.aggregate(
        n=Count("id"), people=Sum("participants"), units=Count("org_unit", distinct=True)
    )
    a_n = adopts.aggregate(n=Count("id"), units=Count("org_unit", distinct=True))
    by_year: dict[int, list[int]] = {}
    for d, n in proms.order_by().values_list("date__year").annotate(n=Count("id")):
        by_year.setdefault(d, [0, 0])[0] = n
    for d, n in adopts.order_by().values_list("adopted_on__year").annotate(n=Count("id")):
        by_year.setdefault(d, [0, 0])[1] = n
    years = sorted(by_year)
    chart = None
    if years:
        chart = charts.bar(
            [str(y) for y in years],
            [by_year[y][0] for y in years],
            title=_("Reach by year"),
            name=_("Promotion records"),
        )
        chart["legend"] = {"bottom": 0}
        chart["series"].append(
            {
                "type": "bar",
                "name": _("Adoptions"),
                "data": [by_year[y][1] for y in years],
                "barMaxWidth": 36,
                "label": {"show": True, "position": "top"},
            }
        )
    return {
        "promotions": list(proms.select_related("org_unit", "activity")[:50]),
        "adoptions": list(adopts.select_related("org_unit")[:50]),
        "promotion_count": p_sum["n"],
        "participants": p_sum["people"] or 0,
        "promotion_units": p_sum["units"],
        "adoption_count": a_n["n"],
        "adoption_units": a_n["units"],
        "chart": chart,
    }


def project_visible(user, outcome: Outcome) -> bool:
    """Whether ``user`` may see the research project ``outcome`` came from (its title and
    link are shown only then)."""
    if outcome.project_id is None:
        return False
    return Project.objects.visible_to(user).filter(pk=outcome.project_id).exists()
