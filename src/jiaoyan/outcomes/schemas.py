"""API shapes of outcomes, selection rounds, promotion records, adoptions and points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR
from jiaoyan.core.resolve import within_q
from jiaoyan.core.rounds import MAX_QUOTA

from .models import Honour, Kind, PointLevel


class OutcomeOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    kind: Kind
    title: str
    summary: str
    year: int
    authors: list[int] = Field(..., alias="author_ids")
    community: int | None = Field(None, alias="community_id")
    project: int | None = Field(None, alias="project_id")
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_author_ids(obj) -> list[int]:
        return [p.pk for p in obj.authors.all()]


class OutcomeIn(Schema):
    org_unit: int | str = Field(..., description="the submitting unit: id or unit code")
    kind: Kind
    title: str = Field(..., max_length=120)
    summary: str = Field("", max_length=4000)
    year: int | None = Field(None, ge=2000, le=2100)
    authors: list[int | str] = Field(
        default_factory=list, max_length=20, description="ids or staff numbers; empty: you"
    )
    community: int | None = Field(None, description="id of the community it came from")
    project: int | None = Field(None, description="id of the research project it came from")


class OutcomePatch(Schema):
    version: int | None = None
    kind: Kind | None = None
    title: str | None = Field(None, max_length=120)
    summary: str | None = Field(None, max_length=4000)
    year: int | None = Field(None, ge=2000, le=2100)
    authors: list[int | str] | None = Field(None, max_length=20)
    community: int | None = None
    project: int | None = None


class OutcomeFilter(FilterSchema):
    kind: Kind | None = None
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    community: Annotated[int | None, FilterLookup("community_id")] = None
    project: Annotated[int | None, FilterLookup("project_id")] = None
    within: int | None = Field(None, description="a unit's id: outcomes of its subtree")

    def filter_within(self, value):
        return within_q(value)


class SelectionRoundOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    title: str
    year: int
    kinds: list[str]
    opens_on: dt.date
    closes_on: dt.date
    school_quota: int
    county_quota: int
    city_quota: int
    phase: str
    announced_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_phase(obj) -> str:
        return obj.phase()


class SelectionRoundIn(Schema):
    org_unit: int | str = Field(..., description="the bureau running the round: id or code")
    title: str = Field(..., max_length=100)
    year: int | None = Field(None, ge=2000, le=2100)
    kinds: list[Kind] = Field(..., min_length=1)
    opens_on: dt.date
    closes_on: dt.date
    school_quota: int = Field(3, ge=0, le=MAX_QUOTA)
    county_quota: int = Field(10, ge=0, le=MAX_QUOTA)
    city_quota: int = Field(20, ge=0, le=MAX_QUOTA)


class SelectionRoundPatch(Schema):
    version: int | None = None
    title: str | None = Field(None, max_length=100)
    year: int | None = Field(None, ge=2000, le=2100)
    kinds: list[Kind] | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    school_quota: int | None = Field(None, ge=0, le=MAX_QUOTA)
    county_quota: int | None = Field(None, ge=0, le=MAX_QUOTA)
    city_quota: int | None = Field(None, ge=0, le=MAX_QUOTA)


class SelectionRoundFilter(FilterSchema):
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)


class SelectionRecommendIn(Schema):
    outcome: int = Field(..., description="id of the outcome")
    unit: int | str | None = Field(
        None, description="the unit recommending (id or code); default: yours that can"
    )
    note: str = Field("", max_length=200)


class EntryOut(Schema):
    id: int
    round: int = Field(..., alias="round_id")
    outcome: int = Field(..., alias="outcome_id")
    outcome_title: str = Field(..., alias="outcome.title")
    level: Honour
    org_unit: int = Field(..., alias="org_unit_id")
    to_unit: int | None = Field(None, alias="to_unit_id")
    source: int | None = Field(None, alias="source_id")
    note: str
    score: Decimal | None
    recommended_at: dt.datetime
    withdrawn_at: dt.datetime | None
    honoured: bool


class EntryFilter(FilterSchema):
    round: Annotated[int | None, FilterLookup("round_id")] = None
    outcome: Annotated[int | None, FilterLookup("outcome_id")] = None
    level: Honour | None = None
    to_unit: Annotated[int | None, FilterLookup("to_unit_id")] = None
    withdrawn: bool | None = None

    def filter_withdrawn(self, value):
        return Q() if value is None else Q(withdrawn_at__isnull=not value)


class ExpertIn(Schema):
    expert: int | str = Field(..., description="the expert: id or staff number")


class ExpertScoreOut(Schema):
    id: int
    entry: int = Field(..., alias="entry_id")
    expert: int = Field(..., alias="expert_id")
    org_unit: int = Field(..., alias="entry.org_unit_id")
    score: Decimal | None
    comment: str
    assigned_at: dt.datetime
    scored_at: dt.datetime | None


class ScoreIn(Schema):
    score: Decimal = Field(..., ge=0, le=100)
    comment: str = Field("", max_length=2000)


class PromotionOut(Schema):
    id: int
    outcome: int = Field(..., alias="outcome_id")
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    date: dt.date
    event: str
    activity: int | None = Field(None, alias="activity_id")
    participants: int
    demonstration: bool


class PromotionIn(Schema):
    org_unit: int | str = Field(..., description="where: id or unit code")
    date: dt.date
    event: str = Field("", max_length=120)
    activity: int | None = Field(None, description="id of the research activity")
    participants: int = Field(0, ge=0, le=1_000_000)
    demonstration: bool = False


class AdoptionOut(Schema):
    id: int
    outcome: int = Field(..., alias="outcome_id")
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    adopted_on: dt.date
    feedback: str
    rating: int | None


class AdoptionIn(Schema):
    org_unit: int | str = Field(..., description="the adopting unit: id or unit code")
    adopted_on: dt.date
    feedback: str = Field("", max_length=2000)
    rating: int | None = Field(None, ge=1, le=5)


class PointRuleOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    code: str
    label: str
    level: PointLevel
    points: Decimal


class PointRuleIn(Schema):
    org_unit: int | str = Field(..., description="the bureau: id or unit code")
    code: str = Field(..., max_length=40)
    level: PointLevel = PointLevel.ANY
    points: Decimal = Field(..., ge=0, le=1000)
    label: str = Field("", max_length=100)


class PointRow(Schema):
    rule: str
    label: str
    level: str
    count: int
    points: Decimal


class PointTotalOut(Schema):
    id: int
    name: str
    points: Decimal
    rules: list[PointRow]
