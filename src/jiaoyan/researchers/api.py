"""API of the researchers app: profiles (with duties, liaison schools per term, exit and
exchange, and the work record), residencies and their visits — through the same
services and queries as the pages."""

from __future__ import annotations

from ninja import Query, Router
from ninja.responses import Status

from jiaoyan.activities.models import Activity
from jiaoyan.core.api_crud import Resource, resolved
from jiaoyan.observations.models import Observation
from jiaoyan.observations.schemas import LiaisonOut
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from . import queries, services
from .models import ResearcherProfile, Residency, Visit
from .schemas import (
    MAX_YEAR,
    MIN_YEAR,
    ChangeIn,
    DutyIn,
    DutyOut,
    ExchangeIn,
    LiaisonSchoolsIn,
    ProfileFilter,
    ProfileIn,
    ProfileOut,
    ProfilePatch,
    ResidencyFilter,
    ResidencyIn,
    ResidencyOut,
    ResidencyPatch,
    SummaryIn,
    VisitIn,
    VisitOut,
    WorkRecordOut,
)

router = Router(tags=["researchers"])

PROFILE_REFS = {
    "person": Person,
    "org_unit": OrgUnit,
    "school": OrgUnit,
    "subjects": [Subject],
    "stages": [Stage],
}

profiles = Resource(
    router,
    "/researchers/{profile_id}",
    ResearcherProfile.objects.select_related("person", "org_unit"),
    out=ProfileOut,
    name="profile",
    plural="profiles",
)
residencies = Resource(
    router,
    "/residencies/{residency_id}",
    Residency.objects.select_related("researcher", "school"),
    out=ResidencyOut,
    plural="residencies",
)
visits = Resource(router, "/residency-visits/{visit_id}", Visit.objects.all(), out=VisitOut)

profiles.list(filters=ProfileFilter, order=("org_unit_id", "id"), summary="Researchers (教研员)")
profiles.get().create(services.create_profile, ProfileIn, refs=PROFILE_REFS)
profiles.update(services.update_profile, ProfilePatch, nullable=("school",), refs=PROFILE_REFS)
profiles.action("exit", services.exit_researcher, body=ChangeIn, summary="Exit (退出)")
profiles.action(
    "exchange",
    services.exchange_researcher,
    body=ExchangeIn,
    refs={"to_unit": OrgUnit},
    summary="Exchange (交流) to another institute",
)

residencies.list(
    filters=ResidencyFilter, order=("-start_date", "-id"), summary="Residencies (驻校蹲点)"
)
residencies.create(
    services.create_residency,
    ResidencyIn,
    path="/researchers/{profile_id}/residencies",
    parent=("profile", ResearcherProfile),
    refs={"school": OrgUnit},
    name="add_residency",
)
residencies.get().update(services.update_residency, ResidencyPatch)
residencies.action("summary", services.summarise_residency, body=SummaryIn)

visits.list(
    "/residencies/{residency_id}/visits",
    parent=("residency", Residency),
    order=("date", "id"),
    name="list_residency_visits",
)
visits.create(
    services.log_visit,
    VisitIn,
    path="/residencies/{residency_id}/visits",
    parent=("residency", Residency),
    refs={"activity": Activity, "observation": Observation},
    name="log_visit",
)
visits.get().delete(services.delete_visit)


@router.put(
    "/researchers/{profile_id}/duties",
    response=DutyOut,
    summary="Set a year's duties (职责)",
    operation_id="set_researcher_duties",
)
def set_duties(request, profile_id: int, data: DutyIn):
    profile = profiles.for_write(request, profile_id)
    return services.set_duties(actor=request.auth, profile=profile, **data.dict())


@router.post(
    "/researchers/{profile_id}/liaison-schools",
    response={201: list[LiaisonOut]},
    summary="Assign liaison schools (联点联校) for a term or a year",
    operation_id="assign_liaison_schools",
)
def assign_liaison_schools(request, profile_id: int, data: LiaisonSchoolsIn):
    profile = profiles.for_write(request, profile_id)
    values = resolved(request.auth, data.dict(), {"schools": [OrgUnit]})
    return Status(
        201, services.assign_liaison_schools(actor=request.auth, profile=profile, **values)
    )


@router.get(
    "/researchers/{profile_id}/work-record",
    response=WorkRecordOut,
    summary="The work record (工作纪实) of a year or a term, derived from the records",
    operation_id="get_work_record",
)
def work_record(
    request,
    profile_id: int,
    year: int | None = Query(None, ge=MIN_YEAR, le=MAX_YEAR),
    term: str | None = Query(None, max_length=12),
):
    from django.utils import timezone

    from jiaoyan.observations.terms import parse_term

    profile = profiles.one(request, profile_id)
    start, end = queries.period_of(year, parse_term(term), timezone.localdate())
    rec = queries.work_record(profile, start, end)
    return {
        **{
            k: getattr(rec, k)
            for k in WorkRecordOut.model_fields
            if hasattr(rec, k) and k not in {"profile", "schools", "coverage"}
        },
        "profile": profile.pk,
        "liaison_share": rec.liaison_share,
        "coverage": rec.coverage(),
        "schools": [
            {
                "school_id": s.school_id,
                "name": s.name,
                "liaison": s.liaison,
                "observed": s.observed,
                "visits": s.visits,
                "state": s.state,
            }
            for s in rec.schools
        ],
    }
