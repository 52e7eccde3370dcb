"""API endpoints of the work ledger (/api/v1/ledger/…): same services, same scope as the
pages. An item, report or supervision outside the caller's scope answers 404; a stale
``version`` answers 409; bad input answers 400 with a Chinese ``detail``."""

import functools

from ninja import Query, Router, Status
from ninja.errors import HttpError

from jiaoyan.core.api import changes, paginated
from jiaoyan.core.api_crud import Resource, resolved
from jiaoyan.core.errors import StaleObject
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import boards, queries, services
from .schemas import (
    CloseIn,
    EscalateIn,
    ItemFilter,
    ItemIn,
    ItemListOut,
    ItemPatch,
    LedgerItemOut,
    LedgerReasonIn,
    ProgressIn,
    ProgressOut,
    SupervisionFilter,
    SupervisionOut,
    VersionedNoteIn,
)

router = Router(tags=["ledger"])


def _conflict_on_stale(fn):
    """A stale ``version`` is a conflict (409), not bad input."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StaleObject as exc:
            raise HttpError(409, exc.text) from None

    return wrapper


ITEMS = boards.for_detail()
items = Resource(
    router,
    "/ledger/items/{item_id}",
    ITEMS,
    out=LedgerItemOut,
    lookup=ITEMS,
    writes=(_conflict_on_stale,),
)


# --- items --------------------------------------------------------------------------------


@router.get(
    "/ledger/items",
    response=list[ItemListOut],
    summary="Ledger items you see (a board, filtered), by deadline",
)
@paginated
def list_items(request, filters: Query[ItemFilter]):
    return boards.for_list(boards.items_for(request.auth, **filters.dict()))


items.get()


REFERENCES = {"responsible_unit": OrgUnit, "responsible_person": Person, "collaborators": [OrgUnit]}
items.create(
    services.create_item,
    ItemIn,
    refs={"org_unit": OrgUnit, **REFERENCES},
    summary="Assign a new piece of work",
)


_KEPT_ON_NULL = ("title", "recurrence", "priority", "responsible_unit")


@router.patch(
    "/ledger/items/{item_id}",
    response=LedgerItemOut,
    summary="Change an item (send the version you read: a stale one is refused with 409)",
)
@_conflict_on_stale
def update_item(request, item_id: int, data: ItemPatch):
    user = request.auth
    item = items.one(request, item_id)
    payload = changes(
        data,
        blank=("responsible_name", "description", "source_note", "remarks"),
        # null keeps title, recurrence, priority and the responsible unit (below)
        nullable=(*_KEPT_ON_NULL, "responsible_person", "due_on", "collaborators", "tags"),
    )
    for key in _KEPT_ON_NULL:
        if key in payload and payload[key] is None:
            del payload[key]
    if "tags" in payload and payload["tags"] is None:
        payload["tags"] = []
    services.update_item(
        actor=user,
        item=item,
        data=resolved(user, payload, REFERENCES),
        expected_version=data.version,
    )
    return items.one(request, item.pk)


# --- progress ----------------------------------------------------------------------------


@router.get(
    "/ledger/items/{item_id}/progress",
    response=list[ProgressOut],
    summary="An item's history: progress reports, verification, sending back, supervision",
)
@paginated
def list_progress(request, item_id: int):
    return boards.reports_of(items.one(request, item_id))


@router.post(
    "/ledger/items/{item_id}/progress",
    response={201: ProgressOut},
    summary="Report progress (the responsible side); percent 100 reports the item done",
)
def report_progress(request, item_id: int, data: ProgressIn):
    item = items.one(request, item_id)
    report = services.report_progress(
        actor=request.auth, item=item, text=data.text, percent=data.percent
    )
    return Status(201, boards.reports_of(item).get(pk=report.pk))


# --- actions ------------------------------------------------------------------------------


items.action(
    "verify",
    services.verify,
    body=VersionedNoteIn,
    optional=True,
    summary="Accept a done item",
)
items.action(
    "send-back",
    services.send_back,
    body=LedgerReasonIn,
    summary="Do not accept a done item: back to in progress, with the reason",
    name="send_back_item",
)
items.action(
    "cancel",
    services.cancel,
    body=LedgerReasonIn,
    summary="Cancel, with reason",
)


@router.post(
    "/ledger/items/{item_id}/escalate",
    response={201: SupervisionOut},
    summary="Put an overdue or stuck item under supervision (督办) — the unit above",
)
def escalate_item(request, item_id: int, data: EscalateIn):
    item = items.one(request, item_id)
    sup = services.escalate(actor=request.auth, item=item, reason=data.reason)
    return Status(201, queries.supervisions_for(request.auth, state="all").get(pk=sup.pk))


# --- supervision --------------------------------------------------------------------------


@router.get(
    "/ledger/supervisions",
    response=list[SupervisionOut],
    summary="Supervisions (督办) you see; by default the open ones",
)
@paginated
def list_supervisions(request, filters: Query[SupervisionFilter]):
    return queries.supervisions_for(request.auth, **filters.dict())


def _supervisions(user):
    return queries.supervisions_for(user, state="all")


supervisions = Resource(
    router,
    "/ledger/supervisions/{supervision_id}",
    _supervisions,
    out=SupervisionOut,
    lookup=_supervisions,
)
supervisions.get()
supervisions.action(
    "close",
    services.close_supervision,
    body=CloseIn,
    summary="Close a supervision (the supervising side), with a note",
)
