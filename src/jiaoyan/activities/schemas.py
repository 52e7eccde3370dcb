"""API shapes of plans, themes, activities, venues, participation and feedback."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.api_schemas import NamesOut
from jiaoyan.core.resolve import subject_q, within_q

from .models import Activity, Material, Participation, ResearchPlan

# --- list filters ------------------------------------------------------------------------


class PlanFilter(FilterSchema):
    year: int | None = None
    status: ResearchPlan.Status | None = None
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None


class ActivityFilter(FilterSchema):
    kind: Activity.Kind | None = None
    status: Activity.Status | None = None
    subject: str | None = Field(None, max_length=30, description="subject name or code")
    within: int | None = Field(None, description="id of a unit: activities organised below it")
    month: str | None = Field(None, description="YYYY-MM", pattern=r"^\d{4}-\d{1,2}$")
    starts_from: Annotated[dt.date | None, FilterLookup("starts_at__date__gte")] = None
    starts_before: Annotated[dt.date | None, FilterLookup("starts_at__date__lt")] = None
    mine: bool = Field(False, description="only those you are invited to or registered for")

    def filter_subject(self, value):
        return subject_q(value)

    def filter_within(self, value):
        return within_q(value)

    def filter_month(self, value):
        if not value:
            return Q()
        y, m = (int(x) for x in value.split("-"))
        return Q(start_month=y * 100 + m)

    def filter_mine(self, value):
        return Q()  # it needs the caller: the endpoint applies it


class ParticipationFilter(FilterSchema):
    activity: Annotated[int | None, FilterLookup("activity_id")] = None
    venue: Annotated[int | None, FilterLookup("venue_id")] = None
    attendance: Participation.Attendance | None = None
    status: Participation.Status | None = None


class PlanOut(NamesOut):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str
    year: int
    title: str
    goals: str
    level: str
    subject: str | None
    stage: str | None
    parent: int | None = Field(None, alias="parent_id")
    status: str
    version: int


class PlanIn(Schema):
    org_unit: int
    year: int = Field(..., ge=2000, le=2100)
    title: str = Field(..., min_length=1, max_length=120)
    goals: str = Field("", max_length=5000)
    subject: str | None = Field(None, description="subject name, e.g. 数学")
    stage: str | None = Field(None, description="stage code, e.g. junior")
    parent: int | None = Field(None, description="id of the published plan above it follows")


class PlanPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=120)
    goals: str | None = Field(None, max_length=5000)
    year: int | None = Field(None, ge=2000, le=2100)
    version: int | None = None


class ThemeOut(NamesOut):
    id: int
    plan: int = Field(..., alias="plan_id")
    org_unit: int
    month: int
    title: str
    goals: str
    subject: str | None
    stage: str | None
    version: int

    @staticmethod
    def resolve_org_unit(obj) -> int:
        return obj.plan.org_unit_id


class ThemeIn(Schema):
    month: int = Field(..., ge=1, le=12)
    title: str = Field(..., min_length=1, max_length=120)
    goals: str = Field("", max_length=5000)
    subject: str | None = None
    stage: str | None = None


class ThemePatch(Schema):
    month: int | None = Field(None, ge=1, le=12)
    title: str | None = Field(None, min_length=1, max_length=120)
    goals: str | None = Field(None, max_length=5000)
    version: int | None = None


class ActivityPartOut(Schema):
    """A part of an activity (venue, participation, feedback …): ``org_unit`` is the
    activity's."""

    @staticmethod
    def resolve_org_unit(obj) -> int:
        return obj.activity.org_unit_id


class VenueOut(ActivityPartOut):
    id: int
    activity: int = Field(..., alias="activity_id")
    org_unit: int
    is_main: bool
    name: str
    unit: int | None = Field(None, alias="unit_id")
    address: str
    online_url: str
    capacity: int | None
    version: int


class VenueIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    unit: int | None = Field(None, description="id of the unit hosting the venue")
    address: str = Field("", max_length=200)
    online_url: str = Field("", max_length=300)
    capacity: int | None = Field(None, ge=1, le=100000)


class VenuePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    address: str | None = Field(None, max_length=200)
    online_url: str | None = Field(None, max_length=300)
    capacity: int | None = Field(None, ge=1, le=100000)
    version: int | None = None


