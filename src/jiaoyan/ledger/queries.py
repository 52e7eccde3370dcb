"""Read side of the work ledger: the boards (mine, my unit's, assigned by me, supervision),
their filters and sorting, the counts per status, the kanban columns and the home panel.

Every function starts from ``Item.objects.visible_to(user)``; a board only narrows it.
A board page issues a fixed number of queries whatever its rows: the list joins its units
and person (``select_related``) and reads the tags of a whole page in one more query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.lists import kept
from jiaoyan.core.scope import scope_paths, under_q, units_in_scope, user_scopes
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .models import OPEN_STATUSES, Item, Priority, ProgressReport, Status, Supervision, Tag

BOARDS: dict[str, Any] = {
    "mine": _("Mine"),
    "unit": _("My unit's"),
    "assigned": _("Assigned by me"),
    "supervision": _("Under supervision"),
}
OVERDUE = "overdue"  # the virtual status: open and past its deadline
KANBAN_COLUMNS = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE, Status.VERIFIED)
KANBAN_LIMIT = 20  # cards per column at most; the table view pages through the rest
HOME_SOON_DAYS = 7
HOME_SHOWN = 8


def items_for(user) -> QuerySet[Item]:
    """Every item ``user`` may see."""
    return Item.objects.visible_to(user)


def my_units(user) -> list[int]:
    """The units that are "mine" for the personal board: where I work, and the units my
    roles are bound to (a principal's school, a researcher's district)."""
    units = {s.unit_id for s in user_scopes(user)}
    person = getattr(user, "person", None)
    if person is not None:
        units.add(person.org_unit_id)
    return sorted(units)


def _under(lookup: str, paths: list[str]) -> Q:
    return under_q(Item, lookup, paths)


def board_queryset(user, board: str) -> QuerySet[Item]:
    """The items of one board, as ``user`` sees them (unknown boards read as ``mine``)."""
    qs = items_for(user)
    if board == "assigned":
        # What I assigned, found by its index first; the scope check runs on those only.
        return qs.filter(pk__in=Item.objects.filter(assigned_by_id=user.pk).values("pk"))
    if board == "unit":
        if user.is_superuser:
            return qs
        paths = scope_paths(user)
        if not paths:
            return qs.none()
        return qs.filter(_under("org_unit__path", paths) | _under("responsible_unit__path", paths))
    if board == "supervision":
        if user.is_superuser:
            return qs.filter(supervised_by__isnull=False)
        paths = scope_paths(user)
        if not paths:
            return qs.none()
        # The few supervised items first (by their index), then the scope check on them.
        supervised = Item.objects.filter(_under("supervised_by__path", paths)).values("pk")
        return qs.filter(pk__in=supervised)
    return qs.filter(pk__in=Item.objects.filter(mine_q(user)).values("pk"))


def mine_q(user) -> Q:
    """Items whose responsible person is me, or whose responsible unit is one of mine."""
    mine = Q(responsible_person__in=Person.objects.filter(user_id=user.pk).values("pk"))
    units = my_units(user)
    if units:
        mine |= Q(responsible_unit_id__in=units)
    return mine


def overdue_q(today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


@dataclass
class Filters:
    """The cleaned filters of a board (see ``forms.BoardFilterForm``)."""

    unit: OrgUnit | None = None
    tag: str = ""
    status: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    priority: str = ""
    q: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(
            self.unit
            or self.tag
            or self.status
            or self.due_from
            or self.due_to
            or self.priority
            or self.q
        )


def apply_filters(qs: QuerySet[Item], f: Filters, *, status: bool = True) -> QuerySet[Item]:
    """``qs`` narrowed by the filters (``status=False``: all but the status, for the counts
    per status shown above the list)."""
    if f.unit is not None:
        paths = [f.unit.path]
        qs = qs.filter(_under("responsible_unit__path", paths) | _under("org_unit__path", paths))
    if f.tag:
        qs = qs.filter(pk__in=Tag.items.through.objects.filter(tag__name=f.tag).values("item_id"))
    if not status:
        pass
    elif f.status == OVERDUE:
        qs = qs.filter(overdue_q())
    elif f.status in Status.values:
        qs = qs.filter(status=f.status)
    else:
        qs = qs.exclude(status=Status.CANCELLED)  # cancelled work shows only when asked for
    if f.due_from:
        qs = qs.filter(due_on__gte=f.due_from)
    if f.due_to:
        qs = qs.filter(due_on__lte=f.due_to)
    if f.priority in Priority.values:
        qs = qs.filter(priority=f.priority)
    if f.q:
        qs = qs.filter(title__icontains=f.q[:50])
    return qs


def priority_rank() -> Case:
    return Case(
        When(priority=Priority.HIGH, then=Value(0)),
        When(priority=Priority.NORMAL, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def for_list(qs: QuerySet[Item]) -> QuerySet[Item]:
    """What a row of a board shows: units, person, supervising unit, tags (one query)."""
    return qs.select_related(
        "org_unit", "responsible_unit", "responsible_person", "supervised_by"
    ).prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def status_counts(qs: QuerySet[Item], *, today: dt.date | None = None) -> dict[str, int]:
    """How many items of ``qs`` are in each status, and how many are overdue (one query;
    a board of more than 5,000 items keeps its counts two minutes: ``core.lists.kept``)."""
    aggregates = {s: Count("pk", filter=Q(status=s)) for s in Status.values}
    aggregates[OVERDUE] = Count("pk", filter=overdue_q(today))
    aggregates["total"] = Count("pk")
    return kept(
        "ledger-status-counts",
        qs,
        lambda: qs.order_by().aggregate(**aggregates),
        rows=lambda counts: counts["total"],
        also=(today or timezone.localdate(),),
    )


def board_count(counts: dict[str, int], status: str) -> int:
    """How many rows the list shows, read off ``status_counts`` (no second count)."""
    if status == OVERDUE:
        return counts.get(OVERDUE, 0)
    if status in Status.values:
        return counts.get(status, 0)
    return counts.get("total", 0) - counts.get(Status.CANCELLED, 0)


class IdRows:
    """A list of item ids, already in order, for ``Paginator``: a slice reads its rows."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key: slice) -> list[Item]:
        if not isinstance(key, slice):
            raise TypeError("IdRows supports slices only")
        return rows_by_id(self.ids[key])


