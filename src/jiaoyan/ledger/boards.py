"""Read side of the ledger's boards, shared by the API (and meant for the pages): which
items a board shows, the filters of the boards, and what a list row needs in a fixed
number of queries. Every function starts from ``visible_to(user)``.

Boards:

* ``mine`` — the items the user is the responsible person of;
* ``unit`` — the work of the user's own units (the unit they work at and the units their
  roles are bound to): responsible for it or collaborating on it;
* ``assigned`` — what the user assigned, or (for those who assign work: admins,
  researchers, principals) what their own unit assigned;
* ``supervision`` — items under an open supervision of a unit in the user's scope.

Without a board, a list shows every item the user may see.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from jiaoyan.core.scope import scope_paths, user_scopes
from jiaoyan.orgs.models import OrgUnit

from .models import (
    ASSIGNERS,
    OPEN_STATUSES,
    Item,
    ItemCollaborator,
    ProgressReport,
    Status,
    Supervision,
)

BOARDS = ("mine", "unit", "assigned", "supervision")
STATUS_FILTERS = (*Status.values, "open", "overdue")


def own_unit_ids(user) -> list[int]:
    """The units a user works for: their person's unit and the units of their roles."""
    ids = {s.unit_id for s in user_scopes(user)}
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is not None:
        ids.add(person.org_unit_id)
    return sorted(ids)


def _under_scope(user) -> QuerySet[OrgUnit]:
    q = Q(pk__in=[])
    for p in scope_paths(user):
        q |= Q(path__under=p)
    return OrgUnit.objects.filter(q).values("pk")


def board_q(user, board: str | None) -> Q:
    """The condition of ``board`` for ``user`` (empty: every visible item)."""
    if not board:
        return Q()
    if board == "mine":
        return Q(responsible_person__user_id=user.pk)
    units = own_unit_ids(user)
    if board == "unit":
        return Q(responsible_unit_id__in=units) | Q(
            pk__in=ItemCollaborator.objects.filter(unit_id__in=units).values("item_id")
        )
    if board == "assigned":
        if not any(s.role in ASSIGNERS for s in user_scopes(user)):
            return Q(assigned_by_id=user.pk)
        return Q(assigned_by_id=user.pk) | Q(org_unit_id__in=units)
    if board == "supervision":
        if user.is_superuser:
            return Q(supervised_by__isnull=False)
        return Q(supervised_by__in=_under_scope(user))
    raise ValueError(board)


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
    qs = Item.objects.visible_to(user).filter(board_q(user, board), status_q(status))
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
    return qs.select_related("item__org_unit", "unit", "escalated_by", "closed_by").order_by(
        "-escalated_at", "-pk"
    )