class ActivityOut(NamesOut):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str
    title: str
    kind: str
    level: str
    subject: str | None
    stage: str | None
    host: int | None = Field(None, alias="host_id")
    theme: int | None = Field(None, alias="theme_id")
    community: int | None = Field(None, alias="community_id")
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: str
    registration: str
    hours: float
    description: str
    status: str
    cancel_reason: str
    participant_count: int
    checked_in_count: int
    feedback_count: int
    average_rating: float | None
    version: int

    @staticmethod
    def resolve_hours(obj: Activity) -> float:
        return float(obj.hours)


class ActivityIn(Schema):
    org_unit: int = Field(..., description="id of the organiser unit")
    title: str = Field(..., min_length=1, max_length=120)
    kind: Activity.Kind
    starts_at: dt.datetime
    ends_at: dt.datetime
    mode: Activity.Mode = Activity.Mode.ONSITE
    registration: Activity.Registration = Activity.Registration.INVITED
    subject: str | None = Field(None, description="subject name, e.g. 数学")
    stage: str | None = Field(None, description="stage code, e.g. junior")
    host: int | None = Field(None, description="person id of the host (default: you)")
    theme: int | None = None
    community: int | str | None = Field(
        None, description="the organising community (三名+): its id or code"
    )
    hours: Decimal = Field(Decimal("0"), ge=0, le=40)
    description: str = Field("", max_length=5000)
    main_venue: VenueIn


class ActivityPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=120)
    kind: Activity.Kind | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    mode: Activity.Mode | None = None
    registration: Activity.Registration | None = None
    hours: Decimal | None = Field(None, ge=0, le=40)
    description: str | None = Field(None, max_length=5000)
    theme: int | None = None
    community: int | str | None = None
    version: int | None = None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class InviteIn(Schema):
    units: list[int] = Field(default_factory=list, description="unit ids: everyone below them")
    unit_codes: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=lambda: ["teacher"])
    subject: str | None = Field(None, description="subject name")
    stage: str | None = Field(None, description="stage code")
    staff_numbers: list[str] = Field(default_factory=list)
    audience_only: bool = Field(False, description="only let them register (open registration)")
    beyond_scope: bool = Field(
        False,
        description="also invite staff numbers outside the caller's scope: whoever holds "
        "one is invited and notified at once, and the numbers are recorded in the history "
        "(without it such a number is refused like one that does not exist)",
    )


class InviteOut(Schema):
    invited: int = Field(description="people within the caller's scope newly invited")
    matched: int = Field(description="people within the caller's scope matched")
    beyond_scope: int = Field(
        0, description="staff numbers given beyond the caller's scope (not who holds them)"
    )


class RegisterIn(Schema):
    venue: int


class CheckinIn(Schema):
    code: str = Field(..., max_length=20)
    venue: int | None = Field(None, description="the venue, if known (from the QR link)")


class ParticipationOut(ActivityPartOut):
    id: int
    activity: int = Field(..., alias="activity_id")
    org_unit: int
    person: int = Field(..., alias="person_id")
    person_name: str
    staff_no: str
    venue: int | None = Field(None, alias="venue_id")
    status: str
    decline_reason: str
    attendance: str
    checked_in_at: dt.datetime | None
    method: str

    @staticmethod
    def resolve_person_name(obj: Participation) -> str:
        return obj.person.name

    @staticmethod
    def resolve_staff_no(obj: Participation) -> str:
        return obj.person.staff_no


class CheckinOut(Schema):
    participation: ParticipationOut
    new: bool = Field(..., description="false when you had already checked in")
    late: bool


class MarkIn(Schema):
    participation: int
    attendance: Participation.Attendance


class AttendanceIn(Schema):
    marks: list[MarkIn]


class ChangedOut(Schema):
    changed: int


class FeedbackIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class FeedbackOut(ActivityPartOut):
    id: int
    activity: int = Field(..., alias="activity_id")
    org_unit: int
    person: int = Field(..., alias="person_id")
    rating: int
    comment: str
    created_at: dt.datetime


class MaterialOut(ActivityPartOut):
    id: int
    activity: int = Field(..., alias="activity_id")
    org_unit: int
    phase: Material.Phase
    kind: Material.Kind
    title: str
    file_name: str
    size: int
    url: str
    download: str

    @staticmethod
    def resolve_download(obj) -> str:
        from django.urls import reverse

        return reverse("activities:material_download", args=[obj.pk])


class DecisionOut(ActivityPartOut):
    id: int
    activity: int = Field(..., alias="activity_id")
    org_unit: int
    text: str
    owner_name: str
    due_on: dt.date | None
    for_ledger: bool
    ledger_ref: str
