"""The main navigation, grouped into sections (教研, 研训, 评价, 质量, 心理, 管理).

Core declares the sections; each app declares its pages in its AppConfig's ``nav_items``
(``core.apps.ModuleConfig`` registers them)::

    nav_items = (nav.NavItem("ledger", _("Work ledger"), "ledger:board",
                             section=nav.RESEARCH, order=50, visible=nav.has_scope),)

An item names its section (an item without one stands beside Home, outside every
section), its order inside the section, and a predicate ``visible(user)`` saying who sees
it (:func:`has_scope` and :func:`with_role` are the common ones; an item in a section
without one is shown to whoever has a scope — not to an auditor). Nothing is listed that
does not lead to a working page for the user who sees it, and a section none of whose
items the user sees is not shown at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import pgettext_lazy

# The sections' ids, for apps to name in their items.
RESEARCH = "research"  # 教研: plans, activities, observation, the work ledger
TRAINING = "training"  # 研训: training, hours, communities
EVALUATION = "evaluation"  # 评价
QUALITY = "quality"  # 质量: exams and quality analysis
WELLBEING = "wellbeing"  # 心理: mental-health screening
ADMIN = "admin"  # 管理: organisation, people, imports, the audit log


@dataclass(frozen=True)
class NavSection:
    key: str
    label: str
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    key: str  # identifies the item
    label: str
    url_name: str
    order: int = 100
    icon: str = ""
    visible: Callable[[Any], bool] | None = None
    active_for: tuple[str, ...] = ()  # view-name prefixes that mark the item active
    section: str = ""  # a section's key; "" puts the item beside Home


_sections: dict[str, NavSection] = {}
_items: list[NavItem] = []


def register_section(section: NavSection) -> None:
    _sections.setdefault(section.key, section)


def register(item: NavItem) -> None:
    if all(i.key != item.key for i in _items):
        _items.append(item)
        _items.sort(key=lambda i: i.order)


for _section in (
    NavSection(RESEARCH, pgettext_lazy("nav section", "Research"), order=10),
    NavSection(TRAINING, pgettext_lazy("nav section", "Training"), order=20),
    NavSection(EVALUATION, pgettext_lazy("nav section", "Evaluation"), order=30),
    NavSection(QUALITY, pgettext_lazy("nav section", "Quality"), order=40),
    NavSection(WELLBEING, pgettext_lazy("nav section", "Wellbeing"), order=50),
    NavSection(ADMIN, pgettext_lazy("nav section", "Administration"), order=90),
):
    register_section(_section)


# --- who sees an item (``visible=``) ----------------------------------------------------


def has_scope(user) -> bool:
    """A superuser, or anyone holding a role somewhere."""
    from .scope import user_scopes

    return bool(getattr(user, "is_superuser", False)) or bool(user_scopes(user))


def with_role(*roles: str) -> Callable[[Any], bool]:
    """Whoever holds one of ``roles`` somewhere (and a superuser)."""

    def visible(user) -> bool:
        from .scope import has_role

        return has_role(user, *roles)

    return visible


def _entry(item: NavItem, view_name: str) -> dict[str, Any]:
    return {
        "key": item.key,
        "label": item.label,
        "url": reverse(item.url_name),
        "icon": item.icon,
        "section": item.section,
        "active": any(view_name.startswith(p) for p in (item.active_for or (item.key,))),
    }


def items_for(user, view_name: str = "") -> list[dict[str, Any]]:
    """Every item ``user`` sees, in section order then item order (a flat list)."""
    return [entry for part in menu_for(user, view_name) for entry in part["items"]]


def menu_for(user, view_name: str = "") -> list[dict[str, Any]]:
    """What the navigation shows ``user``: the items outside any section, then each
    section with at least one item the user sees, in order.

    ``[{"key", "label", "active", "items": [{"key", "label", "url", "active", …}]}]``;
    the first part (key ``""``) holds the items outside the sections, such as Home.
    """
    unknown = {i.section for i in _items if i.section and i.section not in _sections}
    if unknown:
        raise LookupError(f"navigation items name unknown sections: {sorted(unknown)}")
    parts: dict[str, list[dict[str, Any]]] = {"": []}
    for item in _items:
        if item.visible is not None and not item.visible(user):
            continue
        if item.visible is None and item.section and not has_scope(user):
            continue  # a module's pages are for those who work somewhere (not the auditor)
        parts.setdefault(item.section, []).append(_entry(item, view_name))
    menu = [{"key": "", "label": "", "items": parts.pop(""), "active": False}]
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        entries = parts.get(section.key)
        if entries:
            menu.append(
                {
                    "key": section.key,
                    "label": section.label,
                    "items": entries,
                    "active": any(e["active"] for e in entries),
                }
            )
    return menu
