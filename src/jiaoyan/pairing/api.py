"""API of pairing assistance: pairings, their funds and people sent (list, detail,
filters, writes through the same services), and the pairing's figures."""

from ninja import Query, Router, Status

from jiaoyan.core import restricted
from jiaoyan.core.api import paginated
from jiaoyan.core.scope import get_visible_or_404
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


def _pairing(request, pairing_id: int) -> Pairing:
    return get_visible_or_404(queries.pairings_for(request.auth), request.auth, pk=pairing_id)


@router.get("/pairings", response=list[PairingOut], summary="Pairings (结对帮扶)")
@paginated
def list_pairings(request, filters: Query[PairingFilter]):
    return filters.filter(queries.pairings_for(request.auth)).order_by("-start_date", "-id")


@router.get("/pairings/{pairing_id}", response=PairingOut)
def get_pairing(request, pairing_id: int):
    return _pairing(request, pairing_id)


@router.post("/pairings", response={201: PairingOut}, summary="Create a pairing")
def create_pairing(request, data: PairingIn):
    pairing = services.create_pairing(actor=request.auth, **data.dict())
    return Status(201, _pairing(request, pairing.pk))


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
    pairing = _pairing(request, pairing_id)
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


@router.get("/pairing-funds", response=list[FundOut], summary="Assistance funds")
@paginated
def list_funds(request, filters: Query[FundFilter]):
    qs = Fund.objects.visible_to(request.auth).select_related("pairing")
    return filters.filter(qs).order_by("-date", "-id")


@router.get("/pairing-funds/{fund_id}", response=FundOut)
def get_fund(request, fund_id: int):
    return get_visible_or_404(Fund.objects.select_related("pairing"), request.auth, pk=fund_id)


@router.post("/pairings/{pairing_id}/funds", response={201: FundOut}, summary="Record a fund")
def add_fund(request, pairing_id: int, data: FundIn):
    fund = services.add_fund(
        actor=request.auth, pairing=_pairing(request, pairing_id), **data.dict()
    )
    return Status(201, get_fund(request, fund.pk))


@router.get("/pairing-people", response=list[PersonSentOut], summary="People sent")
@paginated
def list_people_sent(request, filters: Query[PersonSentFilter]):
    qs = PersonSent.objects.visible_to(request.auth).select_related("pairing", "person")
    return filters.filter(qs).order_by("-start_date", "-id")


@router.get("/pairing-people/{row_id}", response=PersonSentOut)
def get_person_sent(request, row_id: int):
    return get_visible_or_404(
        PersonSent.objects.select_related("pairing", "person"), request.auth, pk=row_id
    )


@router.post(
    "/pairings/{pairing_id}/people-sent",
    response={201: PersonSentOut},
    summary="Record a person sent",
)
def add_person_sent(request, pairing_id: int, data: PersonSentIn):
    row = services.add_person_sent(
        actor=request.auth, pairing=_pairing(request, pairing_id), **data.dict()
    )
    return Status(201, get_person_sent(request, row.pk))
