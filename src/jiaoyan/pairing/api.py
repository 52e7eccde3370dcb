"""API of pairing assistance: pairings, their funds and people sent (list, detail,
filters, writes through the same services), and the pairing's figures."""

from ninja import Router

from jiaoyan.core import restricted
from jiaoyan.core.api_crud import Resource
from jiaoyan.quality.aggregates import ANALYSIS

from . import queries, services
from .models import Fund, Pairing, PersonSent
from .schemas import (
    FiguresOut,
    FundFilter,
    FundIn,
    FundOut,
    PairingFilter,
    PairingIn,
    PairingOut,
    PersonSentFilter,
    PersonSentIn,
    PersonSentOut,
)

router = Router(tags=["pairing"])

IN_PAIRING = ("pairing", Pairing)


pairings = Resource(
    router,
    "/pairings/{pairing_id}",
    Pairing.objects.select_related("helping_unit", "helped_unit"),
    out=PairingOut,
)
pairings.list(
    filters=PairingFilter, order=("-start_date", "-id"), summary="Pairings (结对帮扶)"
).get().create(services.create_pairing, PairingIn, summary="Create a pairing")


def _figure(figs) -> dict | None:
    if figs is None:
        return None
    return {"n": figs.n, "units": figs.units, "hidden": figs.hidden, **figs.values}


def _exam(exam) -> dict | None:
    return None if exam is None else {"id": exam.pk, "name": exam.name, "date": exam.date}


@router.get(
    "/pairings/{pairing_id}/figures",
    response=FiguresOut,
    summary="What changed for the helped side (the pairing page's figures)",
)
@restricted.publishes(ANALYSIS)
def pairing_figures(request, pairing_id: int):
    pairing = pairings.one(request, pairing_id)
    q = queries.quality_comparison(pairing, request.auth)
    obs = queries.observation_averages(pairing)
    hours = queries.joint_hours(pairing)
    funds = queries.fund_totals([pairing.pk])
    sent = queries.people_sent_totals([pairing.pk])
    return {
        "pairing": pairing.pk,
        "before_exam": _exam(q.before),
        "after_exam": _exam(q.after),
        "helped_before": _figure(q.helped.get("before")),
        "helped_after": _figure(q.helped.get("after")),
        "comparable_before": _figure(q.comparable.get("before")),
        "comparable_after": _figure(q.comparable.get("after")),
        "comparable_units": q.comparable_units,
        "observations_before": obs["before"],
        "observations_after": obs["after"],
        "joint_hours": float(hours["total"]),
        "joint_hours_people": hours["people"],
        "funds_total": float(funds["total"]),
        "funds_per_year": [
            {"year": r["year"], "total": float(r["total"]), "count": r["count"]}
            for r in funds["per_year"]
        ],
        "people_sent": sent["people"],
    }


Resource(
    router, "/pairing-funds/{fund_id}", Fund.objects.select_related("pairing"), out=FundOut
).list(filters=FundFilter, order=("-date", "-id"), summary="Assistance funds").get().create(
    services.add_fund,
    FundIn,
    path="/pairings/{pairing_id}/funds",
    parent=IN_PAIRING,
    summary="Record a fund",
    name="add_fund",
)
Resource(
    router,
    "/pairing-people/{row_id}",
    PersonSent.objects.select_related("pairing", "person"),
    out=PersonSentOut,
    name="person_sent",
    plural="people_sent",
).list(filters=PersonSentFilter, order=("-start_date", "-id"), summary="People sent").get().create(
    services.add_person_sent,
    PersonSentIn,
    path="/pairings/{pairing_id}/people-sent",
    parent=IN_PAIRING,
    summary="Record a person sent",
    name="add_person_sent",
)
