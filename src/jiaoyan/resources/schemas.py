"""API shapes of the resource library."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core import search

from .filters import USE_TIE_BREAK, honoured_q
from .models import Decision, Honour, Kind, Review, Status, Visibility


class ResourceOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str = Field(..., alias="org_unit.name")
    kind: str
    title: str
    summary: str
    stage: int | None = Field(None, alias="stage_id")
    subject: int | None = Field(None, alias="subject_id")
    grade: int | None
    edition: str
    curriculum_node: int | None = Field(None, alias="curriculum_node_id")
    themes: list[str]
    authors: list[int] = Field(..., alias="author_ids")
    status: str
    visibility: str
    video_link: str
    round: int
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None
    created_at: dt.datetime
    version: int
    view_count: int
    download_count: int
    use_count: int
    rating_count: int
    rating_average: float | None

    @staticmethod
    def resolve_author_ids(obj) -> list[int]:
        return [p.pk for p in obj.authors.all()]


class ResourceIn(Schema):
    org_unit: int | str = Field(..., description="the owning unit: id or unit code")
    kind: Kind
    title: str = Field(..., max_length=120)
    summary: str = Field("", max_length=5000)
    stage: int | str | None = Field(None, description="id, code or name")
    subject: int | str | None = Field(None, description="id, code or name")
    grade: int | None = Field(None, ge=1, le=12)
    edition: str = Field("", max_length=40)
    curriculum_node: int | None = Field(None, description="id of a chapter")
    themes: list[str] = Field(default_factory=list, max_length=10)
    authors: list[int | str] = Field(
        default_factory=list, description="people: ids or staff numbers; empty: yourself"
    )
    visibility: Visibility = Visibility.INTERNAL
    video_link: str = Field("", max_length=300)


class ResourcePatch(Schema):
    version: int | None = None
    kind: Kind | None = None
    title: str | None = Field(None, max_length=120)
    summary: str | None = Field(None, max_length=5000)
    stage: int | str | None = None
    subject: int | str | None = None
    grade: int | None = Field(None, ge=1, le=12)
    edition: str | None = Field(None, max_length=40)
    curriculum_node: int | None = None
    themes: list[str] | None = Field(None, max_length=10)
    authors: list[int | str] | None = None
    visibility: Visibility | None = None
    video_link: str | None = Field(None, max_length=300)


class ResourceFilter(FilterSchema):
    q: str | None = Field(
        None,
        description="words to search for (Chinese full text; simplified and traditional "
        "alike); the list comes best match first",
    )
    kind: Kind | None = None
    status: Status | None = None
    stage: Annotated[int | None, FilterLookup("stage_id")] = None
    subject: Annotated[int | None, FilterLookup("subject_id")] = None
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = None
    honour: Honour | None = Field(
        None, description="honoured at this level (校优/县优/市优 …) in an announced round"
    )

    def filter_honour(self, value) -> Q:
        return honoured_q(value) if value else Q()

    def filter_q(self, value) -> Q:
        return Q()  # not a condition: filter() joins the ranked matches (core.search)

    def filter(self, queryset):
        queryset = super().filter(queryset)
        text = (self.q or "").strip()
        return search.search(queryset, text, then=USE_TIE_BREAK) if text else queryset


class SubmitIn(Schema):
    version: int | None = None


class ReviewerIn(Schema):
    reviewer: int | str = Field(..., description="the reviewer: person id or staff number")


class DecisionIn(Schema):
    version: int | None = None
    decision: Decision
    comment: str = Field("", max_length=5000)


class FileOut(Schema):
    id: int
    resource: int = Field(..., alias="resource_id")
    name: str
    size: int
    category: str
    content_type: str
    created_at: dt.datetime


class ReviewOut(Schema):
    id: int
    resource: int = Field(..., alias="resource_id")
    resource_title: str = Field(..., alias="resource.title")
    org_unit: int = Field(..., alias="resource.org_unit_id")
    round: int
    reviewer: int | None = Field(None, description="hidden from the authors (blind review)")
    reviewer_name: str = Field("", description="hidden from the authors (blind review)")
    criteria: list[dict]
    scores: dict[str, float]
    total: float | None
    comment: str
    recommendation: str
    status: str
    assigned_at: dt.datetime
    reviewed_at: dt.datetime | None

    @staticmethod
    def resolve_reviewer(obj, context) -> int | None:
        from .queries import sees_reviewer

        return obj.reviewer_id if sees_reviewer(context["request"].auth, obj) else None

    @staticmethod
    def resolve_reviewer_name(obj, context) -> str:
        from .queries import sees_reviewer

        return obj.reviewer.name if sees_reviewer(context["request"].auth, obj) else ""


class ReviewIn(Schema):
    scores: dict[str, float | str]
    comment: str = Field("", max_length=5000)
    recommendation: Decision | None = None


class ReviewFilter(FilterSchema):
    status: Review.State | None = None
    resource: Annotated[int | None, FilterLookup("resource_id")] = None


class ReviewCriterionIn(Schema):
    name: str = Field(..., max_length=100)
    max: float = Field(..., gt=0, le=1000)
    weight: float = Field(1, gt=0, le=100, description="the score counts this many times")


class ReviewRubricOut(Schema):
    id: int
    org_unit: int | None = Field(None, alias="org_unit_id")
    name: str
    criteria: list[dict]
    is_active: bool
    version: int


class ReviewRubricIn(Schema):
    org_unit: int | str = Field(..., description="the owning unit: id or unit code")
    name: str = Field(..., max_length=100)
    criteria: list[ReviewCriterionIn] = Field(..., min_length=1, max_length=30)


class ReviewRubricPatch(Schema):
    version: int | None = None
    name: str | None = Field(None, max_length=100)
    criteria: list[ReviewCriterionIn] | None = Field(None, min_length=1, max_length=30)
    is_active: bool | None = None
