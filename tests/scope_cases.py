"""The registry behind tests/core/test_scope_matrix.py.

Every model registered with ``jiaoyan.core.scope.scoped`` needs a case here: how to make
one row of it that belongs to the *other* district (华州区) of the test world, and where
the pages and API show it. The matrix test fails for a scoped model without a case, so a
new module cannot forget its isolation test; it adds a case in
``tests/<app>/scope_cases.py`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

Url = str | Callable[[models.Model], str]


@dataclass(frozen=True)
class ScopeCase:
    """Where a row shows, so the matrix can check both sides of every URL: the case's
    ``viewer`` (in scope) gets the page, finds the row in the lists and the API, and every
    user of 临渭区 gets 404 for the page and API and lists without the row. A list or API
    list is a string, or a function of the row when the URL names something of it (a
    filter that would single it out)."""

    model: type[models.Model]
    make: Callable[[Any], models.Model]  # world -> a row owned in 华州区
    page: Callable[[models.Model], str] | None = None  # its detail page
    list_page: Url | None = None  # a list page (or its ?export=xlsx) that would show it
    api: Callable[[models.Model], str] | None = None  # its API detail path
    api_list: Url | None = None  # an API list that would include it
    marker: Callable[[models.Model], str] = str  # text that would reveal it in a list
    # Actions to assert refused for the outsider (besides view).
    actions: tuple[str, ...] = ("change", "delete")
    # Personal objects (tokens, notifications) are visible to their owner only.
    personal: bool = False
    # The in-scope user of the positive control, and what the detail page answers them
    # (302 where the page sends them on: a notification to its target, a material link).
    viewer: str = "outsider"
    page_status: int = 200
    # Users of 临渭区 whose role may not open the list page at all (403 before any row
    # is read; the API's list may refuse them too, or answer without the row); every other
    # insider must get the list (200) without the row.
    list_refused: tuple[str, ...] = ()


CASES: dict[type[models.Model], ScopeCase] = {}


def load_all() -> dict[type[models.Model], ScopeCase]:
    """Import every ``tests/<app>/scope_cases.py`` (each registers its cases) and return
    the registry."""
    import importlib
    import pkgutil

    import tests

    for mod in pkgutil.iter_modules(tests.__path__):
        if mod.ispkg:
            try:
                importlib.import_module(f"tests.{mod.name}.scope_cases")
            except ModuleNotFoundError as e:
                if e.name != f"tests.{mod.name}.scope_cases":
                    raise
    return CASES


def register(case: ScopeCase) -> ScopeCase:
    CASES[case.model] = case
    return case
