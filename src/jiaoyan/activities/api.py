"""API of plans, themes, activities, venues, participation (invitations, registration,
check-in, attendance) and feedback: the same services and scope as the pages."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from jiaoyan.communities.models import Community
from jiaoyan.core import resolve as ref
from jiaoyan.core.api import changes, paginated
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.resolve import resolve, resolve_many, resolve_optional
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import queries, services
from .models import (
    Activity,
    Decision,
    Feedback,
    Material,
    MonthlyTheme,
    Participation,
    ResearchPlan,
    Venue,
)
from .schemas import (
    ActivityFilter,
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    AttendanceIn,
    ChangedOut,
    CheckinIn,
    CheckinOut,
    DecisionOut,
    FeedbackIn,
    FeedbackOut,
    InviteIn,
    InviteOut,
    MaterialOut,
    ParticipationFilter,
    ParticipationOut,
    PlanFilter,
    PlanIn,
    PlanOut,
    PlanPatch,
    ReasonIn,
    RegisterIn,
    ThemeIn,
    ThemeOut,
    ThemePatch,
    VenueIn,
    VenueOut,
    VenuePatch,
)

router = Router(tags=["research activities"])


# --- plans and themes --------------------------------------------------------------------


def _plans():
    return ResearchPlan.objects.select_related("org_unit", "subject", "stage")


@router.get("/plans", response=list[PlanOut], summary="Research plans you see (yours and above)")
@paginated
def list_plans(request, filters: Query[PlanFilter]):
    qs = filters.filter(_plans().visible_to(request.auth))
    return qs.order_by("-year", "org_unit__path", "id")


@router.post("/plans", response={201: PlanOut})
def create_plan(request, data: PlanIn):
    unit = resolve(request.auth, OrgUnit, data.org_unit, field="org_unit")
    parent = resolve_optional(request.auth, ResearchPlan, data.parent, field="parent")
    plan = services.create_plan(
        actor=request.auth,
        org_unit=unit,
        year=data.year,
        title=data.title,
        goals=data.goals,
        subject=ref.subject(data.subject),
        stage=ref.stage(data.stage),
        parent=parent,
    )
    return Status(201, _plans().get(pk=plan.pk))


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request, plan_id: int):
    return get_visible_or_404(_plans(), request.auth, pk=plan_id)


@router.patch("/plans/{plan_id}", response=PlanOut)
def update_plan(request, plan_id: int, data: PlanPatch):
    plan = get_visible_or_404(ResearchPlan, request.auth, pk=plan_id)
    payload = changes(data, blank=("goals",))
    services.update_plan(actor=request.auth, plan=plan, data=payload, expected_version=data.version)
    return _plans().get(pk=plan.pk)


@router.post("/plans/{plan_id}/publish", response=PlanOut)
def publish_plan(request, plan_id: int):
    plan = get_visible_or_404(ResearchPlan, request.auth, pk=plan_id)
    services.publish_plan(actor=request.auth, plan=plan)
    return _plans().get(pk=plan.pk)


def _themes():
    return MonthlyTheme.objects.select_related("plan", "subject", "stage")


@router.get("/plans/{plan_id}/themes", response=list[ThemeOut])
@paginated
def list_themes(request, plan_id: int):
    plan = get_visible_or_404(ResearchPlan, request.auth, pk=plan_id)
    return _themes().visible_to(request.auth).filter(plan=plan).order_by("month", "id")


@router.post("/plans/{plan_id}/themes", response={201: ThemeOut})
def add_theme(request, plan_id: int, data: ThemeIn):
    plan = get_visible_or_404(ResearchPlan, request.auth, pk=plan_id)
    theme = services.add_theme(
        actor=request.auth,
        plan=plan,
        month=data.month,
        title=data.title,
        goals=data.goals,
        subject=ref.subject(data.subject),
        stage=ref.stage(data.stage),
    )
    return Status(201, _themes().get(pk=theme.pk))


@router.get("/themes/{theme_id}", response=ThemeOut)
def get_theme(request, theme_id: int):
    return get_visible_or_404(_themes(), request.auth, pk=theme_id)


@router.patch("/themes/{theme_id}", response=ThemeOut)
def update_theme(request, theme_id: int, data: ThemePatch):
    theme = get_visible_or_404(MonthlyTheme, request.auth, pk=theme_id)
    payload = changes(data, blank=("goals",))
    services.update_theme(
        actor=request.auth, theme=theme, data=payload, expected_version=data.version
    )
    return _themes().get(pk=theme.pk)


@router.delete("/themes/{theme_id}", response={204: None})
def delete_theme(request, theme_id: int):
    theme = get_visible_or_404(MonthlyTheme, request.auth, pk=theme_id)
    services.delete_theme(actor=request.auth, theme=theme)
    return Status(204, None)


# --- activities ------------------------------------------------------------------------


def _activities():
    return Activity.objects.select_related("org_unit", "subject", "stage")


@router.get("/activities", response=list[ActivityOut], summary="Activities you see")
@paginated
def list_activities(request, filters: Query[ActivityFilter]):
    qs = filters.filter(_activities().visible_to(request.auth))
    if filters.mine:
        pid = queries.my_person_id(request.auth)
        qs = qs.filter(
            pk__in=Participation.objects.filter(person_id=pid, status__in=services.ACTIVE).values(
                "activity_id"
            )
        )
    return qs.order_by("-starts_at", "-id")


@router.post("/activities", response={201: ActivityOut})
def create_activity(request, data: ActivityIn):
    user = request.auth
    unit = resolve(user, OrgUnit, data.org_unit, field="org_unit")
    host = resolve_optional(user, Person, data.host, field="host")
    theme = resolve_optional(user, MonthlyTheme, data.theme, field="theme")
    v = data.main_venue
    venue_unit = resolve_optional(user, OrgUnit, v.unit, field="main_venue.unit")
    activity = services.create_activity(
        actor=request.auth,
        org_unit=unit,
        title=data.title,
        kind=data.kind,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        mode=data.mode,
        registration=data.registration,
        subject=ref.subject(data.subject),
        stage=ref.stage(data.stage),
        host=host or getattr(request.auth, "person", None),
        theme=theme,
        community=resolve_optional(
            user, Community, data.community, field="community", keys=("code",)
        ),
        hours=data.hours,
        description=data.description,
        venue_name=v.name,
        venue_address=v.address,
        venue_url=v.online_url,
        venue_capacity=v.capacity,
        venue_unit=venue_unit,
    )
    return Status(201, _activities().get(pk=activity.pk))


@router.get("/activities/{activity_id}", response=ActivityOut)
def get_activity(request, activity_id: int):
    return get_visible_or_404(_activities(), request.auth, pk=activity_id)


@router.patch("/activities/{activity_id}", response=ActivityOut)
def update_activity(request, activity_id: int, data: ActivityPatch):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    payload = changes(data, blank=("description",), nullable=("theme", "community"))
    if "theme" in payload:
        payload["theme"] = resolve_optional(
            request.auth, MonthlyTheme, payload["theme"], field="theme"
        )
    if "community" in payload:
        payload["community"] = resolve_optional(
            request.auth, Community, payload["community"], field="community", keys=("code",)
        )
    services.update_activity(
        actor=request.auth, activity=activity, data=payload, expected_version=data.version
    )
    return _activities().get(pk=activity.pk)


def _transition(name):
    fn = getattr(services, f"{name}_activity")

    def endpoint(request, activity_id: int):
        activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
        fn(actor=request.auth, activity=activity)
        return _activities().get(pk=activity.pk)

    endpoint.__name__ = f"{name}_activity"
    return endpoint


for _name, _summary in (
    ("publish", "Publish a draft: everyone invited is notified"),
    ("start", "Mark a published activity as in progress"),
    ("finish", "Close it: absentees marked, hours credited to attendees"),
):
    router.post(f"/activities/{{activity_id}}/{_name}", response=ActivityOut, summary=_summary)(
        _transition(_name)
    )


@router.post(
    "/activities/{activity_id}/cancel",
    response=ActivityOut,
    summary="Cancel with a reason: everyone invited is notified",
)
def cancel_activity(request, activity_id: int, data: ReasonIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    services.cancel_activity(actor=request.auth, activity=activity, reason=data.reason)
    return _activities().get(pk=activity.pk)


# --- venues ----------------------------------------------------------------------------


def _venues():
    return Venue.objects.select_related("activity")


@router.get("/activities/{activity_id}/venues", response=list[VenueOut])
@paginated
def list_venues(request, activity_id: int):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    return _venues().visible_to(request.auth).filter(activity=activity)


@router.post("/activities/{activity_id}/venues", response={201: VenueOut})
def add_venue(request, activity_id: int, data: VenueIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    unit = resolve_optional(request.auth, OrgUnit, data.unit, field="unit")
    venue = services.add_venue(
        actor=request.auth,
        activity=activity,
        name=data.name,
        unit=unit,
        address=data.address,
        online_url=data.online_url,
        capacity=data.capacity,
    )
    return Status(201, _venues().get(pk=venue.pk))


@router.get("/venues/{venue_id}", response=VenueOut)
def get_venue(request, venue_id: int):
    return get_visible_or_404(_venues(), request.auth, pk=venue_id)


@router.patch("/venues/{venue_id}", response=VenueOut)
def update_venue(request, venue_id: int, data: VenuePatch):
    venue = get_visible_or_404(Venue, request.auth, pk=venue_id)
    payload = changes(data, blank=("address", "online_url"), nullable=("capacity",))
    services.update_venue(
        actor=request.auth, venue=venue, data=payload, expected_version=data.version
    )
    return _venues().get(pk=venue.pk)


@router.delete("/venues/{venue_id}", response={204: None})
def delete_venue(request, venue_id: int):
    venue = get_visible_or_404(Venue, request.auth, pk=venue_id)
    services.delete_venue(actor=request.auth, venue=venue)
    return Status(204, None)


# --- participation ---------------------------------------------------------------------


def _parts():
    return Participation.objects.select_related("activity", "person")


@router.get(
    "/participations",
    response=list[ParticipationOut],
    summary="Attendance records: all of your activities' (organisers), else your own",
)
@paginated
def list_participations(request, filters: Query[ParticipationFilter]):
    qs = filters.filter(_parts().visible_to(request.auth))
    return qs.order_by("activity_id", "venue_id", "id")


@router.get("/participations/{participation_id}", response=ParticipationOut)
def get_participation(request, participation_id: int):
    return get_visible_or_404(_parts(), request.auth, pk=participation_id)


@router.post(
    "/activities/{activity_id}/invitations",
    response=InviteOut,
    summary="Invite by unit (role, subject, stage) and by staff number",
)
def invite(request, activity_id: int, data: InviteIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    user = request.auth
    units = resolve_many(user, OrgUnit, data.units, field="units")
    units += resolve_many(user, OrgUnit, data.unit_codes, field="unit_codes")
    numbers = [n.strip() for n in data.staff_numbers if n and n.strip()]
    people, beyond = services.staff_to_invite(user, numbers, beyond_scope=data.beyond_scope)
    ids, unknown = services.resolve_people(
        actor=user,
        units=units,
        subject=ref.subject(data.subject),
        stage=ref.stage(data.stage),
        roles=data.roles,
        staff_numbers=[p.staff_no for p in people],
    )
    if unknown:
        raise ServiceError(
            _("Unknown staff numbers: %(nos)s") % {"nos": "、".join(unknown[:20])},
            field="staff_numbers",
        )
    n = services.invite(
        actor=request.auth,
        activity=activity,
        person_ids=ids,
        audience_only=data.audience_only,
        description="API",
        beyond_scope=beyond,
    )
    return {"invited": n, "matched": len(ids), "beyond_scope": len(beyond)}


@router.post(
    "/activities/{activity_id}/registration",
    response=ParticipationOut,
    summary="Register (open registration) or confirm your invitation, on a venue",
)
def register(request, activity_id: int, data: RegisterIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    venue = resolve(request.auth, Venue, data.venue, field="venue")
    part = services.register(actor=request.auth, activity=activity, venue=venue)
    return _parts().get(pk=part.pk)


@router.post("/activities/{activity_id}/decline", response=ParticipationOut)
def decline(request, activity_id: int, data: ReasonIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    part = services.decline(actor=request.auth, activity=activity, reason=data.reason)
    return _parts().get(pk=part.pk)


@router.post(
    "/activities/{activity_id}/check-in",
    response=CheckinOut,
    summary="Check in with the code shown at the venue (a second check-in changes nothing)",
)
def check_in(request, activity_id: int, data: CheckinIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    venue = resolve_optional(request.auth, Venue, data.venue, field="venue")
    part, new = services.check_in(
        actor=request.auth,
        activity=activity,
        code=data.code,
        venue=venue,
        method=Participation.Method.API,
    )
    part = _parts().get(pk=part.pk)
    return {"participation": part, "new": new, "late": part.attendance == "late"}


@router.post(
    "/activities/{activity_id}/attendance",
    response=ChangedOut,
    summary="Organisers mark attendance (after the finish: audited corrections)",
)
def mark_attendance(request, activity_id: int, data: AttendanceIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    n = services.mark_attendance(
        actor=request.auth,
        activity=activity,
        marks={m.participation: m.attendance for m in data.marks},
    )
    return {"changed": n}


# --- feedback, materials, decisions -----------------------------------------------------


@router.get("/activities/{activity_id}/feedback", response=list[FeedbackOut])
@paginated
def list_feedback(request, activity_id: int):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    return (
        Feedback.objects.visible_to(request.auth)
        .filter(activity=activity)
        .select_related("activity")
        .order_by("-created_at", "-id")
    )


@router.post("/activities/{activity_id}/feedback", response={201: FeedbackOut})
def give_feedback(request, activity_id: int, data: FeedbackIn):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    fb = services.give_feedback(
        actor=request.auth, activity=activity, rating=data.rating, comment=data.comment
    )
    return Status(201, Feedback.objects.select_related("activity").get(pk=fb.pk))


@router.get("/activities/{activity_id}/materials", response=list[MaterialOut])
@paginated
def list_materials(request, activity_id: int):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    return (
        Material.objects.visible_to(request.auth)
        .filter(activity=activity)
        .select_related("activity")
        .order_by("phase", "id")
    )


@router.get("/materials/{material_id}", response=MaterialOut)
def get_material(request, material_id: int):
    return get_visible_or_404(
        Material.objects.select_related("activity"), request.auth, pk=material_id
    )


@router.get("/activities/{activity_id}/decisions", response=list[DecisionOut])
@paginated
def list_decisions(request, activity_id: int):
    activity = get_visible_or_404(Activity, request.auth, pk=activity_id)
    return (
        Decision.objects.visible_to(request.auth)
        .filter(activity=activity)
        .select_related("activity")
        .order_by("id")
    )


@router.get("/decisions/{decision_id}", response=DecisionOut)
def get_decision(request, decision_id: int):
    return get_visible_or_404(
        Decision.objects.select_related("activity"), request.auth, pk=decision_id
    )
