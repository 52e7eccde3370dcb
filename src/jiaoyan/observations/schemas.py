"""API shapes of lesson observation."""

import datetime as dt
from typing import Annotated, Any

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.api_schemas import NamesOut
from jiaoyan.core.resolve import stage_q, subject_q, within_q

from .models import Observation
from .st import DEFAULT_INTERVAL
from .terms import parse_term, term_of

ScoreValue = str | float | int | None


class BandSchema(Schema):
    label: str = Field(..., max_length=10)
    min: float
    max: float


class CriterionOut(Schema):
    id: int
    order: int
    text: str
    min_score: float
    max_score: float
    bands: list[BandSchema]


class DimensionOut(Schema):
    id: int
    order: int
    name: str
    weight: float
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_criteria(obj):
        return list(obj.criteria.all())


class CriterionIn(Schema):
    text: str = Field(..., max_length=300)
    min_score: float = 0
    max_score: float
    bands: list[BandSchema] = Field(default_factory=list)


class DimensionIn(Schema):
    name: str = Field(..., max_length=50)
    weight: float
    criteria: list[CriterionIn]


class RubricVersionOut(Schema):
    number: int
    note: str
    created_at: dt.datetime
    in_use: bool
    dimensions: list[DimensionOut]


class RubricOut(NamesOut):
    id: int
    org_unit: int | None = Field(None, alias="org_unit_id")
    name: str
    description: str
    stage: str | None = Field(None, description="stage code, e.g. junior; null: any stage")
    subject: str | None = Field(None, description="subject name, e.g. 数学; null: any subject")
    is_active: bool
    current_version: int | None
    version: int

    @staticmethod
    def resolve_current_version(obj) -> int | None:
        return obj.current.number if obj.current_id else None


class RubricDetailOut(RubricOut):
    dimensions: list[DimensionOut] = Field(..., description="the current version's content")


class RubricIn(Schema):
    org_unit: int = Field(..., description="id of the owning unit")
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    stage: str | None = Field(None, max_length=20)
    subject: str | None = Field(None, max_length=30)
    dimensions: list[DimensionIn]


class RubricUpdate(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    stage: str | None = Field(None, max_length=20)
    subject: str | None = Field(None, max_length=30)
    dimensions: list[DimensionIn]
    note: str = Field("", max_length=200, description="what changed (version history)")
    version: int | None = Field(None, description="the rubric's version you edited (locking)")


class DimensionResult(Schema):
    name: str
    weight: float
    points: float | None
    percent: float | None


class ScoreOut(Schema):
    criterion: int = Field(..., alias="criterion_id")
    score: float


class STOut(Schema):
    sequence: str
    interval: int
    n: int
    n_t: int
    n_s: int
    runs: int
    rt: float
    ch: float
    mode: str
    mode_label: str
    curve: list[list[int]] = Field(..., description="(cumulative T, cumulative S) per sample")


class STIn(Schema):
    sequence: str = Field(..., max_length=3000, description="T and S, one per sample")
    interval: int = Field(DEFAULT_INTERVAL, ge=5, le=600)


class ReplyOut(Schema):
    id: int
    author_name: str
    text: str
    created_at: dt.datetime


class ObservationListOut(NamesOut):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str
    teacher: int = Field(..., alias="teacher_id")
    teacher_name: str
    observer: int = Field(..., alias="observer_id")
    observer_name: str
    kind: str
    subject: str
    stage: str
    grade: str
    class_name: str
    topic: str
    date: dt.date
    period: int | None
    term: str
    rubric_version: int = Field(..., alias="rubric_version_id")
    round: int | None = Field(None, alias="round_id")
    activity: int | None = Field(
        None, alias="activity_id", description="id of the research activity it was made in"
    )
    activity_title: str = Field(
        ..., description="the activity's title when it was linked, or a free-text name"
    )
    total: float | None
    status: str
    st_rt: float | None
    st_ch: float | None
    st_mode: str
    submitted_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_teacher_name(obj) -> str:
        return obj.teacher.name

    @staticmethod
    def resolve_term(obj) -> str:
        return term_of(obj.term).code


class ObservationOut(ObservationListOut):
    rubric: int
    dimensions: list[DimensionResult]
    scores: list[ScoreOut]
    st: STOut | None
    strengths: str
    suggestions: str
    notes: str
    corrections: int
    replies: list[ReplyOut]

    @staticmethod
    def resolve_rubric(obj) -> int:
        return obj.rubric_version.rubric_id

    @staticmethod
    def resolve_dimensions(obj) -> list[dict[str, Any]]:
        return obj.dimension_results or []

    @staticmethod
    def resolve_scores(obj):
        return list(obj.scores.all())

    @staticmethod
    def resolve_st(obj):
        from .st import analyse

        if not obj.st_sequence:
            return None
        result = analyse(obj.st_sequence, obj.st_interval)
        return {"sequence": result.sequence, **result.as_dict()}

    @staticmethod
    def resolve_replies(obj):
        return list(obj.replies.all())


class ObservationIn(Schema):
    teacher: int = Field(..., description="id of the person observed")
    rubric: int = Field(..., description="id of the rubric (its current version is used)")
    kind: Observation.Kind
    subject: str = Field(..., max_length=30, description="subject name, e.g. 数学")
    stage: str = Field(..., max_length=20, description="stage code, e.g. junior")
    topic: str = Field(..., max_length=200)
    date: dt.date
    period: int | None = None
    grade: str = Field("", max_length=20)
    class_name: str = Field("", max_length=20)
    round: int | None = None
    activity: int | None = Field(
        None,
        description="id of the research activity it is made in (kinds activity, inspection, "
        "same_lesson; a round's observations follow the round's activity)",
    )
    activity_title: str = Field(
        "", max_length=200, description="without `activity`: an activity not on the platform"
    )
    scores: dict[str, ScoreValue] = Field(default_factory=dict, description="criterion id → score")
    st_sequence: str = Field("", max_length=3000)
    st_interval: int = DEFAULT_INTERVAL
    strengths: str = Field("", max_length=5000)
    suggestions: str = Field("", max_length=5000)
    notes: str = Field("", max_length=5000)
    submit: bool = Field(False, description="submit at once (every criterion scored)")


class ObservationPatch(Schema):
    kind: Observation.Kind | None = None
    topic: str | None = Field(None, max_length=200)
    date: dt.date | None = None
    period: int | None = None
    grade: str | None = Field(None, max_length=20)
    class_name: str | None = Field(None, max_length=20)
    activity: int | None = Field(None, description="id of a research activity; null unlinks")
    activity_title: str | None = Field(None, max_length=200)
    scores: dict[str, ScoreValue] | None = Field(
        None, description="criterion id → score; replaces all scores"
    )
    st_sequence: str | None = Field(None, max_length=3000)
    st_interval: int | None = None
    strengths: str | None = Field(None, max_length=5000)
    suggestions: str | None = Field(None, max_length=5000)
    notes: str | None = Field(None, max_length=5000)
    version: int | None = None


class CorrectionIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)
    topic: str | None = Field(None, max_length=200)
    date: dt.date | None = None
    period: int | None = None
    grade: str | None = Field(None, max_length=20)
    class_name: str | None = Field(None, max_length=20)
    scores: dict[str, ScoreValue] | None = None
    st_sequence: str | None = Field(None, max_length=3000)
    st_interval: int | None = None
    strengths: str | None = Field(None, max_length=5000)
    suggestions: str | None = Field(None, max_length=5000)
    notes: str | None = Field(None, max_length=5000)
    version: int | None = None


