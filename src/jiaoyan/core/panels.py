"""Panels other modules add to one kind of object's page, without that object's module
importing them (the observations made in an activity, on the activity's page; the ledger's
offer on a submitted observation's page).

The owning module keeps one :class:`DetailPanels` and hands out its ``register`` (see
``activities/hooks.py``); each panel's context function receives the request and the
object the user may see, starts its own reads from ``visible_to(request.user)``, and
returns a dict rendered into ``template`` as ``panel`` — or None to hide the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DetailPanel:
    key: str
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100


class DetailPanels:
    """The panels registered for one kind of object's page, in order."""

    def __init__(self) -> None:
        self._panels: list[DetailPanel] = []

    def register(self, panel: DetailPanel) -> None:
        if all(p.key != panel.key for p in self._panels):
            self._panels.append(panel)
            self._panels.sort(key=lambda p: p.order)

    def shown(self, request, obj) -> list[dict[str, Any]]:
        """``[{"key", "template", "panel"}]`` of the panels with something to show."""
        shown = []
        for p in self._panels:
            data = p.context(request, obj)
            if data is not None:
                shown.append({"key": p.key, "template": p.template, "panel": data})
        return shown
