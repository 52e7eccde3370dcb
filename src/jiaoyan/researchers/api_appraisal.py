"""API of the self-review (专业标准自评) and the annual appraisal (年度考核), through the
same services and queries as the pages. Schema names carry "Appraisal"/"SelfReview" so
they stay unique across the apps' OpenAPI components."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Router, Schema
from ninja.responses import Status

from jiaoyan.core.api_crud import Resource
from jiaoyan.orgs.models import OrgUnit

from . import services_appraisal
from .models import (
    Appraisal,
    AppraisalIndicator,
    AppraisalScheme,
    Grade,
    ResearcherProfile,
    ReviewStandard,
    SelfReview,
)

router = Router(tags=["researchers"])


class ReviewStandardOut(Schema):
    id: int
    org_unit: int | None = Field(None, alias="org_unit_id")
    name: str
    dimensions: list[dict[str, Any]]
    is_active: bool


class SelfReviewOut(Schema):
    id: int
    profile: int = Field(..., alias="profile_id")
    name: str = Field(..., alias="profile.person.name")
    org_unit: int = Field(..., alias="org_unit_id")
    standard: int = Field(..., alias="standard_id")
    year: int
    ratings: dict[str, int]
    evidence: dict[str, list[str]]
    reflection: str
    status: SelfReview.Status
    submitted_at: dt.datetime | None


class SelfReviewIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    ratings: dict[str, int | None] = Field(
        default_factory=dict, description="statement code → level 1–4"
    )
    evidence: dict[str, list[str]] = Field(
        default_factory=dict,
        description='dimension code → records of the year\'s work record ("activity:12", '
        '"observation:5", "residency:3", "item:7")',
    )
    reflection: str = ""
    submit: bool = False


class SelfReviewFilter(FilterSchema):
    year: int | None = None
    status: SelfReview.Status | None = None
    profile: Annotated[int | None, FilterLookup("profile_id")] = None


class AppraisalIndicatorOut(Schema):
    id: int
    code: str
    name: str
    kind: AppraisalIndicator.Kind
    measure: str
    target: Decimal | None
    max_score: Decimal


class AppraisalSchemeOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    year: int
    name: str
    status: AppraisalScheme.Status
    excellent_min: Decimal
    qualified_min: Decimal
    basic_min: Decimal
    excellent_quota: int | None
    exit_grades: list[str]
    indicators: list[AppraisalIndicatorOut]
    version: int

    @staticmethod
    def resolve_indicators(obj):
        return list(obj.indicators.all())


class AppraisalSchemeIn(Schema):
    org_unit: int | str = Field(..., description="the bureau: id or unit code")
    year: int = Field(..., ge=2000, le=2100)
    name: str = ""
    excellent_quota: int | None = Field(None, ge=0, description="none: no quota")
    excellent_min: Decimal = Decimal(90)
    qualified_min: Decimal = Decimal(75)
    basic_min: Decimal = Decimal(60)
    exit_grades: list[Grade] = Field(default_factory=lambda: [Grade.UNQUALIFIED])


class AppraisalIndicatorIn(Schema):
    name: str
    kind: AppraisalIndicator.Kind
    measure: str = ""
    target: Decimal | None = None
    max_score: Decimal


class AppraisalSchemeFilter(FilterSchema):
    year: int | None = None
    status: AppraisalScheme.Status | None = None


class AppraisalOut(Schema):
    id: int
    scheme: int = Field(..., alias="scheme_id")
    profile: int = Field(..., alias="profile_id")
    name: str = Field(..., alias="profile.person.name")
    org_unit: int = Field(..., alias="org_unit_id")
    year: int
    status: Appraisal.Status
    self_summary: str
    self_grade: str
    scores: dict[str, dict[str, Any]]
    total: Decimal | None
    grade: str
    review_comment: str
    exit_review: bool
    confirmed_at: dt.datetime | None


class AppraisalQuery(FilterSchema):
    year: int | None = None
    scheme: Annotated[int | None, FilterLookup("scheme_id")] = None
    grade: Grade | None = None
    status: Appraisal.Status | None = None
    profile: Annotated[int | None, FilterLookup("profile_id")] = None


class AppraisalSelfIn(Schema):
    summary: str
    self_grade: Grade | None = None


class AppraisalReviewIn(Schema):
    scores: dict[str, Decimal] = Field(..., description="scored indicator code → score")
    comments: dict[str, str] = Field(default_factory=dict)
    comment: str = ""
    grade: Grade | None = Field(None, description="none: the grade the total earns")


standards = Resource(
    router, "/review-standards/{standard_id}", ReviewStandard.objects.all(), out=ReviewStandardOut
)
standards.list(order=("org_unit_id", "-id"), summary="Professional standards (专业标准)")
standards.get()

self_reviews = Resource(
    router,
    "/self-reviews/{self_review_id}",
    SelfReview.objects.select_related("profile__person"),
    out=SelfReviewOut,
)
self_reviews.list(
    filters=SelfReviewFilter, order=("-year", "id"), summary="Self-reviews (专业标准自评)"
)
self_reviews.get()

schemes = Resource(
    router,
    "/appraisal-schemes/{scheme_id}",
    AppraisalScheme.objects.prefetch_related("indicators"),
    out=AppraisalSchemeOut,
    name="appraisal_scheme",
    arg="scheme",
)
schemes.list(
    filters=AppraisalSchemeFilter, order=("-year", "id"), summary="Appraisal schemes (考核方案)"
)
schemes.get().create(
    services_appraisal.create_scheme, AppraisalSchemeIn, refs={"org_unit": OrgUnit}
)

appraisals = Resource(
    router,
    "/appraisals/{appraisal_id}",
    Appraisal.objects.select_related("profile__person"),
    out=AppraisalOut,
)
appraisals.list(
    filters=AppraisalQuery,
    order=("-year", "org_unit_id", "id"),
    summary="Annual appraisals (年度考核)",
)
appraisals.get()
appraisals.action(
    "self-assessment",
    services_appraisal.self_assess,
    body=AppraisalSelfIn,
    name="self_assess_appraisal",
    summary="The researcher's self-assessment",
)
appraisals.action(
    "review",
    services_appraisal.review_appraisal,
    body=AppraisalReviewIn,
    name="review_appraisal",
    summary="The institute's review: scores, comments, grade",
)
appraisals.action(
    "confirmation",
    services_appraisal.confirm_appraisal,
    name="confirm_appraisal",
    summary="The bureau's confirmation",
)


@router.post(
    "/researchers/{profile_id}/self-reviews",
    response={201: SelfReviewOut},
    summary="Save (or submit) the researcher's self-review of a year",
    operation_id="save_self_review",
)
def save_self_review(request, profile_id: int, data: SelfReviewIn):
    from jiaoyan.core.scope import get_visible_or_404

    profile = get_visible_or_404(ResearcherProfile, request.auth, pk=profile_id)
    review = services_appraisal.save_self_review(actor=request.auth, profile=profile, **data.dict())
    return Status(201, self_reviews.answer(request, review))


@router.post(
    "/appraisal-schemes/{scheme_id}/indicators",
    response={201: AppraisalSchemeOut},
    summary="Add an indicator to a draft scheme",
    operation_id="add_appraisal_indicator",
)
def add_indicator(request, scheme_id: int, data: AppraisalIndicatorIn):
    scheme = schemes.for_write(request, scheme_id)
    services_appraisal.save_indicator(actor=request.auth, scheme=scheme, **data.dict())
    return Status(201, schemes.answer(request, scheme))


@router.post(
    "/appraisal-schemes/{scheme_id}/open",
    response=AppraisalSchemeOut,
    summary="Open the scheme: an appraisal for every serving researcher of its region",
    operation_id="open_appraisal_scheme",
)
def open_scheme(request, scheme_id: int):
    scheme = schemes.for_write(request, scheme_id)
    services_appraisal.open_scheme(actor=request.auth, scheme=scheme)
    return schemes.answer(request, scheme)
