"""Panels of the home page: each app contributes what its users should see first.

An app registers a :class:`HomePanel` in its ``AppConfig.ready``; the home page renders
every panel whose ``context`` function returns a dict (``None`` hides the panel, e.g. for
a user with nothing to show). Keep a panel's queries few and bounded: the home page is
opened more than any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str  # rendered with ``panel`` = the dict the context function returned
    context: Callable[[HttpRequest], dict[str, Any] | None]
    order: int = 100


_panels: list[HomePanel] = []


def register(panel: HomePanel) -> None:
    if all(p.key != panel.key for p in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: p.order)


def panels_for(request: HttpRequest) -> list[dict[str, Any]]:
    """The panels to show to ``request.user``, in order: ``[{key, template, panel}]``."""
    shown = []
    for p in _panels:
        data = p.context(request)
        if data is not None:
            shown.append({"key": p.key, "template": p.template, "panel": data})
    return shown
