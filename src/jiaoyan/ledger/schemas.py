"""API shapes of the work ledger."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from jiaoyan.core.api_schemas import NamesOut

from .models import Item, Priority, Recurrence, Status

BoardName = Literal["mine", "unit", "assigned", "supervision"]
StatusFilter = Literal[
    "not_started", "in_progress", "done", "verified", "cancelled", "open", "overdue"
]


class ItemFilter(Schema):
    """The filters of the ledger boards (``boards.items_for``, shared with the pages)."""

    board: BoardName | None = None
    status: StatusFilter | None = None
    responsible_unit: int | None = None
    within: int | None = None
    tag: str | None = Field(None, max_length=30)
    priority: Priority | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    q: str | None = Field(None, max_length=100)


class SupervisionFilter(Schema):
    state: str = Field("open", pattern="^(open|closed|all)$")
    supervising: bool = Field(False, description="only those of the units in your scope")
    item: int | None = None


class ItemListOut(NamesOut):
    id: int
    org_unit: int = Field(..., alias="org_unit_id", description="the assigning unit")
    org_unit_name: str
    number: int = Field(..., description="序号 in the assigning unit's ledger")
    title: str
    source: str
    responsible_unit: int = Field(..., alias="responsible_unit_id")
    responsible_unit_name: str
    responsible_person: int | None = Field(None, alias="responsible_person_id")
    responsible_name: str
    collaborators: list[int] = Field(..., description="ids of the collaborating units")
    tags: list[str]
    due_on: dt.date | None = Field(None, description="deadline; null: ongoing (长期)")
    recurrence: Recurrence
    priority: Priority
    status: Status
    overdue: bool
    percent: int
    latest_progress: str
    supervised_by: int | None = Field(
        None, alias="supervised_by_id", description="the unit supervising it (督办), if any"
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_responsible_unit_name(obj: Item) -> str:
        return obj.responsible_unit.name

    @staticmethod
    def resolve_responsible_name(obj: Item) -> str:
        return obj.responsible_display

    @staticmethod
    def resolve_collaborators(obj: Item) -> list[int]:
        return [c.unit_id for c in obj.collaborations.all()]

    @staticmethod
    def resolve_tags(obj: Item) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_overdue(obj: Item) -> bool:
        return obj.is_overdue


class LedgerItemOut(ItemListOut):
    description: str
    source_note: str
    source_activity: int | None = Field(None, alias="source_activity_id")
    source_decision: int | None = Field(None, alias="source_decision_id")
    source_observation: int | None = Field(None, alias="source_observation_id")
    remarks: str
    cancel_reason: str
    assigned_by: int | None = Field(None, alias="assigned_by_id")
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    verified_at: dt.datetime | None


class ItemIn(Schema):
    org_unit: int = Field(..., description="id of the assigning unit (the item belongs to it)")
    title: str = Field(..., max_length=200)
    responsible_unit: int = Field(..., description="id of the responsible unit")
    responsible_person: int | None = Field(None, description="id of the responsible person")
    responsible_name: str = Field("", max_length=50)
    due_on: dt.date | None = Field(None, description="deadline; null: ongoing (长期)")
    recurrence: Recurrence = Recurrence.NONE
    priority: Priority = Priority.NORMAL
    description: str = Field("", max_length=5000)
    source_note: str = Field("", max_length=200)
    remarks: str = Field("", max_length=300)
    collaborators: list[int] = Field(default_factory=list, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=20)


class ItemPatch(Schema):
    title: str | None = Field(None, max_length=200)
    responsible_unit: int | None = None
    responsible_person: int | None = Field(None, description="null clears it")
    responsible_name: str | None = Field(None, max_length=50)
    due_on: dt.date | None = Field(None, description="null: ongoing (长期)")
    recurrence: Recurrence | None = None
    priority: Priority | None = None
    description: str | None = Field(None, max_length=5000)
    source_note: str | None = Field(None, max_length=200)
    remarks: str | None = Field(None, max_length=300)
    collaborators: list[int] | None = Field(None, max_length=50)
    tags: list[str] | None = Field(None, max_length=20)
    version: int | None = Field(None, description="the item's version you edited (locking)")


class AttachmentOut(Schema):
    id: int
    name: str
    size: int


class ItemPartOut(Schema):
    """A part of a ledger item (a progress report, a supervision): ``org_unit`` is the
    item's assigning unit."""

    @staticmethod
    def resolve_org_unit(obj) -> int:
        return obj.item.org_unit_id


class ProgressOut(ItemPartOut):
    id: int
    item: int = Field(..., alias="item_id")
    org_unit: int = Field(..., description="the item's assigning unit")
    kind: str
    author: int | None = Field(None, alias="author_id")
    author_name: str
    text: str
    percent: int | None
    created_at: dt.datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class ProgressIn(Schema):
    text: str = Field(..., max_length=5000)
    percent: int = Field(..., description="0–100; 100 reports a one-off item done")


class VersionedNoteIn(Schema):
    note: str = Field("", max_length=1000)
    version: int | None = None


class LedgerReasonIn(Schema):
    reason: str = Field(..., max_length=1000)
    version: int | None = None


class EscalateIn(Schema):
    reason: str = Field(..., max_length=300)


class CloseIn(Schema):
    note: str = Field(..., max_length=300)


class SupervisionOut(ItemPartOut):
    id: int
    item: int = Field(..., alias="item_id")
    item_title: str
    item_status: str
    item_due_on: dt.date | None
    org_unit: int = Field(..., description="the item's assigning unit")
    unit: int = Field(..., alias="unit_id", description="the supervising unit")
    unit_name: str
    reason: str
    escalated_by_name: str
    escalated_at: dt.datetime
    closed_at: dt.datetime | None
    closing_note: str
    is_open: bool

    @staticmethod
    def resolve_item_title(obj) -> str:
        return obj.item.title

    @staticmethod
    def resolve_item_status(obj) -> str:
        return obj.item.status

    @staticmethod
    def resolve_item_due_on(obj) -> dt.date | None:
        return obj.item.due_on

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_escalated_by_name(obj) -> str:
        user = obj.escalated_by
        return getattr(user, "display_name", "") if user else ""
