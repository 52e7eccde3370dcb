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

from jiaoyan.orgs.models import OrgUnit

from . import queries
from .models import (
    OPEN_STATUSES,
    Item,
    ItemCollaborator,
    ProgressReport,
)


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
    """What a row of the API shows: a board row (``queries.for_list``) and its collaborating
    units, in a fixed number of queries."""
    return queries.for_list(qs).prefetch_related(
        Prefetch("collaborations", queryset=ItemCollaborator.objects.order_by("unit_id"))
    )


def for_detail(qs: QuerySet[Item] | None = None) -> QuerySet[Item]:
    base = qs if qs is not None else Item.objects.all()
    return for_list(base).select_related(
        "supervised_by", "source_activity", "assigned_by", "verified_by"
    )


def reports_of(item: Item) -> QuerySet[ProgressReport]:
    """An item's history, oldest first, with its attachments (the item is visible)."""
    return item.reports.select_related("item").prefetch_related("attachments")