def rows_by_id(ids: list[int]) -> list[Item]:
    """The items of ``ids`` with their units, person and tags, in the order of ``ids``."""
    if not ids:
        return []
    found = {i.pk: i for i in for_list(Item.objects.filter(pk__in=ids))}
    return [found[i] for i in ids if i in found]


def kanban(qs: QuerySet[Item], counts: dict[str, int], *, status: str = "") -> list[dict[str, Any]]:
    """The kanban columns (not started › in progress › done › verified), each with its first
    cards by deadline; cancelled items have a column only when filtered for.

    One narrow query of ids per column (its first cards by deadline), then one query for
    the cards: a fixed number of queries whatever the rows."""
    columns = [Status.CANCELLED] if status == Status.CANCELLED else list(KANBAN_COLUMNS)
    ids = {
        s: list(
            qs.filter(status=s).order_by("due_on", "pk").values_list("pk", flat=True)[:KANBAN_LIMIT]
        )
        for s in columns
    }
    cards = {i.pk: i for i in rows_by_id([pk for s in columns for pk in ids[s]])}
    by_status = {s: [cards[pk] for pk in ids[s] if pk in cards] for s in columns}
    labels = dict(Status.choices)
    return [
        {
            "status": s,
            "label": labels[s],
            "items": by_status[s],
            "count": counts.get(s, 0),
            "more": max(counts.get(s, 0) - len(by_status[s]), 0),
        }
        for s in columns
    ]


def tag_names() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:200])


def item_detail(user, pk: int) -> Item:
    """One visible item with what its page shows (404 when not visible)."""
    from jiaoyan.core.scope import get_visible_or_404

    qs = items_for(user).select_related(
        "org_unit",
        "responsible_unit",
        "responsible_person",
        "supervised_by",
        "assigned_by__person",
        "source_activity",
        "source_observation",
    )
    return get_visible_or_404(qs, user, pk=pk)


def reports_of(item: Item) -> list[ProgressReport]:
    """The item's history of progress, oldest first, with attachments (two queries)."""
    return list(item.reports.order_by("created_at", "pk").prefetch_related("attachments"))


def open_supervision(item: Item) -> Supervision | None:
    return (
        Supervision.objects.filter(item=item, closed_at__isnull=True)
        .select_related("unit", "escalated_by__person")
        .first()
    )


def supervisions_for(
    user,
    *,
    state: str = "open",
    supervising: bool = False,
    item: int | None = None,
) -> QuerySet[Supervision]:
    """Supervisions the user sees (``state``: open, closed or all); ``supervising``: only
    those of units in their scope — their supervision board. Pages and API both read this."""
    qs = Supervision.objects.visible_to(user)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if supervising and not user.is_superuser:
        qs = qs.filter(unit__in=units_in_scope(user))
    if item:
        qs = qs.filter(item_id=item)
    return qs.select_related(
        "unit",
        "item__org_unit",
        "item__responsible_unit",
        "item__responsible_person",
        "item__supervised_by",
        "escalated_by__person",
        "closed_by",
    ).order_by("-escalated_at", "-pk")


def home_items(user, *, today: dt.date | None = None) -> list[Item]:
    """My open items that are overdue or due within a week, most urgent first (one query)."""
    today = today or timezone.localdate()
    # My urgent items first (a small set, found from the responsible-unit index), then
    # kept only where visible: the other way round the database checks every visible item.
    soon = today + dt.timedelta(days=HOME_SOON_DAYS)
    urgent = Item.objects.filter(mine_q(user), status__in=OPEN_STATUSES, due_on__lte=soon).values(
        "pk"
    )
    qs = items_for(user).filter(pk__in=urgent)
    return list(
        qs.select_related("responsible_unit", "supervised_by").order_by("due_on", "pk")[:HOME_SHOWN]
    )
