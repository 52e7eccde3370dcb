"""API shapes of org units and schools."""

from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.resolve import stage_q, within_q

from .models import OrgUnit, School


class OrgUnitOut(Schema):
    id: int
    org_unit: int = Field(..., description="the unit itself: every object carries org_unit")
    code: str
    name: str
    parent: int | None = Field(None, alias="parent_id")
    parent_code: str | None = None
    level: str
    kind: str
    path: str
    depth: int
    is_active: bool
    version: int

    @staticmethod
    def resolve_org_unit(obj: OrgUnit) -> int:
        return obj.pk

    @staticmethod
    def resolve_parent_code(obj: OrgUnit) -> str | None:
        return obj.parent.code if obj.parent_id else None


class OrgUnitFilter(FilterSchema):
    parent: Annotated[int | None, FilterLookup("parent_id")] = Field(None)
    level: OrgUnit.Level | None = None
    kind: OrgUnit.Kind | None = None
    code: str | None = None
    q: Annotated[str | None, FilterLookup(["name__icontains", "code__startswith"])] = Field(
        None, max_length=50
    )
    is_active: bool | None = None


class OrgUnitIn(Schema):
    parent: int
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=100)
    level: OrgUnit.Level
    kind: OrgUnit.Kind = OrgUnit.Kind.REGION


class OrgUnitPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=100)
    level: OrgUnit.Level | None = None
    kind: OrgUnit.Kind | None = None
    is_active: bool | None = None
    version: int | None = Field(None, description="the version you read; refused if stale")


class SchoolOut(Schema):
    id: int
    org_unit: int
    code: str
    name: str
    division_code: str
    parent: int | None
    kind: str
    stages: list[str]
    location: str
    is_weak: bool
    student_count: int
    teacher_count: int
    address: str
    version: int

    @staticmethod
    def resolve_id(obj: School) -> int:
        return obj.pk

    @staticmethod
    def resolve_org_unit(obj: School) -> int:
        return obj.pk

    @staticmethod
    def resolve_parent(obj: School) -> int | None:
        return obj.org_unit.parent_id

    @staticmethod
    def resolve_stages(obj: School) -> list[str]:
        return [s.code for s in obj.stages.all()]


class SchoolFilter(FilterSchema):
    within: int | None = Field(None, description="id of a unit: schools in its subtree")
    kind: School.Kind | None = None
    stage: str | None = Field(None, max_length=20, description="stage code or name")
    location: School.Location | None = None
    is_weak: bool | None = None
    code: Annotated[str | None, FilterLookup("org_unit__code")] = Field(None)
    q: Annotated[
        str | None, FilterLookup(["org_unit__name__icontains", "org_unit__code__startswith"])
    ] = Field(None, max_length=50)

    def filter_within(self, value):
        return within_q(value)

    def filter_stage(self, value):
        return stage_q(value, "stages")


class SchoolIn(Schema):
    parent: int = Field(..., description="id of the region the school belongs to")
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=100)
    kind: School.Kind
    stages: list[str] = Field(default_factory=list, description="stage codes")
    location: School.Location
    is_weak: bool = False
    student_count: int = Field(0, ge=0, le=100000)
    teacher_count: int = Field(0, ge=0, le=10000)
    address: str = Field("", max_length=200)


class SchoolPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: School.Kind | None = None
    stages: list[str] | None = None
    location: School.Location | None = None
    is_weak: bool | None = None
    student_count: int | None = Field(None, ge=0, le=100000)
    teacher_count: int | None = Field(None, ge=0, le=10000)
    address: str | None = Field(None, max_length=200)
    version: int | None = None
