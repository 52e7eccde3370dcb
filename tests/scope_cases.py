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


@dataclass(frozen=True)
class ScopeCase:
    model: type[models.Model]
    make: Callable[[Any], models.Model]  # world -> a row owned in 华州区
    page: Callable[[models.Model], str] | None = None  # its detail page
    list_page: str | None = None  # a list page that would show it
    api: Callable[[models.Model], str] | None = None  # its API detail path
    api_list: str | None = None  # an API list that would include it
    marker: Callable[[models.Model], str] = str  # text that would reveal it in a list
    # Actions to assert refused for the outsider (besides view).
    actions: tuple[str, ...] = ("change", "delete")
    # Personal objects (tokens, notifications) are visible to their owner only.
    personal: bool = False


CASES: dict[type[models.Model], ScopeCase] = {}


def register(case: ScopeCase) -> ScopeCase:
    CASES[case.model] = case
    return case