class ReplyIn(Schema):
    text: str = Field(..., min_length=1, max_length=2000)


class VersionIn(Schema):
    version: int | None = None


class ActivityLinkIn(Schema):
    activity: int | None = Field(
        ..., description="id of the research activity; null unlinks the observation"
    )


class RubricFilter(FilterSchema):
    active: Annotated[bool | None, FilterLookup("is_active")] = None


class RoundFilter(FilterSchema):
    activity: Annotated[int | None, FilterLookup("activity_id")] = None


class LiaisonFilter(FilterSchema):
    active: Annotated[bool | None, FilterLookup("is_active")] = True


class ObservationFilter(FilterSchema):
    within: int | None = Field(None, description="id of a unit: observations in its subtree")
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = Field(None)
    teacher: Annotated[int | None, FilterLookup("teacher_id")] = Field(None)
    observer: Annotated[int | None, FilterLookup("observer_id")] = Field(None)
    kind: Observation.Kind | None = None
    status: Observation.Status | None = None
    subject: str | None = Field(None, max_length=30, description="subject name or code")
    stage: str | None = Field(None, max_length=20, description="stage code or name")
    round: Annotated[int | None, FilterLookup("round_id")] = Field(None)
    activity: Annotated[int | None, FilterLookup("activity_id")] = Field(
        None, description="id of a research activity: the observations made in it"
    )
    term: str | None = Field(None, description="term code, e.g. 2024-2025-1")
    date_from: Annotated[dt.date | None, FilterLookup("date__gte")] = None
    date_to: Annotated[dt.date | None, FilterLookup("date__lte")] = None

    def filter_within(self, value):
        return within_q(value, "unit_path__under_indexed")

    def filter_subject(self, value):
        return subject_q(value)

    def filter_stage(self, value):
        return stage_q(value)

    def filter_term(self, value):
        if not value:
            return Q()
        term = parse_term(value)
        return Q(term=term.start) if term else Q(pk__in=[])


class RoundOut(NamesOut):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    topic: str
    subject: str
    stage: str
    date: dt.date
    description: str
    activity: int | None = Field(None, alias="activity_id")
    activity_title: str


class ComparisonTeacherOut(Schema):
    teacher: int
    teacher_name: str
    school: str
    observations: int
    mean_total: float | None
    dimensions: list[float | None]


class RoundDetailOut(RoundOut):
    dimensions: list[str]
    teachers: list[ComparisonTeacherOut]


class RoundIn(Schema):
    """With ``activity`` (a 同课异构 activity), the fields left out are taken from it: the
    organiser, its title as the topic, the subject, the stage and the day."""

    activity: int | None = Field(None, description="id of the 同课异构 research activity")
    org_unit: int | None = None
    topic: str | None = Field(None, min_length=1, max_length=200)
    subject: str | None = Field(None, max_length=30)
    stage: str | None = Field(None, max_length=20)
    date: dt.date | None = None
    description: str = Field("", max_length=5000)
    activity_title: str = Field(
        "", max_length=200, description="without `activity`: an activity not on the platform"
    )


class LiaisonOut(Schema):
    id: int
    researcher: int = Field(..., alias="researcher_id")
    researcher_name: str
    school: int = Field(..., alias="school_id")
    school_name: str
    org_unit: int = Field(..., alias="school_id")
    start_date: dt.date
    end_date: dt.date | None
    is_active: bool
    note: str

    @staticmethod
    def resolve_researcher_name(obj) -> str:
        return obj.researcher.name

    @staticmethod
    def resolve_school_name(obj) -> str:
        return obj.school.name


class LiaisonIn(Schema):
    researcher: int
    school: int
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    note: str = Field("", max_length=200)
