"""API endpoints of lesson observation: same services, same scope as the pages."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from jiaoyan.activities.models import Activity
from jiaoyan.activities.queries import visible_activities
from jiaoyan.core import resolve as ref
from jiaoyan.core.api import changes, paginated
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.lists import ListRows
from jiaoyan.core.resolve import resolve
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from . import queries, services, st
from .models import ComparisonRound, LiaisonAssignment, Observation, Rubric
from .schemas import (
    ActivityLinkIn,
    CorrectionIn,
    LiaisonFilter,
    LiaisonIn,
    LiaisonOut,
    ObservationFilter,
    ObservationIn,
    ObservationListOut,
    ObservationOut,
    ObservationPatch,
    ReplyIn,
    ReplyOut,
    RoundDetailOut,
    RoundFilter,
    RoundIn,
    RoundOut,
    RubricDetailOut,
    RubricFilter,
    RubricIn,
    RubricOut,
    RubricUpdate,
    RubricVersionOut,
    STIn,
    STOut,
    VersionIn,
)
from .scoring import structure_from_data

router = Router(tags=["observations"])


# --- rubrics -----------------------------------------------------------------------------


RUBRICS = Rubric.objects.select_related("stage", "subject", "current")


def _rubrics(user):
    return RUBRICS.visible_to(user)


def _rubric_detail(rubric: Rubric) -> Rubric:
    rubric.dimensions = services.version_dimensions(rubric.current) if rubric.current else []
    return rubric


rubrics = Resource(router, "/observation-rubrics/{rubric_id}", RUBRICS, out=RubricOut)
rubrics.list(filters=RubricFilter, order=("name", "id"), summary="Rubrics you can see")


@router.get("/observation-rubrics/{rubric_id}", response=RubricDetailOut)
def get_rubric(request, rubric_id: int):
    return _rubric_detail(get_visible_or_404(_rubrics(request.auth), request.auth, pk=rubric_id))


@router.get(
    "/observation-rubrics/{rubric_id}/versions/{number}",
    response=RubricVersionOut,
    summary="One version of a rubric (what older observations were scored with)",
)
def get_rubric_version(request, rubric_id: int, number: int):
    rubric = get_visible_or_404(_rubrics(request.auth), request.auth, pk=rubric_id)
    version = rubric.versions.filter(number=number).first()
    if version is None:
        from django.http import Http404

        raise Http404
    return {
        "number": version.number,
        "note": version.note,
        "created_at": version.created_at,
        "in_use": services.version_in_use(version),
        "dimensions": services.version_dimensions(version),
    }


def _rubric_fields(data: RubricIn | RubricUpdate) -> dict:
    """What a rubric's create and edit both take from the body."""
    return {
        "name": data.name,
        "description": data.description,
        "stage": ref.stage(data.stage),
        "subject": ref.subject(data.subject),
        "structure": structure_from_data([d.dict() for d in data.dimensions]),
    }


@router.post("/observation-rubrics", response={201: RubricDetailOut})
def create_rubric(request, data: RubricIn):
    unit = resolve(request.auth, OrgUnit, data.org_unit, field="org_unit")
    rubric = services.create_rubric(actor=request.auth, org_unit=unit, **_rubric_fields(data))
    return Status(201, _rubric_detail(_rubrics(request.auth).get(pk=rubric.pk)))


@router.put(
    "/observation-rubrics/{rubric_id}",
    response=RubricDetailOut,
    summary="Edit a rubric (a new version when the current one is in use)",
)
def update_rubric(request, rubric_id: int, data: RubricUpdate):
    rubric = get_visible_or_404(Rubric, request.auth, pk=rubric_id)
    services.update_rubric(
        actor=request.auth,
        rubric=rubric,
        **_rubric_fields(data),
        note=data.note,
        expected_version=data.version,
    )
    return _rubric_detail(_rubrics(request.auth).get(pk=rubric.pk))


# --- observations ------------------------------------------------------------------------


def _detail_qs(user):
    return queries.for_detail(user).prefetch_related(
        "scores", Prefetch("replies", queryset=Observation.replies.rel.related_model.objects.all())
    )


observations = Resource(
    router,
    "/observations/{observation_id}",
    _detail_qs,
    out=ObservationOut,
    lookup=_detail_qs,
)


# What an edit passes to the service on its own, and the texts a null empties.
_SEPARATE = ("scores", "st_sequence")
_TEXTS = ("grade", "class_name", "strengths", "suggestions", "notes")
_NULLABLE = ("activity", "period", "st_interval")  # null clears them


def _activity(user, activity_id: int) -> Activity:
    """The research activity a request names, among those the user sees."""
    return resolve(
        user,
        Activity,
        activity_id,
        field="activity",
        queryset=visible_activities(user).select_related("org_unit", "subject", "stage"),
    )


@router.get("/observations", response=list[ObservationListOut], summary="Observations you see")
@paginated
def list_observations(request, filters: Query[ObservationFilter]):
    qs = queries.observations_for(request.auth).order_by("-date", "-id")
    unfiltered = not any(v is not None for v in filters.dict().values())
    count = queries.visible_count(request.auth) if unfiltered else None
    return ListRows(queries.for_list(filters.filter(qs)), count, ids_first=True)


observations.get()


def _activity_given(user, activity_id: int | None) -> Activity | None:
    return _activity(user, activity_id) if activity_id else None


observations.create(
    services.create_observation,
    ObservationIn,
    refs={
        "teacher": Person,
        "rubric": Rubric,
        "round": ComparisonRound,
        "activity": _activity_given,
        "subject": Subject,
        "stage": Stage,
    },
    summary="Record an observation (a draft, or submitted at once with submit=true)",
)


