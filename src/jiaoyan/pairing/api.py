"""API of pairing assistance: pairings, their funds and people sent (list, detail,
filters, writes through the same services), and the pairing's figures."""

import datetime as dt

from ninja import File, Form, Router
from ninja.files import UploadedFile

from jiaoyan.core import restricted
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.pages import stored_file_response
from jiaoyan.core.uploads import upload
from jiaoyan.quality.aggregates import ANALYSIS

from . import queries, services
from .models import Fund, JointActivity, Pairing, PairingReport, PersonSent
from .schemas import (
    FiguresOut,
    FundFilter,
    FundIn,
    FundOut,
    FundPatch,
    JointActivityFilter,
    JointActivityIn,
    JointActivityOut,
    PairingFilter,
    PairingIn,
    PairingOut,
    PersonSentFilter,
    PersonSentIn,
    PersonSentOut,
    PersonSentPatch,
    ReportFilter,
    ReportIn,
    ReportOut,
    ReportPatch,
)
from .views import may_change_pairing

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


funds = Resource(
    router, "/pairing-funds/{fund_id}", Fund.objects.select_related("pairing"), out=FundOut
)
funds.list(filters=FundFilter, order=("-date", "-id"), summary="Assistance funds").get().create(
    services.add_fund,
    FundIn,
    path="/pairings/{pairing_id}/funds",
    parent=IN_PAIRING,
    summary="Record a fund",
    name="add_fund",
)
people_sent = Resource(
    router,
    "/pairing-people/{row_id}",
    PersonSent.objects.select_related("pairing", "person"),
    out=PersonSentOut,
    name="person_sent",
    plural="people_sent",
    arg="row",
)
people_sent.list(
    filters=PersonSentFilter, order=("-start_date", "-id"), summary="People sent"
).get().create(
    services.add_person_sent,
    PersonSentIn,
    path="/pairings/{pairing_id}/people-sent",
    parent=IN_PAIRING,
    summary="Record a person sent",
    name="add_person_sent",
)

funds.update(services.update_fund, FundPatch, summary="Correct a fund").delete(
    services.delete_fund, summary="Remove a fund"
)
people_sent.update(
    services.update_person_sent, PersonSentPatch, blank=("work",), summary="Correct a person sent"
).delete(services.delete_person_sent, summary="Remove a person sent")


# --- periodic reports from both sides ---------------------------------------------------------

reports = Resource(
    router,
    "/pairing-reports/{report_id}",
    PairingReport.objects.select_related("pairing"),
    out=ReportOut,
)
reports.list(filters=ReportFilter, order=("-created_at", "-id"), summary="Periodic reports")
reports.get()
reports.create(
    services.add_report,
    ReportIn,
    path="/pairings/{pairing_id}/reports",
    parent=IN_PAIRING,
    summary="Send a periodic report for your side (a file: the page's form)",
    name="add_report",
)
reports.update(services.update_report, ReportPatch, summary="Correct a report (its own side)")
reports.delete(services.delete_report, summary="Remove a report (its own side)")


@router.get("/pairing-reports/{report_id}/file", summary="Download a report's file")
def download_report_file(request, report_id: int):
    row = reports.one(request, report_id)
    return stored_file_response(row.file, row.file_name)


# --- joint activities -----------------------------------------------------------------------

joint = Resource(
    router,
    "/pairing-activities/{link_id}",
    JointActivity.objects.select_related("pairing", "activity"),
    out=JointActivityOut,
    name="joint_activity",
    plural="joint_activities",
    arg="link",
)
joint.list(filters=JointActivityFilter, order=("-id",), summary="Joint activities")
joint.get()
joint.create(
    services.link_activity,
    JointActivityIn,
    path="/pairings/{pairing_id}/activities",
    parent=IN_PAIRING,
    summary="Name the pairing on an activity of a side (a joint activity)",
    name="link_activity",
)
joint.delete(services.unlink_activity, summary="Unlink a joint activity (the activity stays)")


# --- the agreement document -------------------------------------------------------------------


@router.post(
    "/pairings/{pairing_id}/agreement",
    response=PairingOut,
    summary="Record the signed agreement: its date and document (multipart)",
)
@upload("attachment", allowed=may_change_pairing)
def upload_agreement(
    request,
    pairing_id: int,
    signed_on: dt.date = Form(...),
    file: UploadedFile = File(...),
    version: int | None = Form(None),
):
    pairing = pairings.for_write(request, pairing_id)
    services.set_agreement(
        actor=request.auth,
        pairing=pairing,
        signed_on=signed_on,
        file=file,
        expected_version=version,
    )
    return pairings.answer(request, pairing)


@router.get("/pairings/{pairing_id}/agreement", summary="Download the agreement document")
def download_agreement(request, pairing_id: int):
    pairing = pairings.one(request, pairing_id)
    return stored_file_response(pairing.agreement_file, pairing.agreement_name)
