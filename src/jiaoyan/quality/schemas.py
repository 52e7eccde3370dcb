"""API shapes of the quality module (the same figures the pages show)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from .models import Exam


class CutoffsIn(Schema):
    # dumped (``.dict()``) as the services take it: ``pass``, not ``pass_``
    model_config = ConfigDict(serialize_by_alias=True)

    excellent: float = Field(..., gt=0, le=1)
    good: float = Field(..., gt=0, le=1)
    pass_: float = Field(..., gt=0, le=1, alias="pass")
    low: float = Field(..., gt=0, le=1)


class WeightsIn(Schema):
    model_config = ConfigDict(serialize_by_alias=True)

    mean: float = Field(..., ge=0)
    excellent: float = Field(..., ge=0)
    pass_: float = Field(..., ge=0, alias="pass")
    low: float = Field(..., ge=0)


class SubjectIn(Schema):
    name: str = Field(..., min_length=1, max_length=30)
    full_marks: float = Field(..., gt=0, le=1000)
    cutoffs: CutoffsIn | None = None


class ExamIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: Exam.Kind
    date: dt.date
    grade: int = Field(..., ge=1, le=12)
    stage: str = Field(..., description="stage code: primary, junior, senior, preschool")
    org_unit: int = Field(..., description="the owner region (or its bureau/institute)")
    subjects: list[SubjectIn] = Field(..., min_length=1, max_length=30)
    cutoffs: CutoffsIn | None = None
    weights: WeightsIn | None = None


class SubjectOut(Schema):
    id: int
    name: str
    full_marks: float
    cutoffs: dict


class ExamOut(Schema):
    # read from an Exam: its cut-offs and weights are its methods' values
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    name: str
    kind: str
    date: dt.date
    grade: int
    stage: str = Field(..., alias="stage.code")
    subjects: list[SubjectOut]
    cutoffs: dict
    weights: dict
    students: int = Field(..., alias="candidates_count")
    analysis_status: str
    analysis_progress: int
    analysed_at: dt.datetime | None


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportOut(Schema):
    imported: int
    errors: list[RowErrorOut]
    notices: list[str] = []
    unchanged: bool = False


class ImportRejected(Schema):
    detail: str
    imported: int
    errors: list[RowErrorOut]
    notices: list[str] = []


class PendingOut(Schema):
    detail: str
    status: str
    progress: int


class AnalysisItem(Schema):
    id: int
    level: str
    subject: str
    org_unit: int
    name: str
    school_code: str | None
    class_name: str | None
    county: int | None
    n: int
    absent: int
    suppressed: bool
    suppression: str | None = None  # primary (fewer than 10) or complementary
    mean: float | None
    sd: float | None
    max: float | None
    min: float | None
    median: float | None
    q1: float | None
    q3: float | None
    excellent_rate: float | None
    good_rate: float | None
    pass_rate: float | None
    low_rate: float | None
    all_pass_rate: float | None
    z: float | None
    t: float | None
    rank: int | None
    peers: int | None
    rank_in_county: int | None
    percentile: float | None
    ratio_county: float | None
    ratio_city: float | None
    composite: float | None
    bands: list[int]


class AnalysisOut(Schema):
    items: list[AnalysisItem]
    count: int


class BalanceOut(Schema):
    cv: float | None
    weighted_mean: float | None
    sd: float | None
    schools: int
    threshold: float | None
    met: bool | None


class ItemOut(Schema):
    id: int
    item: str
    full_marks: float
    n: int
    mean: float | None
    difficulty: float | None
    discrimination: float | None
    item_total_r: float | None
    suppressed: bool = False  # fewer than 10 students answered: figures not shown


class ItemsOut(Schema):
    subject: str
    n: int
    k: int
    alpha: float | None
    kr20: float | None
    items: list[ItemOut]
    count: int


class ValueAddedItem(Schema):
    id: int
    level: str
    org_unit: int
    name: str
    school_code: str | None
    class_name: str | None
    n_exit: int
    n_linked: int
    suppressed: bool
    suppression: str | None = None  # primary (fewer than 10) or complementary
    few_linked: bool
    mean_entry: float | None
    mean_exit: float | None
    mean_z_gain: float | None
    mean_residual: float | None


class ValueAddedOut(Schema):
    entry: int
    exit: int
    n_linked: int
    slope: float | None
    intercept: float | None
    items: list[ValueAddedItem]
    count: int


class ValueAddedRequestIn(Schema):
    entry: int = Field(..., ge=1, le=2**63 - 1, description="id of the entry exam")
    exit: int = Field(..., ge=1, le=2**63 - 1, description="id of the exit exam")


class ValueAddedRequestOut(Schema):
    entry: int
    exit: int
    status: str
    current: bool
    detail: str


class StudentOut(Schema):
    id: int
    org_unit: int
    exam_no: str
    student_key: str
    school_code: str
    class_name: str
    gender: str
    scores: dict


class StudentsOut(Schema):
    items: list[StudentOut]
    count: int
