"""API of the recommendation rounds (评优/推荐): rounds (list, detail, create, edit, a
unit's quota, recommend, announce) and their entries (list, detail, withdraw) — through
the services of :mod:`jiaoyan.resources.rounds`, every reference through core.resolve."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Router, Schema

from jiaoyan.core.api_crud import Resource as ApiResource
from jiaoyan.orgs.models import OrgUnit

from . import rounds
from .models import Honour, Kind, Recommendation, RecommendationRound, Resource

router = Router(tags=["resources"])


class RecommendationRoundOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    title: str
    description: str
    kinds: list[str]
    opens_on: dt.date
    closes_on: dt.date
    school_quota: int
    county_quota: int
    city_quota: int
    quotas: dict[str, int]
    one_per_teacher_node: bool
    phase: str
    announced_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_phase(obj) -> str:
        return obj.phase()


class RecommendationRoundIn(Schema):
    org_unit: int | str = Field(..., description="the bureau running the round: id or code")
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    kinds: list[Kind] = Field(..., min_length=1)
    opens_on: dt.date
    closes_on: dt.date
    school_quota: int = Field(3, ge=0, le=rounds.MAX_QUOTA)
    county_quota: int = Field(10, ge=0, le=rounds.MAX_QUOTA)
    city_quota: int = Field(20, ge=0, le=rounds.MAX_QUOTA)
    one_per_teacher_node: bool = False


class RecommendationRoundPatch(Schema):
    version: int | None = None
    title: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=2000)
    kinds: list[Kind] | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    school_quota: int | None = Field(None, ge=0, le=rounds.MAX_QUOTA)
    county_quota: int | None = Field(None, ge=0, le=rounds.MAX_QUOTA)
    city_quota: int | None = Field(None, ge=0, le=rounds.MAX_QUOTA)
    one_per_teacher_node: bool | None = None


class QuotaIn(Schema):
    unit: int | str = Field(..., description="a school or county of the round: id or code")
    quota: int | None = Field(..., ge=0, le=rounds.MAX_QUOTA, description="null: the level's")


class RecommendIn(Schema):
    resource: int = Field(..., description="id of a published resource")
    unit: int | str | None = Field(
        None, description="the unit recommending (id or code); default: yours that can"
    )
    note: str = Field("", max_length=200)


class RecommendationOut(Schema):
    id: int
    round: int = Field(..., alias="round_id")
    resource: int = Field(..., alias="resource_id")
    resource_title: str = Field(..., alias="resource.title")
    level: Honour
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    to_unit: int | None = Field(None, alias="to_unit_id")
    source: int | None = Field(None, alias="source_id")
    note: str
    recommended_at: dt.datetime
    withdrawn_at: dt.datetime | None
    honoured: bool


class RecommendationRoundFilter(FilterSchema):
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None


class RecommendationFilter(FilterSchema):
    round: Annotated[int | None, FilterLookup("round_id")] = None
    resource: Annotated[int | None, FilterLookup("resource_id")] = None
    level: Honour | None = None
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None
    to_unit: Annotated[int | None, FilterLookup("to_unit_id")] = None
    withdrawn: bool | None = Field(
        None, description="true: withdrawn entries only; false: those in force"
    )

    def filter_withdrawn(self, value):
        return Q() if value is None else Q(withdrawn_at__isnull=not value)


round_rows = ApiResource(
    router,
    "/recommendation-rounds/{round_id}",
    RecommendationRound.objects.select_related("org_unit"),
    out=RecommendationRoundOut,
    name="recommendation_round",
    arg="round",
)
entries = ApiResource(
    router,
    "/recommendations/{recommendation_id}",
    Recommendation.objects.select_related("resource", "org_unit"),
    out=RecommendationOut,
)

round_rows.list(
    filters=RecommendationRoundFilter,
    order=("-opens_on", "-id"),
    summary="Recommendation rounds run by your units or the units above them",
).get(summary="A recommendation round").create(
    rounds.create_round,
    RecommendationRoundIn,
    refs={"org_unit": OrgUnit},
    summary="Start a round (its kinds, dates and quotas per level)",
).update(
    rounds.update_round,
    RecommendationRoundPatch,
    blank=("description",),
    summary="Edit a round before its results are announced",
).action(
    "quota",
    rounds.set_unit_quota,
    body=QuotaIn,
    refs={"unit": OrgUnit},
    summary="Give one school or county its own quota (null: its level's)",
    name="set_recommendation_quota",
).action(
    "recommend",
    rounds.recommend,
    body=RecommendIn,
    refs={"resource": Resource, "unit": OrgUnit},
    answers=entries,
    summary="Recommend a published resource one level up, within your unit's quota",
    name="recommend_resource",
).action(
    "announce",
    rounds.announce,
    summary="Announce the results once closed: honours marked, authors told",
    name="announce_recommendation_round",
)

entries.list(
    filters=RecommendationFilter,
    order=("-recommended_at", "-id"),
    summary="Recommendations your units made or received (and announced honours)",
).get(summary="A recommendation").action(
    "withdraw",
    rounds.withdraw,
    summary="Withdraw a recommendation before the round closes",
)
