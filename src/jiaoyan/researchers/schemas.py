"""API shapes of the researchers app."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema
from pydantic import field_validator

from jiaoyan.core.resolve import within_q

from .models import ResearcherProfile, RoleChange, Visit

MIN_YEAR, MAX_YEAR = 2000, 2100


class ProfileOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    person: int = Field(..., alias="person_id")
    name: str = Field(..., alias="person.name")
    staff_no: str = Field(..., alias="person.staff_no")
    employment: str
    school: int | None = Field(None, alias="school_id")
    since: dt.date
    status: str
    exited_on: dt.date | None
    version: int


class ProfileIn(Schema):
    person: int | str = Field(..., description="the researcher: id or staff number")
    org_unit: int | str = Field(..., description="the institute: id or unit code")
    employment: ResearcherProfile.Employment = ResearcherProfile.Employment.FULL_TIME
    school: int | str | None = Field(None, description="part-time: the school taught at")
    subjects: list[int | str] = Field(default_factory=list)
    stages: list[int | str] = Field(default_factory=list)
    since: dt.date | None = None


class ProfilePatch(Schema):
    version: int | None = None
    employment: ResearcherProfile.Employment | None = None
    school: int | str | None = None
    subjects: list[int | str] | None = None
    stages: list[int | str] | None = None


class ProfileFilter(FilterSchema):
    status: ResearcherProfile.Status | None = None
    employment: ResearcherProfile.Employment | None = None
    within: int | None = Field(None, description="unit id: profiles of institutes under it")

    def filter_within(self, value):
        return within_q(value)


class DutyIn(Schema):
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    text: str = Field(..., max_length=4000)


class DutyOut(Schema):
    id: int
    year: int
    text: str


class LiaisonSchoolsIn(Schema):
    schools: list[int | str] = Field(..., min_length=1, max_length=100)
    start_date: dt.date
    end_date: dt.date | None = None
    note: str = Field("", max_length=200)


class ChangeIn(Schema):
    reason: RoleChange.Reason
    date: dt.date | None = None
    note: str = Field("", max_length=300)


class ExchangeIn(ChangeIn):
    to_unit: int | str = Field(..., description="the institute joined: id or unit code")


class ResidencyOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    profile: int = Field(..., alias="profile_id")
    researcher: int = Field(..., alias="researcher_id")
    researcher_name: str = Field(..., alias="researcher.name")
    school: int = Field(..., alias="school_id")
    school_name: str = Field(..., alias="school.name")
    start_date: dt.date
    end_date: dt.date
    goals: str
    summary: str
    version: int


class ResidencyIn(Schema):
    school: int | str = Field(..., description="the school: id or unit code")
    start_date: dt.date
    end_date: dt.date
    goals: str = Field(..., max_length=4000)


class ResidencyPatch(Schema):
    version: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    goals: str | None = Field(None, max_length=4000)


class SummaryIn(Schema):
    summary: str = Field(..., max_length=8000)


class ResidencyFilter(FilterSchema):
    researcher: Annotated[int | None, FilterLookup("researcher_id")] = None
    school: Annotated[int | None, FilterLookup("school_id")] = None
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)

    def filter_year(self, value):
        from django.db.models import Q

        if value is None:
            return Q()
        return Q(start_date__lte=dt.date(value, 12, 31), end_date__gte=dt.date(value, 1, 1))


class VisitOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    residency: int = Field(..., alias="residency_id")
    researcher: int = Field(..., alias="researcher_id")
    school: int = Field(..., alias="school_id")
    date: dt.date
    kind: str
    note: str
    activity: int | None = Field(None, alias="activity_id")
    observation: int | None = Field(None, alias="observation_id")


class VisitIn(Schema):
    kind: Visit.Kind
    date: dt.date | None = None
    note: str = Field("", max_length=300)
    activity: int | None = None
    observation: int | None = None


class SchoolRowOut(Schema):
    school: int = Field(..., alias="school_id")
    name: str
    liaison: bool
    observed: int
    visits: int
    state: str


class WorkRecordOut(Schema):
    profile: int
    start: dt.date
    end: dt.date
    organised: int
    organised_by_kind: dict[str, int]
    attended: int
    observed: int
    observed_in_liaison: int
    liaison_share: float | None
    coverage: dict[str, int]
    schools: list[SchoolRowOut]
    ledger_total: int
    ledger_done: int
    ledger_on_time: int
    residencies: int
    residency_days: int
    visits: int
    training_given: float
    training_received: float

    @field_validator("training_given", "training_received", mode="before")
    @classmethod
    def _float(cls, v):
        return float(v)
