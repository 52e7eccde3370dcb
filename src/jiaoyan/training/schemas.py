"""API shapes of training."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema

from .models import Attendance, Cohort, Enrolment, Programme


class ProgrammeOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    title: str
    description: str
    cohorts: list[str] = Field(..., alias="cohort_list")
    tier: str
    level: str
    format: str
    category: int | None = Field(None, alias="category_id")
    capacity: int | None
    mode: str
    min_attendance: int
    assignment_required: bool
    assignment_pass_mark: float | None
    test_pass_mark: float | None
    hours_mode: str
    status: str
    total_hours: float
    starts_on: dt.date | None
    enrolled_count: int
    waitlist_count: int
    completed_count: int
    version: int


class ProgrammeIn(Schema):
    org_unit: int | str = Field(..., description="the organiser unit: id or unit code")
    title: str = Field(..., max_length=120)
    cohorts: list[Cohort] = Field(..., min_length=1)
    tier: Programme.Tier
    format: Programme.Format
    mode: Programme.Mode
    description: str = Field("", max_length=5000)
    category: int | None = Field(None, description="id of an hours category of the bureau")
    capacity: int | None = Field(None, ge=1, le=100000)
    min_attendance: int = Field(80, ge=0, le=100)
    assignment_required: bool = False
    assignment_pass_mark: float | None = Field(None, ge=0, le=1000)
    test_pass_mark: float | None = Field(None, ge=0, le=1000)
    hours_mode: Programme.HoursMode = Programme.HoursMode.ALL


class ProgrammePatch(Schema):
    version: int | None = None
    title: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=5000)
    cohorts: list[Cohort] | None = None
    tier: Programme.Tier | None = None
    format: Programme.Format | None = None
    mode: Programme.Mode | None = None
    category: int | None = None
    capacity: int | None = Field(None, ge=1, le=100000)
    min_attendance: int | None = Field(None, ge=0, le=100)
    assignment_required: bool | None = None
    assignment_pass_mark: float | None = Field(None, ge=0, le=1000)
    test_pass_mark: float | None = Field(None, ge=0, le=1000)
    hours_mode: Programme.HoursMode | None = None


class ProgrammeFilter(FilterSchema):
    status: Programme.Status | None = None
    tier: Programme.Tier | None = None
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None
    cohort: Annotated[Cohort | None, FilterLookup("cohorts__contains")] = None


class CompletionOut(Schema):
    completed: int
    not_completed: int
    credited: int


class SessionOut(Schema):
    id: int
    org_unit: int = Field(..., alias="programme.org_unit_id")
    programme: int = Field(..., alias="programme_id")
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    link: str
    hours: float
    present_count: int
    version: int


class SessionIn(Schema):
    title: str = Field(..., max_length=120)
    starts_at: dt.datetime
    ends_at: dt.datetime
    hours: float = Field(..., gt=0, le=24)
    place: str = Field("", max_length=200)
    link: str = Field("", max_length=300)


class EnrolmentOut(Schema):
    id: int
    org_unit: int = Field(..., alias="programme.org_unit_id")
    programme: int = Field(..., alias="programme_id")
    person: int = Field(..., alias="person_id")
    person_name: str = Field(..., alias="person.name")
    school: int = Field(..., alias="school_id")
    cohort: str
    status: str
    via: str
    enrolled_at: dt.datetime
    outcome: str
    missed: list[dict]
    attended_sessions: int
    hours_credited: float
    hours_adjustment: float
    test_score: float | None


class EnrolmentFilter(FilterSchema):
    programme: Annotated[int | None, FilterLookup("programme_id")] = None
    status: Enrolment.Status | None = None
    person: Annotated[int | None, FilterLookup("person_id")] = None


class NominationIn(Schema):
    person: int | str = Field(..., description="id or staff number of a person of your school")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=300)


class AttendanceOut(Schema):
    id: int
    org_unit: int = Field(..., alias="session.programme.org_unit_id")
    session: int = Field(..., alias="session_id")
    person: int = Field(..., alias="person_id")
    status: str
    method: str
    checked_in_at: dt.datetime | None


class AttendanceFilter(FilterSchema):
    session: Annotated[int | None, FilterLookup("session_id")] = None
    programme: Annotated[int | None, FilterLookup("session__programme_id")] = None
    status: Attendance.Status | None = None


class TrainingCheckinIn(Schema):
    code: str = Field(..., max_length=20)


class AssignmentOut(Schema):
    id: int
    org_unit: int = Field(..., alias="programme.org_unit_id")
    programme: int = Field(..., alias="programme_id")
    title: str
    instructions: str
    deadline: dt.datetime
    max_score: float
    version: int


class AssignmentIn(Schema):
    title: str = Field(..., max_length=120)
    deadline: dt.datetime
    instructions: str = Field("", max_length=5000)
    max_score: float = Field(100, gt=0, le=1000)


class AssignmentFilter(FilterSchema):
    programme: Annotated[int | None, FilterLookup("programme_id")] = None


class SubmissionOut(Schema):
    id: int
    org_unit: int = Field(..., alias="assignment.programme.org_unit_id")
    assignment: int = Field(..., alias="assignment_id")
    person: int = Field(..., alias="person_id")
    text: str
    has_file: bool
    status: str
    resubmitted: bool
    submitted_at: dt.datetime
    score: float | None
    comment: str

    @staticmethod
    def resolve_has_file(obj) -> bool:
        return bool(obj.file)


class SubmissionIn(Schema):
    text: str = Field(..., min_length=1, max_length=20000)


class SubmissionFilter(FilterSchema):
    assignment: Annotated[int | None, FilterLookup("assignment_id")] = None
    status: str | None = None


class GradeIn(Schema):
    score: float | None = Field(None, ge=0, le=1000)
    comment: str = Field("", max_length=5000)
    return_it: bool = False
