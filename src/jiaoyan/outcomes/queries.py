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


def overview(user, round=None, within=None) -> dict[str, Any]:
    """Outcomes of a scope (the user's, under ``within`` when given) by kind, and one
    selection round's recommendations per level and kind with their results.

    The entries counted are those the user sees (sent by or to their units, as on the
    round's pages), and — once the round is announced — every entry of an outcome they
    see: a level's choice is not known below it before the results are. Counts of
    outcomes are no restricted data (no person's or student's figures): no suppression."""
    from jiaoyan.core.rounds import level_order

    from .models import Entry, Honour, Kind

    seen = Outcome.objects.visible_to(user)
    if within is not None:
        seen = seen.filter(org_unit__path__startswith=within.path)
    by_kind = dict(seen.order_by().values_list("kind").annotate(n=Count("pk")))
    kinds = [(k.value, k.label) for k in Kind]
    out: dict[str, Any] = {
        "kinds": [(label, by_kind.get(value, 0)) for value, label in kinds],
        "total": sum(by_kind.values()),
        "round": round,
        "levels": [],
        "rows": [],
    }
    if round is None:
        return out
    if round.announced_at is None:
        entries = Entry.objects.visible_to(user).filter(round=round)
    else:  # the outcomes seen (a read from their visible_to) carry their entries
        entries = Entry.objects.filter(round=round)
    entries = entries.filter(outcome_id__in=seen.values("pk"), withdrawn_at__isnull=True).order_by()
    counts: dict[tuple[str, str], list[int]] = {}
    for level, kind, honoured, n in entries.values_list(
        "level", "outcome__kind", "honoured"
    ).annotate(n=Count("pk")):
        cell = counts.setdefault((level, kind), [0, 0])
        cell[0] += n
        if honoured:
            cell[1] += n
    levels = sorted(round.levels, key=level_order)
    label = dict(Honour.choices)
    for level in levels:
        rec = sum(counts.get((level, k), [0, 0])[0] for k, _l in kinds)
        sel = sum(counts.get((level, k), [0, 0])[1] for k, _l in kinds)
        out["levels"].append(
            {"level": level, "label": label[level], "entries": rec, "honoured": sel}
        )
        for value, kind_label in kinds:
            rec_k, sel_k = counts.get((level, value), [0, 0])
            if rec_k:
                out["rows"].append(
                    {
                        "level": label[level],
                        "kind": kind_label,
                        "entries": rec_k,
                        "honoured": sel_k,
                    }
                )
    return out
