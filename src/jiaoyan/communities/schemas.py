"""API shapes of communities, memberships, tasks, assessment and coverage."""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR
from jiaoyan.core.resolve import within_q

from .models import Kind, Level, Measure, Membership


class CommunityOut(Schema):
    id: int
    org_unit: int = Field(..., alias="org_unit_id")
    org_unit_name: str
    kind: str
    level: str
    name: str
    code: str
    leader: int | None = Field(None, alias="leader_id")
    leading_school: int | None = Field(None, alias="leading_school_id")
    start_on: dt.date
    end_on: dt.date
    goals: str
    member_count: int
    version: int

    @staticmethod
    def resolve_org_unit_name(obj) -> str:
        return obj.org_unit.name


class CommunityIn(Schema):
    kind: Kind
    org_unit: int | str = Field(..., description="owning unit: id or code")
    name: str = Field(..., min_length=1, max_length=100)
    code: str = Field(..., min_length=1, max_length=30)
    start_on: dt.date
    end_on: dt.date
    goals: str = Field("", max_length=5000)
    leader: int | str | None = Field(None, description="person id or staff number")
    leading_school: int | str | None = Field(None, description="school unit id or code")


class CommunityPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    goals: str | None = Field(None, max_length=5000)
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    version: int | None = None


class CommunityFilter(FilterSchema):
    kind: Kind | None = None
    level: Level | None = None
    code: str | None = Field(None, max_length=30)
    q: str | None = Field(None, max_length=50, description="name or code")
    within: int | None = Field(None, description="unit id: communities owned in its subtree")

    def filter_within(self, value):
        return within_q(value)

    def filter_q(self, value):
        if not value:
            return Q()
        return Q(name__icontains=value.strip()) | Q(code__startswith=value.strip().upper())


class MembershipOut(Schema):
    id: int
    community: int = Field(..., alias="community_id")
    org_unit: int = Field(..., alias="community.org_unit_id")
    person: int | None = Field(None, alias="person_id")
    school: int | None = Field(None, alias="school_id")
    role: str
    joined_on: dt.date
    left_on: dt.date | None
    across: bool


class MembershipIn(Schema):
    person: int | str | None = Field(None, description="person id or staff number")
    school: int | str | None = Field(None, description="school unit id or code (consortia)")
    role: Membership.Role = Membership.Role.MEMBER
    joined_on: dt.date | None = None
    across: bool = Field(
        False, description="a bureau admin invites a member from beyond the owning unit's area"
    )


class MembershipFilter(FilterSchema):
    community: Annotated[int | None, FilterLookup("community_id")] = None
    person: Annotated[int | None, FilterLookup("person_id")] = None
    current: Annotated[bool | None, FilterLookup("left_on__isnull")] = None


class LeaveIn(Schema):
    left_on: dt.date | None = None


class TaskOut(Schema):
    id: int
    community: int = Field(..., alias="community_id")
    org_unit: int = Field(..., alias="community.org_unit_id")
    year: int
    name: str
    measure: str
    activity_kind: str
    min_participants: int
    target: int
    due_on: dt.date | None = None
    notes: str = ""
    version: int
    done: int = 0


class TaskPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    target: int | None = Field(None, ge=1, le=1000)
    due_on: dt.date | None = None
    notes: str | None = Field(None, max_length=2000)
    version: int | None = None


class SharedFileOut(Schema):
    id: int
    community: int = Field(..., alias="community_id")
    org_unit: int = Field(..., alias="community.org_unit_id")
    name: str
    size: int
    uploader_name: str
    created_at: dt.datetime


class TaskIn(Schema):
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    name: str = Field(..., min_length=1, max_length=100)
    measure: Measure
    target: int = Field(..., ge=1, le=1000)
    activity_kind: str = Field("", max_length=16)
    min_participants: int = Field(0, ge=0, le=10000)


class YearIn(Schema):
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)


class EvidenceIn(Schema):
    date: dt.date
    count: int = Field(..., ge=1, le=1000)
    description: str = Field(..., min_length=1, max_length=300)


class EvidenceOut(Schema):
    id: int
    task: int = Field(..., alias="task_id")
    date: dt.date
    count: int
    description: str


class StudioScoreOut(Schema):
    rank: int
    community: int
    code: str
    name: str
    level: str
    org_unit: int
    points: float
    counts: dict[str, int]


class AssessmentQuery(Schema):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="default: this year")
    kind: Kind = Kind.STUDIO
    level: Level | None = None


class KindCoverageOut(Schema):
    kind: str
    communities: int
    by_level: dict[str, int]
    participants: int
    rural: int
    weak: int
    rural_or_weak: int
    rural_share: float | None
    weak_share: float | None
    share: float | None
    target: float
    met: bool
    max_per_person: int
    over_limit: int


class CoverageOut(Schema):
    unit: int
    day: str
    communities: int
    schools: int
    schools_without_consortium: int
    idle: int
    kinds: list[KindCoverageOut]
