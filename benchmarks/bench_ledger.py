"""Benchmarks of the work ledger at city scale (~30,000 items): the boards (mine, my
unit's, what I assigned; table and kanban; filtered), the supervision board, an item's
page, and the API's lists and details, for the city admin, the district researcher and
the principal.

``PAGES`` entries are ``{name, path, user[, grow]}``; a callable ``path`` takes the database
alias and looks a real id up in the bench database. Target (DESIGN.md): p95 ≤ 100 ms for
every board and the supervision view, a fixed number of queries whatever the rows.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

USERS = ("city_admin", "district_researcher", "principal")


def _user_unit(username: str, db: str = "default") -> int:
    from jiaoyan.people.models import Person

    return (
        Person.objects.using(db)
        .filter(user__username=username)
        .values_list("org_unit_id", flat=True)
        .first()
    )


@cache
def _busy_item(username: str, db: str = "default") -> int:
    """An item of the account's own unit (assigned by it, or its responsibility) with the
    longest history, so the page shows as much as any."""
    from django.db.models import Count, Q

    from jiaoyan.ledger.models import Item

    unit = _user_unit(username, db)
    return (
        Item.objects.using(db)
        .filter(Q(org_unit_id=unit) | Q(responsible_unit_id=unit))
        .annotate(n=Count("reports"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )


@cache
def _supervised_item(db: str = "default") -> int:
    from jiaoyan.ledger.models import Item

    return (
        Item.objects.using(db)
        .filter(supervised_by__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _window(_db: str = "default") -> str:
    from django.utils import timezone

    today = timezone.localdate()
    return f"due_from={today - dt.timedelta(days=30)}&due_to={today + dt.timedelta(days=30)}"


def _item_page(username: str):
    return lambda db: f"/ledger/items/{_busy_item(username, db)}/"


PAGES: list[dict] = []
for _user in USERS:
    PAGES += [
        {"name": "ledger board mine", "path": "/ledger/?board=mine", "user": _user},
        {
            "name": "ledger board unit",
            "path": "/ledger/?board=unit",
            "user": _user,
            "grow": "size=100",
        },
        {
            "name": "ledger board assigned",
            "path": "/ledger/?board=assigned",
            "user": _user,
            "grow": "size=100",
        },
        {"name": "ledger board kanban", "path": "/ledger/?board=unit&view=kanban", "user": _user},
        {
            "name": "ledger board overdue, tag",
            "path": "/ledger/?board=assigned&status=overdue&tag=双减",
            "user": _user,
        },
        {
            "name": "ledger board deadline window",
            "path": lambda db: f"/ledger/?board=unit&{_window(db)}",
            "user": _user,
        },
        {"name": "ledger supervision board", "path": "/ledger/supervision/", "user": _user},
        {"name": "ledger item page", "path": _item_page(_user), "user": _user},
        {
            "name": "api ledger items",
            "path": "/api/v1/ledger/items?limit=100",
            "user": _user,
            "grow": "limit=500",
        },
        {
            "name": "api ledger item",
            "path": lambda db, u=_user: f"/api/v1/ledger/items/{_busy_item(u, db)}",
            "user": _user,
        },
    ]

PAGES += [
    {
        "name": "ledger board (all visible)",
        "path": "/ledger/",
        "user": "city_admin",
        "province": True,
    },
    {
        "name": "ledger supervised items, page 2",
        "path": "/ledger/?board=supervision&page=2",
        "user": "city_admin",
    },
    {
        "name": "ledger supervised item page",
        "path": lambda db: f"/ledger/items/{_supervised_item(db)}/",
        "user": "city_admin",
    },
    {
        "name": "api ledger items overdue (researcher)",
        "path": "/api/v1/ledger/items?board=assigned&status=overdue&limit=100",
        "user": "district_researcher",
    },
    {
        "name": "api ledger item progress",
        "path": lambda db: f"/api/v1/ledger/items/{_busy_item('principal', db)}/progress",
        "user": "principal",
    },
    {
        "name": "api ledger supervisions",
        "path": "/api/v1/ledger/supervisions?supervising=true&limit=100",
        "user": "city_admin",
        "grow": "limit=500",
    },
]
