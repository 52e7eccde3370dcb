"""API shapes of research projects."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema

from .models import Grade, Level, Project, ProjectCall, ProjectMember, Review, Stage


class CallOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    title: str
    level: str
    year: int
    topics: list[str] = Field(..., alias="topic_list")
    description: str
    opens_on: dt.date
    closes_on: dt.date
    default_quota: int
    quotas: dict[str, int]
    status: str
    application_count: int
    forwarding: bool
    version: int


class CallIn(Schema):
    org_unit: int | str = Field(..., description="the approving unit: id or unit code")
    title: str = Field(..., max_length=120)
    level: Level
    year: int = Field(..., ge=2000, le=2100)
    opens_on: dt.date
    closes_on: dt.date
    topics: str = Field("", max_length=5000, description="one topic per line")
    description: str = Field("", max_length=5000)
    default_quota: int = Field(3, ge=0, le=1000)
    forwarding: bool = Field(False, description="the counties forward applications (区县推荐)")


class CallPatch(Schema):
    version: int | None = None
    title: str | None = Field(None, max_length=120)
    level: Level | None = None
    year: int | None = Field(None, ge=2000, le=2100)
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    topics: str | None = Field(None, max_length=5000)
    description: str | None = Field(None, max_length=5000)
    default_quota: int | None = Field(None, ge=0, le=1000)
    forwarding: bool | None = None


class CallStatusIn(Schema):
    status: ProjectCall.Status


class CallQuotaIn(Schema):
    unit: int | str = Field(..., description="a unit below the call: id or unit code")
    quota: int | None = Field(None, ge=0, le=1000, description="null: back to the default")


class CallFilter(FilterSchema):
    status: ProjectCall.Status | None = None
    level: Level | None = None
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None


class MemberOut(Schema):
    person: int = Field(..., alias="person_id")
    name: str = Field(..., alias="person.name")
    role: str
    unit: int = Field(..., alias="unit_id")
    task: str


class ProjectOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    approving_unit: int = Field(..., alias="approving_unit_id")
    call: int | None = Field(None, alias="call_id")
    title: str
    level: str
    subject: int | None = Field(None, alias="subject_id")
    theme: str
    summary: str
    pi: int = Field(..., alias="pi_id")
    pi_name: str = Field(..., alias="pi.name")
    budget: float | None
    number: str | None
    stage: str
    status: str
    grade: str
    applied_on: dt.date
    approved_on: dt.date | None
    concluded_on: dt.date | None
    opening_due: dt.date | None
    midterm_due: dt.date | None
    conclusion_due: dt.date | None
    due_on: dt.date | None
    forwarded_on: dt.date | None
    overdue: bool
    version: int


class MemberIn(Schema):
    person: int | str = Field(..., description="id or staff number")
    role: ProjectMember.Role = ProjectMember.Role.MEMBER
    task: str = Field("", max_length=200)


class ProjectFilter(FilterSchema):
    level: Level | None = None
    stage: Stage | None = None
    status: Project.Status | None = None
    call: Annotated[int | None, FilterLookup("call_id")] = None
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None
    pi: Annotated[int | None, FilterLookup("pi_id")] = None


class ExpertsIn(Schema):
    experts: list[int | str] = Field(..., min_length=1, description="ids or staff numbers")
    due_on: dt.date | None = None


class ProjectDecideIn(Schema):
    projects: list[int] = Field(..., min_length=1, max_length=1000)
    decision: str = Field(..., pattern="^(approve|reject)$")
    opinion: str = Field("", max_length=1000)
    on: dt.date | None = None


class AcceptIn(Schema):
    stage: Stage
    passed: bool = True
    opinion: str = Field("", max_length=1000)


class ConcludeIn(Schema):
    grade: Grade
    opinion: str = Field("", max_length=1000)
    on: dt.date | None = None


class ExtendIn(Schema):
    due_on: dt.date
    reason: str = Field(..., max_length=300)


class TerminateIn(Schema):
    reason: str = Field(..., max_length=300)


class StageOut(Schema):
    id: int
    org_unit: int = Field(..., alias="project.org_unit_id")
    project: int = Field(..., alias="project_id")
    stage: str
    status: str
    due_on: dt.date | None
    note: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    opinion: str
    extended_to: dt.date | None
    extension_reason: str
    overdue: bool
    version: int


class StageFilter(FilterSchema):
    project: Annotated[int | None, FilterLookup("project_id")] = None
    stage: Stage | None = None
    status: Annotated[str | None, FilterLookup("status")] = None


class ProjectReviewOut(Schema):
    id: int
    org_unit: int = Field(..., alias="project.approving_unit_id")
    project: int = Field(..., alias="project_id")
    project_title: str = Field(..., alias="project.title")
    stage: str
    expert: int = Field(..., alias="expert_id")
    expert_name: str = Field(..., alias="expert.name")
    status: str
    due_on: dt.date | None
    score: float | None
    verdict: str
    grade: str
    opinion: str
    submitted_at: dt.datetime | None
    version: int


class ProjectReviewIn(Schema):
    score: float = Field(..., ge=0, le=100)
    opinion: str = Field("", max_length=3000)
    verdict: Review.Verdict | None = None
    grade: Grade | None = None


class ProjectReviewFilter(FilterSchema):
    project: Annotated[int | None, FilterLookup("project_id")] = None
    status: Review.Status | None = None
    stage: Stage | None = None
