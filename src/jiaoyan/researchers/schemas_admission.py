"""API shapes of admission (准入). Component names are unique across apps (``Admission…``).

A requirement's ``kind`` is a plain string, so a kind the platform cannot check reaches
the service and is refused with its message (400), like every other bad requirement."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.resolve import within_q

from . import admission
from .models import AdmissionApplication, AdmissionRound, ResearcherProfile


class AdmissionRequirement(Schema):
    kind: str = Field(
        ...,
        max_length=30,
        description="years, title, honour, demo_lesson, written_test or interview",
    )
    years: int | None = Field(None, description="years: the fewest years of teaching")
    title: str | None = Field(None, max_length=20, description="title: the lowest title")
    honour: str | None = Field(None, max_length=30, description="honour: the honour title")
    level: str | None = Field(None, max_length=20, description="honour: the lowest level")
    pass_mark: int | None = Field(None, description="demo_lesson, written_test: 1–100")


class AdmissionRequirementOut(AdmissionRequirement):
    text: str

    @staticmethod
    def resolve_text(obj: dict[str, Any]) -> str:
        return admission.describe(obj)


class AdmissionRoundOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    institute: int = Field(..., alias="institute_id")
    title: str
    subject: int | None = Field(None, alias="subject_id")
    stage: int | None = Field(None, alias="stage_id")
    employment: str
    places: int
    opens_on: dt.date
    closes_on: dt.date
    requirements: list[AdmissionRequirementOut]
    notes: str
    status: str
    published_at: dt.datetime | None
    version: int


class AdmissionRoundIn(Schema):
    org_unit: int | str = Field(..., description="the bureau: id or unit code")
    institute: int | str | None = Field(
        None, description="the institute the appointed join (default: the bureau)"
    )
    title: str = Field(..., max_length=100)
    subject: int | str | None = None
    stage: int | str | None = None
    employment: ResearcherProfile.Employment = ResearcherProfile.Employment.FULL_TIME
    places: int = Field(1, ge=1, le=500)
    opens_on: dt.date
    closes_on: dt.date
    requirements: list[AdmissionRequirement] = Field(..., max_length=20)
    notes: str = Field("", max_length=4000)


class AdmissionRoundPatch(Schema):
    version: int | None = None
    title: str | None = Field(None, max_length=100)
    institute: int | str | None = None
    employment: ResearcherProfile.Employment | None = None
    places: int | None = Field(None, ge=1, le=500)
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    requirements: list[AdmissionRequirement] | None = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=4000)


class AdmissionRoundFilter(FilterSchema):
    status: AdmissionRound.Status | None = None
    within: int | None = Field(None, description="unit id: rounds of bureaus under it")

    def filter_within(self, value):
        return within_q(value)


class AdmissionCheckOut(Schema):
    kind: str
    requirement: str
    from_records: bool
    state: str = Field(..., description="pass, fail or pending")
    found: str


class AdmissionApplicationOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    round: int = Field(..., alias="round_id")
    person: int = Field(..., alias="person_id")
    name: str = Field(..., alias="person.name")
    statement: str
    status: str
    checks: list[AdmissionCheckOut]
    reviews: dict[str, Any]
    reasons: str
    start_date: dt.date | None
    decided_at: dt.datetime | None
    role_assignment: int | None = Field(None, alias="role_assignment_id")
    evidence: list[str]
    version: int

    @staticmethod
    def resolve_checks(obj: AdmissionApplication):
        from .queries_admission import checks

        return [c.as_dict() for c in checks(obj)]

    @staticmethod
    def resolve_evidence(obj: AdmissionApplication) -> list[str]:
        return [e.file_name for e in obj.evidence.all()]


class AdmissionApplyIn(Schema):
    statement: str = Field(..., max_length=4000)


class AdmissionReviewIn(Schema):
    kind: str = Field(..., max_length=30)
    score: float | None = Field(None, description="demo_lesson, written_test: 0–100")
    passed: bool | None = Field(None, description="interview")
    comment: str = Field("", max_length=500)


class AdmissionDecisionIn(Schema):
    appoint: bool
    reasons: str = Field("", max_length=2000)
    start_date: dt.date | None = None


class AdmissionApplicationFilter(FilterSchema):
    round: Annotated[int | None, FilterLookup("round_id")] = Field(None)
    status: AdmissionApplication.Status | None = None
