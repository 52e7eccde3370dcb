"""The main navigation. Each app registers the pages it offers; nothing is listed that
does not lead to a working page for the user who sees it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    key: str  # identifies the item
    label: str
    url_name: str
    order: int = 100
    icon: str = ""
    visible: Callable[[object], bool] | None = None
    active_for: tuple[str, ...] = ()  # view-name prefixes that mark the item active


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(i.key != item.key for i in _items):
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def items_for(user, view_name: str = "") -> list[dict]:
    result = []
    for item in _items:
        if item.visible is not None and not item.visible(user):
            continue
        result.append(
            {
                "key": item.key,
                "label": item.label,
                "url": reverse(item.url_name),
                "icon": item.icon,
                "active": any(view_name.startswith(p) for p in (item.active_for or (item.key,))),
            }
        )
    return result