@router.patch("/observations/{observation_id}", response=ObservationOut, summary="Edit a draft")
def update_observation(request, observation_id: int, data: ObservationPatch):
    obs = observations.one(request, observation_id)
    payload = changes(
        data, exclude=_SEPARATE, blank=(*_TEXTS, "activity_title"), nullable=_NULLABLE
    )
    if payload.get("activity") is not None:
        payload["activity"] = (
            obs.activity
            if payload["activity"] == obs.activity_id
            else _activity(request.auth, payload["activity"])
        )
    services.update_observation(
        actor=request.auth,
        observation=obs,
        data=payload,
        scores=data.scores,
        st_sequence=data.st_sequence,
        expected_version=data.version,
    )
    return observations.one(request, obs.pk)


observations.delete(services.delete_draft, summary="Delete a draft")


observations.action("submit", services.submit_observation, body=VersionIn, optional=True)


@router.post(
    "/observations/{observation_id}/correction",
    response=ObservationOut,
    summary="An audited correction of a submitted observation",
)
def correct_observation(request, observation_id: int, data: CorrectionIn):
    obs = observations.one(request, observation_id)
    payload = changes(data, exclude=(*_SEPARATE, "reason"), blank=_TEXTS, nullable=_NULLABLE)
    services.correct_observation(
        actor=request.auth,
        observation=obs,
        reason=data.reason,
        data=payload,
        scores=data.scores,
        st_sequence=data.st_sequence,
        expected_version=data.version,
    )
    return observations.one(request, obs.pk)


@router.post(
    "/observations/{observation_id}/activity",
    response=ObservationOut,
    summary="Link the observation to the research activity it was made in (null: unlink)",
)
def link_activity(request, observation_id: int, data: ActivityLinkIn):
    obs = observations.one(request, observation_id)
    if data.activity is None:
        services.detach_from_activity(actor=request.auth, observation=obs)
    else:
        activity = _activity(request.auth, data.activity)
        services.attach_to_activity(actor=request.auth, observation=obs, activity=activity)
    return observations.one(request, obs.pk)


@router.post(
    "/observations/{observation_id}/replies",
    response={201: ReplyOut},
    summary="The observed teacher replies",
)
def reply(request, observation_id: int, data: ReplyIn):
    r = services.reply(
        actor=request.auth, observation=observations.one(request, observation_id), text=data.text
    )
    return Status(201, r)


@router.post(
    "/observation-st-analysis",
    response=STOut,
    summary="Rt, Ch, lesson mode and S-T curve of a sequence (nothing is stored)",
)
def st_analysis(request, data: STIn):
    result = st.analyse(data.sequence, data.interval)
    if result is None:
        raise ServiceError(_("The S-T sequence is empty."), field="sequence")
    return {"sequence": result.sequence, **result.as_dict()}


# --- rounds ------------------------------------------------------------------------------


ROUNDS = ComparisonRound.objects.select_related("subject", "stage")


def _rounds(user):
    return ROUNDS.visible_to(user)


rounds = Resource(router, "/observation-rounds/{round_id}", ROUNDS, out=RoundOut)
rounds.list(filters=RoundFilter, order=("-date", "-id"), summary="同课异构 rounds")


@router.get(
    "/observation-rounds/{round_id}",
    response=RoundDetailOut,
    summary="A round with its teachers compared per dimension (mean percent)",
)
def get_round(request, round_id: int):
    rnd = get_visible_or_404(_rounds(request.auth), request.auth, pk=round_id)
    data = queries.comparison(rnd)
    rnd.dimensions = data["dimensions"]
    rnd.teachers = [
        {
            "teacher": t["teacher"].pk,
            "teacher_name": t["teacher"].name,
            "school": t["school"].name,
            "observations": t["observations"],
            "mean_total": t["mean_total"],
            "dimensions": t["dimensions"],
        }
        for t in data["teachers"]
    ]
    return rnd


@router.post(
    "/observation-rounds",
    response={201: RoundOut},
    summary="A 同课异构 round (with `activity`: for that activity, prefilled from it)",
)
def create_round(request, data: RoundIn):
    user = request.auth
    activity = _activity(user, data.activity) if data.activity else None
    unit_id = data.org_unit or (activity.org_unit_id if activity else None)
    if unit_id is None:
        raise ServiceError(_("A round needs an organiser."), field="org_unit")
    unit = resolve(user, OrgUnit, unit_id, field="org_unit")
    subject = ref.subject(data.subject) if data.subject else getattr(activity, "subject", None)
    stage = ref.stage(data.stage) if data.stage else getattr(activity, "stage", None)
    if subject is None or stage is None:
        raise ServiceError(_("A round needs a subject and a stage."))
    date = data.date or (timezone.localtime(activity.starts_at).date() if activity else None)
    if date is None:
        raise ServiceError(_("A round needs a date."), field="date")
    rnd = services.create_round(
        actor=user,
        org_unit=unit,
        topic=data.topic or (activity.title if activity else ""),
        subject=subject,
        stage=stage,
        date=date,
        description=data.description,
        activity_title=data.activity_title,
        activity=activity,
    )
    return Status(201, rnd)


# --- liaison schools ---------------------------------------------------------------------


liaisons = Resource(
    router,
    "/liaison-assignments/{assignment_id}",
    LiaisonAssignment.objects.select_related("researcher", "school"),
    out=LiaisonOut,
    name="liaison",
    arg="assignment",
    lookup=LiaisonAssignment,
)
liaisons.list(
    filters=LiaisonFilter, order=("school__path", "researcher_id", "id"), summary="联点联校"
)
liaisons.get()
liaisons.create(services.assign_liaison, LiaisonIn, refs={"researcher": Person, "school": OrgUnit})
liaisons.action("end", services.end_liaison)
