"""API shapes of pairing assistance."""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR
from jiaoyan.core.resolve import within_q

from .models import Pairing, PersonSent, Side


class PairingOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    title: str
    level: str
    helping_unit: int = Field(..., alias="helping_unit_id")
    helping_unit_name: str = Field(..., alias="helping_unit.name")
    helped_unit: int = Field(..., alias="helped_unit_id")
    helped_unit_name: str = Field(..., alias="helped_unit.name")
    start_date: dt.date
    end_date: dt.date
    agreement_signed_on: dt.date | None
    has_agreement_file: bool
    goals: str
    measures: str
    version: int

    @staticmethod
    def resolve_has_agreement_file(obj: Pairing) -> bool:
        return bool(obj.agreement_file)


class PairingIn(Schema):
    title: str = Field(..., max_length=120)
    helping: int | str = Field(..., description="the helping unit: id or unit code, in your scope")
    helped: int | str = Field(
        ..., description="the helped unit: id or unit code; beyond your scope by code only"
    )
    beyond_scope: bool = Field(
        False, description="name the helped unit beyond your scope (audited, the side is told)"
    )
    start_date: dt.date
    end_date: dt.date
    agreement_signed_on: dt.date | None = None
    goals: str = Field("", max_length=5000)
    measures: str = Field("", max_length=5000)


class PairingFilter(FilterSchema):
    level: Pairing.Level | None = None
    within: int | None = Field(
        None, description="id of a unit: pairings one of whose sides lies in its subtree"
    )
    helping_unit: Annotated[int | None, FilterLookup("helping_unit_id")] = None
    helped_unit: Annotated[int | None, FilterLookup("helped_unit_id")] = None
    year: int | None = Field(
        None, ge=MIN_YEAR, le=MAX_YEAR, description="pairings running in the year"
    )

    def filter_within(self, value):
        if value is None:
            return Q()
        return within_q(value, "helping_unit__path__under") | within_q(
            value, "helped_unit__path__under"
        )

    def filter_year(self, value):
        if not value:
            return Q()
        return Q(start_date__year__lte=value, end_date__year__gte=value)


class FundOut(Schema):
    id: int
    org_unit: int = Field(..., alias="pairing.org_unit_id")
    pairing: int = Field(..., alias="pairing_id")
    amount: float
    date: dt.date
    purpose: str


class FundIn(Schema):
    amount: str = Field(..., max_length=20, description="yuan, e.g. 2050000 or 1200.50")
    date: dt.date
    purpose: str = Field(..., max_length=200)


class FundFilter(FilterSchema):
    pairing: Annotated[int | None, FilterLookup("pairing_id")] = None
    year: Annotated[int | None, FilterLookup("date__year")] = Field(None, ge=MIN_YEAR, le=MAX_YEAR)


class PersonSentOut(Schema):
    id: int
    org_unit: int = Field(..., alias="pairing.org_unit_id")
    pairing: int = Field(..., alias="pairing_id")
    person: int = Field(..., alias="person_id")
    person_name: str = Field(..., alias="person.name")
    role: str
    start_date: dt.date
    end_date: dt.date
    work: str


class PersonSentIn(Schema):
    person: int | str = Field(..., description="id or staff number of a person of the helping side")
    role: PersonSent.Role
    start_date: dt.date
    end_date: dt.date
    work: str = Field("", max_length=5000)


class PersonSentFilter(FilterSchema):
    pairing: Annotated[int | None, FilterLookup("pairing_id")] = None
    role: PersonSent.Role | None = None
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)

    def filter_year(self, value):
        if not value:
            return Q()
        return Q(start_date__year__lte=value, end_date__year__gte=value)


class FigureOut(Schema):
    n: int
    units: int
    hidden: bool
    mean: float | None = None
    pass_rate: float | None = None
    excellent_rate: float | None = None
    z: float | None = None


class ExamRef(Schema):
    id: int
    name: str
    date: dt.date


class FiguresOut(Schema):
    pairing: int
    before_exam: ExamRef | None
    after_exam: ExamRef | None
    helped_before: FigureOut | None
    helped_after: FigureOut | None
    comparable_before: FigureOut | None
    comparable_after: FigureOut | None
    comparable_units: int
    observations_before: dict
    observations_after: dict
    joint_hours: float
    joint_hours_people: int
    funds_total: float
    funds_per_year: list[dict]
    people_sent: int


class FundPatch(Schema):
    amount: str | None = Field(None, max_length=20)
    date: dt.date | None = None
    purpose: str | None = Field(None, max_length=200)
    version: int | None = None


class PersonSentPatch(Schema):
    role: PersonSent.Role | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    work: str | None = Field(None, max_length=5000)
    version: int | None = None


class ReportOut(Schema):
    id: int
    org_unit: int = Field(..., alias="pairing.org_unit_id")
    pairing: int = Field(..., alias="pairing_id")
    side: str
    period: str
    text: str
    file_name: str
    author_name: str
    created_at: dt.datetime
    version: int


class ReportIn(Schema):
    side: Side
    period: str = Field(..., max_length=40)
    text: str = Field(..., max_length=20000)


class ReportPatch(Schema):
    period: str | None = Field(None, max_length=40)
    text: str | None = Field(None, max_length=20000)
    version: int | None = None


class ReportFilter(FilterSchema):
    pairing: Annotated[int | None, FilterLookup("pairing_id")] = None
    side: Side | None = None


class JointActivityOut(Schema):
    id: int
    org_unit: int = Field(..., alias="pairing.org_unit_id")
    pairing: int = Field(..., alias="pairing_id")
    activity: int = Field(..., alias="activity_id")
    activity_title: str = Field(..., alias="activity.title")
    starts_at: dt.datetime = Field(..., alias="activity.starts_at")


class JointActivityIn(Schema):
    activity: int = Field(..., description="id of a research activity organised by a side")


class JointActivityFilter(FilterSchema):
    pairing: Annotated[int | None, FilterLookup("pairing_id")] = None
