"""The pairing's panel on an activity's page: the pairings (visible to the viewer) that
name the activity as one of their joint activities."""

from __future__ import annotations

from typing import Any

from .models import Pairing


def activity_panel(request, activity) -> dict[str, Any] | None:
    pairings = list(
        Pairing.objects.visible_to(request.user)
        .filter(joint_links__activity=activity)
        .select_related("helping_unit", "helped_unit")
        .order_by("pk")[:10]
    )
    return {"pairings": pairings} if pairings else None
