"""API shapes of hours: records, categories, cycle progress, external declarations and
certificates."""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR

from . import rules
from .models import Certificate, ExternalDeclaration, HoursCycle, HoursRecord


class HoursOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    org_unit: int
    hours: float
    kind: str
    category: int | None = Field(None, alias="category_id")
    date: dt.date
    title: str
    source_type: str
    source_id: int
    credited_by: int | None = Field(None, alias="credited_by_id")

    @staticmethod
    def resolve_org_unit(obj: HoursRecord) -> int:
        return obj.person.org_unit_id

    @staticmethod
    def resolve_hours(obj: HoursRecord) -> float:
        return float(obj.hours)

    @staticmethod
    def resolve_source_type(obj: HoursRecord) -> str:
        return f"{obj.source_type.app_label}.{obj.source_type.model}"


class HoursFilter(FilterSchema):
    mine: bool = Field(True, description="only your own records (false: everyone you may see)")
    year: Annotated[int | None, FilterLookup("date__year")] = Field(
        None, ge=MIN_YEAR, le=MAX_YEAR, description=f"a year ({MIN_YEAR}–{MAX_YEAR})"
    )
    person: Annotated[int | None, FilterLookup("person_id")] = None

    def filter_mine(self, value: bool) -> Q:
        return Q()  # it needs the caller: the endpoint applies it


class CategoryOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    code: str
    name: str
    order: int
    active: bool
    yearly_cap: float | None = None
    cycle_minimum: float | None = None


class CategoryIn(Schema):
    org_unit: int
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=60)
    order: int = Field(0, ge=0, le=10000)
    yearly_cap: float | None = Field(None, ge=0, le=99999)
    cycle_minimum: float | None = Field(None, ge=0, le=99999)


class CategoryProgressOut(Schema):
    category: int | None
    code: str
    name: str
    counted: float
    minimum: float | None


class YearOut(Schema):
    year: int
    counted: float


class CycleOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    org_unit: int
    start_year: int
    end_year: int
    required_hours: float
    hours_per_credit: float
    earned: float
    credited: float
    credits: float
    required_credits: float
    expected: float
    behind: bool
    shortfall: float
    years_left: int
    by_category: list[CategoryProgressOut]
    by_year: list[YearOut]

    @staticmethod
    def _p(obj: HoursCycle) -> rules.Progress:
        cached = getattr(obj, "_progress", None)
        if cached is None:
            from django.utils import timezone

            cached = obj._progress = rules.progress(obj, timezone.localdate())
        return cached

    @staticmethod
    def resolve_org_unit(obj):
        return obj.person.org_unit_id

    @staticmethod
    def resolve_credits(obj):
        return float(CycleOut._p(obj).credits)

    @staticmethod
    def resolve_required_credits(obj):
        return float(CycleOut._p(obj).required_credits)

    @staticmethod
    def resolve_expected(obj):
        return float(rules.q1(CycleOut._p(obj).expected))

    @staticmethod
    def resolve_behind(obj):
        return CycleOut._p(obj).behind

    @staticmethod
    def resolve_shortfall(obj):
        return float(CycleOut._p(obj).shortfall)

    @staticmethod
    def resolve_years_left(obj):
        return CycleOut._p(obj).years_left

    @staticmethod
    def resolve_by_category(obj):
        return [
            {
                "category": int(c.key) if c.key else None,
                "code": c.code,
                "name": c.name,
                "counted": float(c.counted),
                "minimum": float(c.minimum) if c.minimum is not None else None,
            }
            for c in CycleOut._p(obj).categories
        ]

    @staticmethod
    def resolve_by_year(obj):
        return [{"year": y, "counted": float(v)} for y, v in CycleOut._p(obj).by_year]


class CycleFilter(FilterSchema):
    person: Annotated[int | None, FilterLookup("person_id")] = None
    current: Annotated[bool | None, FilterLookup("is_current")] = True


class DeclarationOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    org_unit: int
    title: str
    organiser: str
    start_date: dt.date
    end_date: dt.date
    hours: float
    category: int | None = Field(None, alias="category_id")
    status: str
    reason: str
    evidence_name: str
    version: int
    created_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_org_unit(obj: ExternalDeclaration) -> int:
        return obj.person.org_unit_id


class DeclarationFilter(FilterSchema):
    status: Annotated[ExternalDeclaration.Status | None, FilterLookup("status")] = None
    person: Annotated[int | None, FilterLookup("person_id")] = None


class DecideIn(Schema):
    version: int | None = None


class RejectIn(Schema):
    reason: str = Field(..., max_length=300)
    version: int | None = None


class CertificateOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    org_unit: int = Field(..., alias="issuer_id")
    title: str
    hours: float
    issuer: str
    issued_on: dt.date
    code: str
    revoked: bool
    revoked_at: dt.datetime | None
    revoke_reason: str

    @staticmethod
    def resolve_issuer(obj: Certificate) -> str:
        return obj.issuer.name

    @staticmethod
    def resolve_revoked(obj: Certificate) -> bool:
        return obj.revoked_at is not None


class VerifyOut(Schema):
    valid: bool
    revoked: bool
    name: str
    programme: str
    hours: float
    issuer: str
    issued_on: dt.date
