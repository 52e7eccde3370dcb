"""API of plans, themes, activities, venues, participation (invitations, registration,
check-in, attendance) and feedback: the same services and scope as the pages."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from jiaoyan.communities.models import Community
from jiaoyan.core import resolve as ref
from jiaoyan.core.api import paginated
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.resolve import resolve, resolve_many, resolve_optional
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
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


PLANS = ResearchPlan.objects.select_related("org_unit", "subject", "stage")
THEMES = MonthlyTheme.objects.select_related("plan", "subject", "stage")
SUBJECT_STAGE = {"subject": Subject, "stage": Stage}

plans = Resource(router, "/plans/{plan_id}", PLANS, out=PlanOut)
plans.list(
    filters=PlanFilter,
    order=("-year", "org_unit__path", "id"),
    summary="Research plans you see (yours and above)",
)
plans.create(
    services.create_plan,
    PlanIn,
    refs={"org_unit": OrgUnit, "parent": ResearchPlan, **SUBJECT_STAGE},
)
plans.get()
plans.update(services.update_plan, PlanPatch, blank=("goals",))
plans.action("publish", services.publish_plan)

themes = Resource(router, "/themes/{theme_id}", THEMES, out=ThemeOut)
themes.list("/plans/{plan_id}/themes", parent=("plan", ResearchPlan), order=("month", "id"))
themes.create(
    services.add_theme,
    ThemeIn,
    path="/plans/{plan_id}/themes",
    parent=("plan", ResearchPlan),
    refs=SUBJECT_STAGE,
    name="add_theme",
)
themes.get()
themes.update(services.update_theme, ThemePatch, blank=("goals",))
themes.delete(services.delete_theme)


# --- activities ------------------------------------------------------------------------


ACTIVITIES = Activity.objects.select_related("org_unit", "subject", "stage")
activities = Resource(router, "/activities/{activity_id}", ACTIVITIES, out=ActivityOut)


@router.get("/activities", response=list[ActivityOut], summary="Activities you see")
@paginated
def list_activities(request, filters: Query[ActivityFilter]):
    qs = filters.filter(ACTIVITIES.visible_to(request.auth))
    if filters.mine:
        pid = queries.my_person_id(request.auth)
        qs = qs.filter(
            pk__in=Participation.objects.filter(person_id=pid, status__in=services.ACTIVE).values(
                "activity_id"
            )
        )
    return qs.order_by("-starts_at", "-id")


def _community(user, code):
    """An organising community, by code, among those the user sees."""
    return resolve_optional(user, Community, code, field="community", keys=("code",))


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
        community=_community(user, data.community),
        hours=data.hours,
        description=data.description,
        venue_name=v.name,
        venue_address=v.address,
        venue_url=v.online_url,
        venue_capacity=v.capacity,
        venue_unit=venue_unit,
    )
    return Status(201, activities.answer(request, activity))


activities.get()
activities.update(
    services.update_activity,
    ActivityPatch,
    blank=("description",),
    nullable=("theme", "community"),
    refs={"theme": MonthlyTheme, "community": _community},
)
activities.action(
    "publish",
    services.publish_activity,
    summary="Publish a draft: everyone invited is notified",
)
activities.action(
    "start", services.start_activity, summary="Mark a published activity as in progress"
)
activities.action(
    "finish",
    services.finish_activity,
    summary="Close it: absentees marked, hours credited to attendees",
)
activities.action(
    "cancel",
    services.cancel_activity,
    body=ReasonIn,
    summary="Cancel with a reason: everyone invited is notified",
)


# --- venues ----------------------------------------------------------------------------


VENUES = Venue.objects.select_related("activity")
IN_ACTIVITY = ("activity", Activity)

venues = Resource(router, "/venues/{venue_id}", VENUES, out=VenueOut)
venues.list("/activities/{activity_id}/venues", parent=IN_ACTIVITY)
venues.create(
    services.add_venue,
    VenueIn,
    path="/activities/{activity_id}/venues",
    parent=IN_ACTIVITY,
    refs={"unit": OrgUnit},
    name="add_venue",
)
venues.get()
venues.update(
    services.update_venue,
    VenuePatch,
    blank=("address", "online_url"),
    nullable=("capacity",),
)
venues.delete(services.delete_venue)


# --- participation ---------------------------------------------------------------------


PARTICIPATIONS = Participation.objects.select_related("activity", "person")
participations = Resource(
    router,
    "/participations/{participation_id}",
    PARTICIPATIONS,
    out=ParticipationOut,
)
participations.list(
    filters=ParticipationFilter,
    order=("activity_id", "venue_id", "id"),
    summary="Attendance records: all of your activities' (organisers), else your own",
)
participations.get()


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


activities.action(
    "registration",
    services.register,
    body=RegisterIn,
    refs={"venue": Venue},
    answers=participations,
    summary="Register (open registration) or confirm your invitation, on a venue",
    name="register",
)
activities.action(
    "decline", services.decline, body=ReasonIn, answers=participations, name="decline"
)


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
    part = participations.answer(request, part)
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

feedback = Resource(
    router,
    "/activities/{activity_id}/feedback",
    Feedback.objects.select_related("activity"),
    out=FeedbackOut,
    name="feedback",
    plural="feedback",
)
feedback.list(parent=IN_ACTIVITY, order=("-created_at", "-id"))
feedback.create(services.give_feedback, FeedbackIn, parent=IN_ACTIVITY, name="give_feedback")

MATERIALS = Material.objects.select_related("activity")
materials = Resource(router, "/materials/{material_id}", MATERIALS, out=MaterialOut)
materials.list("/activities/{activity_id}/materials", parent=IN_ACTIVITY, order=("phase", "id"))
materials.get()

DECISIONS = Decision.objects.select_related("activity")
decisions = Resource(router, "/decisions/{decision_id}", DECISIONS, out=DecisionOut)
decisions.list("/activities/{activity_id}/decisions", parent=IN_ACTIVITY, order=("id",))
decisions.get()
