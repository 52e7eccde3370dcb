"""Read side of the ledger for the API: the filters of the item and supervision lists
and what a row needs in a fixed number of queries. Which items a board shows is the
pages' definition (``queries.board_queryset``), so both read the same; every function
starts from ``visible_to(user)``. Without a board, a list shows every item the user may
see.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from jiaoyan.core.scope import scope_paths
from jiaoyan.orgs.models import OrgUnit

from . import queries
from .models import (
    OPEN_STATUSES,
    Item,
    ItemCollaborator,
    ProgressReport,
    Status,
    Supervision,
)

BOARDS = ("mine", "unit", "assigned", "supervision")
STATUS_FILTERS = (*Status.values, "open", "overdue")


def _under_scope(user) -> QuerySet[OrgUnit]:
    q = Q(pk__in=[])
    for p in scope_paths(user):
        q |= Q(path__under=p)
    return OrgUnit.objects.filter(q).values("pk")


def status_q(status: str | None, *, today: dt.date | None = None) -> Q:
    """``status`` is a stored status, ``open`` (not started or in progress) or ``overdue``
    (open and past its deadline)."""
    if not status:
        return Q()
    if status == "open":
        return Q(status__in=OPEN_STATUSES)
    if status == "overdue":
        return Q(status__in=OPEN_STATUSES, due_on__lt=today or timezone.localdate())
    return Q(status=status)


def items_for(
    user,
    *,
    board: str | None = None,
    status: str | None = None,
    responsible_unit: int | None = None,
    within: int | None = None,
    tag: str | None = None,
    priority: str | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    q: str | None = None,
) -> QuerySet[Item]:
    """The items of a board, filtered, ordered by deadline (ongoing ones last)."""
    # The boards are the pages' boards (``queries.board_queryset``): one meaning of "mine",
    # "my unit's", "assigned by me" and "supervision" for the pages and the API.
    base = queries.board_queryset(user, board) if board else Item.objects.visible_to(user)
    qs = base.filter(status_q(status))
    if responsible_unit:
        qs = qs.filter(responsible_unit_id=responsible_unit)
    if within:
        path = OrgUnit.objects.filter(pk=within).values_list("path", flat=True).first()
        qs = qs.filter(responsible_unit__path__under=path) if path else qs.none()
    if tag:
        qs = qs.filter(tags__name=tag.strip())
    if priority:
        qs = qs.filter(priority=priority)
    if due_from:
        qs = qs.filter(due_on__gte=due_from)
    if due_to:
        qs = qs.filter(due_on__lte=due_to)
    if q and q.strip():
        text = q.strip()[:100]
        qs = qs.filter(Q(title__icontains=text) | Q(responsible_name__icontains=text))
    return qs.order_by(F("due_on").asc(nulls_last=True), "pk")


def for_list(qs: QuerySet[Item]) -> QuerySet[Item]:
    """What a row of a board shows, in a fixed number of queries."""
    return qs.select_related("org_unit", "responsible_unit", "responsible_person").prefetch_related(
        "tags", Prefetch("collaborations", queryset=ItemCollaborator.objects.order_by("unit_id"))
    )


def for_detail(qs: QuerySet[Item] | None = None) -> QuerySet[Item]:
    base = qs if qs is not None else Item.objects.all()
    return for_list(base).select_related(
        "supervised_by", "source_activity", "assigned_by", "verified_by"
    )


def reports_of(item: Item) -> QuerySet[ProgressReport]:
    """An item's history, oldest first, with its attachments (the item is visible)."""
    return item.reports.select_related("item").prefetch_related("attachments")


def supervisions_for(
    user,
    *,
    state: str = "open",
    supervising: bool = False,
    item: int | None = None,
) -> QuerySet[Supervision]:
    """Supervisions the user sees; ``supervising``: only those of units in their scope
    (their supervision board)."""
    qs = Supervision.objects.visible_to(user)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if supervising and not user.is_superuser:
        qs = qs.filter(unit__in=_under_scope(user))
    if item:
        qs = qs.filter(item_id=item)
    return qs.select_related(
        "item__org_unit", "unit", "escalated_by__person", "closed_by"
    ).order_by("-escalated_at", "-pk")
