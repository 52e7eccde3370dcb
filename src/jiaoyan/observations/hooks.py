"""Where other modules plug into observations, without observations importing them.

* **Panels on the observation page** (e.g. the work ledger, issue #5, offering to turn a
  submitted observation's suggestions into a ledger item)::

      hooks.register_detail_panel(hooks.DetailPanel(
          key="ledger", template="ledger/_observation_panel.html",
          context=lambda request, observation: {...} or None, order=50))

  The context function receives the request and the observation the user may see; it
  must start its own reads from ``visible_to(request.user)`` and return None to hide.
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


_panels: list[DetailPanel] = []


def register_detail_panel(panel: DetailPanel) -> None:
    if all(p.key != panel.key for p in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: p.order)


def detail_panels(request, observation) -> list[dict[str, Any]]:
    shown = []
    for p in _panels:
        data = p.context(request, observation)
        if data is not None:
            shown.append({"key": p.key, "template": p.template, "panel": data})
    return shown
