"""API of hours records: your own (and, for admins, researchers and principals, the
records of the people in your scope)."""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema
from pydantic import PrivateAttr

from jiaoyan.core.api import paginated
from jiaoyan.core.scope import get_visible_or_404

from .models import HoursRecord

router = Router(tags=["hours"])


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
    year: Annotated[int | None, FilterLookup("date__year")] = None
    person: Annotated[int | None, FilterLookup("person_id")] = None
    _user_id: int | None = PrivateAttr(None)

    def filter_mine(self, value: bool) -> Q:
        # The records of the caller's person (the filter's ``user``, set by the endpoint).
        return Q(person__user_id=self._user_id) if value else Q()


@router.get("/hours", response=list[HoursOut], summary="Hours records")
@paginated
def list_hours(request, filters: Query[HoursFilter]):
    qs = HoursRecord.objects.visible_to(request.auth).select_related("person", "source_type")
    filters._user_id = request.auth.pk
    return filters.filter(qs).order_by("-date", "-id")


@router.get("/hours/{record_id}", response=HoursOut)
def get_hours(request, record_id: int):
    return get_visible_or_404(
        HoursRecord.objects.select_related("person", "source_type"), request.auth, pk=record_id
    )
