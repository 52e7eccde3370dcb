"""The hours panel of the home page (registered in ``apps.py``): my hours this year."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .queries import own_totals


def home_panel(request) -> dict[str, Any] | None:
    user = request.user
    if getattr(user, "person", None) is None:
        return None
    year = timezone.localdate().year
    return {"hours": own_totals(user, year), "year": year}
