"""API endpoints of the work ledger (/api/v1/ledger/…): same services, same scope as the
pages. An item, report or supervision outside the caller's scope answers 404; a stale
``version`` answers 409; bad input answers 400 with a Chinese ``detail``."""

import datetime as dt
import functools

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from . import boards, queries, services
from .models import Item, Priority, Supervision
from .schemas import (
    BoardName,
    CloseIn,
    EscalateIn,
    ItemIn,
    ItemListOut,
    ItemOut,
    ItemPatch,
    ProgressIn,
    ProgressOut,
    ReasonIn,
    StatusFilter,
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


def _unit(user, pk: int, field: str) -> OrgUnit:
    unit = OrgUnit.objects.visible_to(user).filter(pk=pk).first()
    if unit is None:
        raise ServiceError(_("Unknown unit: %(v)s") % {"v": pk}, field=field)
    return unit


def _units(user, pks: list[int], field: str) -> list[OrgUnit]:
    wanted = list(dict.fromkeys(pks))
    found = {u.pk: u for u in OrgUnit.objects.visible_to(user).filter(pk__in=wanted)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ServiceError(_("Unknown unit: %(v)s") % {"v": "、".join(missing)}, field=field)
    return [found[pk] for pk in wanted]


def _person(user, pk: int | None) -> Person | None:
    if pk is None:
        return None
    person = Person.objects.visible_to(user).select_related("org_unit").filter(pk=pk).first()
    if person is None:
        raise ServiceError(_("Unknown person: %(v)s") % {"v": pk}, field="responsible_person")
    return person


def _item(request, item_id: int) -> Item:
    return get_visible_or_404(boards.for_detail(), request.auth, pk=item_id)


# --- items --------------------------------------------------------------------------------


@router.get(
    "/ledger/items",
    response=list[ItemListOut],
    summary="Ledger items you see (a board, filtered), by deadline",
)
@paginate(LimitOffsetPagination)
def list_items(
    request,
    board: BoardName | None = None,
    status: StatusFilter | None = None,
    responsible_unit: int | None = None,
    within: int | None = None,
    tag: str | None = Query(None, max_length=30),
    priority: Priority | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    q: str | None = Query(None, max_length=100),
):
    qs = boards.items_for(
        request.auth,
        board=board,
        status=status,
        responsible_unit=responsible_unit,
        within=within,
        tag=tag,
        priority=priority,
        due_from=due_from,
        due_to=due_to,
        q=q,
    )
    return boards.for_list(qs)


@router.get("/ledger/items/{item_id}", response=ItemOut)
def get_item(request, item_id: int):
    return _item(request, item_id)


@router.post("/ledger/items", response={201: ItemOut}, summary="Assign a new piece of work")
def create_item(request, data: ItemIn):
    user = request.auth
    org_unit = get_visible_or_404(OrgUnit, user, pk=data.org_unit)
    item = services.create_item(
        actor=user,
        org_unit=org_unit,
        title=data.title,
        responsible_unit=_unit(user, data.responsible_unit, "responsible_unit"),
        responsible_person=_person(user, data.responsible_person),
        responsible_name=data.responsible_name,
        due_on=data.due_on,
        recurrence=data.recurrence,
        priority=data.priority,
        description=data.description,
        source_note=data.source_note,
        remarks=data.remarks,
        collaborators=_units(user, data.collaborators, "collaborators"),
        tags=data.tags,
    )
    return 201, _item(request, item.pk)


@router.patch(
    "/ledger/items/{item_id}",
    response=ItemOut,
    summary="Change an item (send the version you read: a stale one is refused with 409)",
)
@_conflict_on_stale
def update_item(request, item_id: int, data: ItemPatch):
    user = request.auth
    item = _item(request, item_id)
    payload = data.dict(exclude_unset=True, exclude={"version"})
    for key in ("title", "recurrence", "priority", "responsible_unit"):
        if key in payload and payload[key] is None:
            del payload[key]
    for key in ("responsible_name", "description", "source_note", "remarks"):
        if key in payload and payload[key] is None:
            payload[key] = ""
    if "responsible_unit" in payload:
        payload["responsible_unit"] = _unit(user, payload["responsible_unit"], "responsible_unit")
    if "responsible_person" in payload:
        payload["responsible_person"] = _person(user, payload["responsible_person"])
    if "collaborators" in payload:
        payload["collaborators"] = _units(user, payload["collaborators"] or [], "collaborators")
    if "tags" in payload and payload["tags"] is None:
        payload["tags"] = []
    services.update_item(actor=user, item=item, data=payload, expected_version=data.version)
    return _item(request, item.pk)


# --- progress ----------------------------------------------------------------------------


@router.get(
    "/ledger/items/{item_id}/progress",
    response=list[ProgressOut],
    summary="An item's history: progress reports, verification, sending back, supervision",
)
@paginate(LimitOffsetPagination)
def list_progress(request, item_id: int):
    return boards.reports_of(_item(request, item_id))


@router.post(
    "/ledger/items/{item_id}/progress",
    response={201: ProgressOut},
    summary="Report progress (the responsible side); percent 100 reports the item done",
)
def report_progress(request, item_id: int, data: ProgressIn):
    item = _item(request, item_id)
    report = services.report_progress(
        actor=request.auth, item=item, text=data.text, percent=data.percent
    )
    return 201, boards.reports_of(item).get(pk=report.pk)


# --- actions ------------------------------------------------------------------------------


@router.post("/ledger/items/{item_id}/verify", response=ItemOut, summary="Accept a done item")
@_conflict_on_stale
def verify_item(request, item_id: int, data: VersionedNoteIn | None = None):
    item = _item(request, item_id)
    services.verify(
        actor=request.auth,
        item=item,
        note=data.note if data else "",
        expected_version=data.version if data else None,
    )
    return _item(request, item_id)


@router.post(
    "/ledger/items/{item_id}/send-back",
    response=ItemOut,
    summary="Do not accept a done item: back to in progress, with the reason",
)
@_conflict_on_stale
def send_back_item(request, item_id: int, data: ReasonIn):
    item = _item(request, item_id)
    services.send_back(
        actor=request.auth, item=item, reason=data.reason, expected_version=data.version
    )
    return _item(request, item_id)


@router.post("/ledger/items/{item_id}/cancel", response=ItemOut, summary="Cancel, with reason")
@_conflict_on_stale
def cancel_item(request, item_id: int, data: ReasonIn):
    item = _item(request, item_id)
    services.cancel(
        actor=request.auth, item=item, reason=data.reason, expected_version=data.version
    )
    return _item(request, item_id)


@router.post(
    "/ledger/items/{item_id}/escalate",
    response={201: SupervisionOut},
    summary="Put an overdue or stuck item under supervision (督办) — the unit above",
)
def escalate_item(request, item_id: int, data: EscalateIn):
    item = _item(request, item_id)
    sup = services.escalate(actor=request.auth, item=item, reason=data.reason)
    return 201, queries.supervisions_for(request.auth, state="all").get(pk=sup.pk)


# --- supervision --------------------------------------------------------------------------


@router.get(
    "/ledger/supervisions",
    response=list[SupervisionOut],
    summary="Supervisions (督办) you see; by default the open ones",
)
@paginate(LimitOffsetPagination)
def list_supervisions(
    request,
    state: str = Query("open", pattern="^(open|closed|all)$"),
    supervising: bool = Query(False, description="only those of the units in your scope"),
    item: int | None = None,
):
    return queries.supervisions_for(request.auth, state=state, supervising=supervising, item=item)


def _supervision(request, supervision_id: int) -> Supervision:
    return get_visible_or_404(
        queries.supervisions_for(request.auth, state="all"), request.auth, pk=supervision_id
    )


@router.get("/ledger/supervisions/{supervision_id}", response=SupervisionOut)
def get_supervision(request, supervision_id: int):
    return _supervision(request, supervision_id)


@router.post(
    "/ledger/supervisions/{supervision_id}/close",
    response=SupervisionOut,
    summary="Close a supervision (the supervising side), with a note",
)
def close_supervision(request, supervision_id: int, data: CloseIn):
    sup = _supervision(request, supervision_id)
    services.close_supervision(actor=request.auth, supervision=sup, note=data.note)
    return _supervision(request, supervision_id)
