"""Panels of the home page: each app contributes what its users work on.

An app declares its :class:`HomePanel` in its AppConfig's ``home_panels`` (registered by
``core.apps.ModuleConfig``). A panel declares to whom
it applies — the roles (``roles``) and the levels of the units those roles are held on
(``levels``) — so that a teacher's home shows the teacher's own work and a chart comparing
schools is drawn only for someone whose scope holds several schools. For each panel that
applies, the home page calls its ``context(request)``; ``None`` hides the panel (nothing to
show this user), a dict is rendered into ``template`` as ``panel``.

Keep a panel's queries few and bounded: the home page is opened more than any other. Two
panels of one app that need the same figures share them through :func:`memo`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .lists import cache_key
from .roles import Role

# Where a panel goes: a strip of figures on top (the panel brings its ``col-*`` cards), the
# main column (two thirds on a desktop), the side column, or full width below (charts;
# the panel brings its columns). On a phone everything is one column in this order.
TOP = "top"
MAIN = "main"
SIDE = "side"
WIDE = "wide"
PLACES = (TOP, MAIN, SIDE, WIDE)

# Levels of the org-unit tree (orgs.OrgUnit.Level) a role can be held on.
SCHOOL_LEVELS = frozenset({"school"})
REGION_LEVELS = frozenset({"province", "city", "county", "town"})  # scopes with several schools
ANY_ROLE = None


@dataclass(frozen=True)
class Seat:
    """One role of the viewer, held on one unit (of ``level``)."""

    role: str
    unit_id: int | None
    unit_name: str
    level: str
    path: str  # the unit's tree path ("" for a superuser: every unit)


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str  # rendered with ``panel`` = the dict the context function returned
    # The function, or its dotted path (imported when the panel is registered: an
    # AppConfig declares its panels before the models are loaded).
    context: Callable[[HttpRequest], dict[str, Any] | None] | str
    order: int = 100
    place: str = MAIN
    # To whom the panel applies: a seat whose role is in ``roles`` and whose unit's level is
    # in ``levels`` (``None``: any). A user without roles sees only panels for anyone.
    roles: frozenset[str] | None = ANY_ROLE
    levels: frozenset[str] | None = None

    def applies_to(self, seats: Iterable[Seat]) -> bool:
        if self.roles is None and self.levels is None:
            return True
        return any(
            (self.roles is None or s.role in self.roles)
            and (self.levels is None or s.level in self.levels)
            for s in seats
        )


_panels: list[HomePanel] = []


def register(panel: HomePanel) -> None:
    if panel.place not in PLACES:
        raise ValueError(f"home panel {panel.key}: place must be one of {PLACES}")
    if isinstance(panel.context, str):
        panel = replace(panel, context=import_string(panel.context))
    if all(p.key != panel.key for p in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: p.order)


def seats(request: HttpRequest) -> tuple[Seat, ...]:
    """The viewer's roles with the name and level of the unit each is held on (one query,
    once per request). A superuser counts as a bureau admin at the top of the tree."""
    from .scope import user_scopes  # (this module is imported before the models are)

    cached = getattr(request, "_home_seats", None)
    if cached is not None:
        return cached
    user = request.user
    scopes = user_scopes(user)
    found: tuple[Seat, ...] = ()
    if scopes:
        OrgUnit = apps.get_model("orgs", "OrgUnit")
        units = {
            pk: (name, level)
            for pk, name, level in OrgUnit.objects.filter(
                pk__in={s.unit_id for s in scopes}
            ).values_list("pk", "name", "level")
        }
        found = tuple(
            Seat(
                role=s.role,
                unit_id=s.unit_id,
                unit_name=units[s.unit_id][0],
                level=units[s.unit_id][1],
                path=s.path,
            )
            for s in sorted(scopes, key=lambda s: (s.path, s.role))
            if s.unit_id in units
        )
    elif getattr(user, "is_superuser", False):
        found = (
            Seat(role=Role.BUREAU_ADMIN, unit_id=None, unit_name="", level="province", path=""),
        )
    request._home_seats = found
    return found


def scope_lines(request: HttpRequest) -> list[dict[str, Any]]:
    """``[{"unit": name, "roles": [role labels]}]``: the units the viewer's roles are bound
    to, for the greeting line."""
    lines: dict[int, dict[str, Any]] = {}
    for s in seats(request):
        if s.unit_id is None:
            continue
        line = lines.setdefault(s.unit_id, {"unit": s.unit_name, "roles": []})
        line["roles"].append(Role(s.role).label)
    return list(lines.values())


FIGURES_SECONDS = 300
"""How long a panel's aggregate figures are kept for one viewer (``memo(…, keep=True)``)."""


def memo(request: HttpRequest, key: str, compute: Callable[[], Any], *, keep: bool = False) -> Any:
    """``compute()`` once per request: figures that two panels of one app share.

    With ``keep``, the figures are also kept for :data:`FIGURES_SECONDS` for this viewer
    with these roles (the cache key names the user and the seats their roles are held
    on), so that the aggregates of a city — counted over every person or school in scope —
    are not counted again each time the home page is opened. For figures, not for work
    lists: what a user must act on is read fresh.
    """
    store = request.__dict__.setdefault("_home_memo", {})
    if key in store:
        return store[key]
    if not keep:
        store[key] = compute()
        return store[key]
    viewer = [(s.role, s.unit_id) for s in seats(request)]
    kept_as = cache_key(f"home:{key}", request.user.pk, viewer)
    value = cache.get(kept_as)
    if value is None:
        value = compute()
        cache.set(kept_as, value, FIGURES_SECONDS)
    store[key] = value
    return value


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    """The panels to show to ``request.user``, in order: ``[{key, template, place, panel}]``."""
    viewer = seats(request)
    shown = []
    for p in _panels:
        if not p.applies_to(viewer):
            continue
        data = p.context(request)
        if data is not None:
            shown.append({"key": p.key, "template": p.template, "place": p.place, "panel": data})
    return shown


def layout(panels: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The shown panels by place: ``{"top": [...], "main": [...], "side": […], "wide": […]}``."""
    return {place: [p for p in panels if p["place"] == place] for place in PLACES}
