"""API shapes of people."""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.api_schemas import NamesOut
from jiaoyan.core.resolve import stage_q, subject_q, within_q
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can

from .models import Honour, Person


class RoleOut(Schema):
    id: int
    role: str
    org_unit: int = Field(..., alias="org_unit_id")
    subjects: list[str]
    stages: list[str]

    @staticmethod
    def resolve_subjects(obj) -> list[str]:
        return [s.name for s in obj.subjects.all()]

    @staticmethod
    def resolve_stages(obj) -> list[str]:
        return [s.code for s in obj.stages.all()]


class HonourOut(Schema):
    id: int
    title: str
    title_text: str
    level: str
    year: int | None


class PersonOut(NamesOut):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str
    staff_no: str
    name: str
    gender: str
    phone: str = Field(..., description="masked unless you administer this person's scope")
    professional_title: str
    teaching_since: dt.date | None
    status: str
    roles: list[RoleOut]
    honours: list[HonourOut]
    has_account: bool
    version: int

    @staticmethod
    def resolve_phone(obj: Person, context) -> str:
        request = context["request"]
        if obj.phone and can(request.auth, "view_phone", obj):
            return obj.phone
        return obj.masked_phone

    @staticmethod
    def resolve_roles(obj: Person):
        # Prefetched by people_for_list (an empty list is an answer, not a miss).
        roles = getattr(obj, "active_roles", None)
        return roles if roles is not None else list(obj.roles.filter(is_active=True))

    @staticmethod
    def resolve_honours(obj: Person):
        return list(obj.honours.all())

    @staticmethod
    def resolve_has_account(obj: Person) -> bool:
        return obj.user_id is not None


class PersonFilter(FilterSchema):
    within: int | None = Field(None, description="id of a unit: people employed in its subtree")
    org_unit: Annotated[int | None, FilterLookup("org_unit_id")] = Field(None)
    role: Role | None = None
    subject: str | None = Field(None, max_length=30, description="subject name or code, e.g. 数学")
    stage: str | None = Field(None, max_length=20, description="stage code or name, e.g. junior")
    status: Person.Status | None = None
    professional_title: Person.Title | None = None
    honour: Annotated[Honour.Title | None, FilterLookup("honours__title")] = Field(None)
    staff_no: str | None = None
    q: Annotated[str | None, FilterLookup(["name__icontains", "staff_no__startswith"])] = Field(
        None, max_length=50
    )

    def filter_within(self, value):
        return within_q(value)

    def filter_role(self, value):
        if not value:
            return Q()
        return Q(roles__role=value, roles__is_active=True)

    def filter_subject(self, value):
        return subject_q(value, "roles__subjects") & Q(roles__is_active=True) if value else Q()

    def filter_stage(self, value):
        return stage_q(value, "roles__stages") & Q(roles__is_active=True) if value else Q()


class PersonIn(Schema):
    staff_no: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=50)
    org_unit: int
    gender: Person.Gender | None = None
    phone: str = Field("", max_length=20)
    professional_title: Person.Title | None = None
    teaching_since: dt.date | None = None
    role: Role | None = None
    subjects: list[str] = Field(default_factory=list, description="subject names")
    stages: list[str] = Field(default_factory=list, description="stage codes")


class PersonPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    gender: Person.Gender | None = None
    phone: str | None = Field(None, max_length=20)
    professional_title: Person.Title | None = None
    teaching_since: dt.date | None = None
    version: int | None = None


class StatusIn(Schema):
    status: Person.Status
    note: str = Field("", max_length=200)


class HomeroomOut(Schema):
    """A class teacher assignment (班主任): one class of the person's school; an ended one
    is kept with its end."""

    id: int
    person: int = Field(..., alias="person_id")
    school: int = Field(..., alias="school_id")
    grade: int
    class_name: str
    is_active: bool
    created_at: dt.datetime
    ended_at: dt.datetime | None


class HomeroomIn(Schema):
    grade: int = Field(..., description="1–12, as the rosters write it")
    class_name: str = Field(..., max_length=30, description="as the rosters write it, e.g. 1班")
