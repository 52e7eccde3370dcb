"""API shapes of hours records."""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR

from .models import HoursRecord


class HoursOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    org_unit: int
    hours: float
    kind: str
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
