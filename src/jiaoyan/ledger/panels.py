"""What the ledger shows on other pages: the home-page panel (my work due soon or overdue)
and the panel of a submitted observation's page (its suggestions → a ledger item)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jiaoyan.core.scope import units_where

from . import queries
from .models import Item, Source


def home_panel(request) -> dict[str, Any] | None:
    """Two queries at most: my urgent items; nothing for someone without a ledger."""
    user = request.user
    items = queries.home_items(user)
    if not items:
        return None
    today = timezone.localdate()
    return {"items": items, "today": today}


def observation_panel(request, observation) -> dict[str, Any] | None:
    """On a submitted observation: the items made from it, and the button to make one."""
    user = request.user
    if observation.status != "submitted":
        return None
    made = list(
        queries.items_for(user)
        .filter(source=Source.OBSERVATION, source_observation=observation)
        .order_by("pk")
    )
    may_add = units_where(user, "add", Item).exists()
    if not (made or may_add):
        return None
    return {"items": made, "may_add": may_add, "observation": observation}
