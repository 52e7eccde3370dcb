"""The activities panel of the home page (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from jiaoyan.core.scope import scope_paths

from . import queries
from .models import ORGANISERS


def home_panel(request) -> dict[str, Any] | None:
    user = request.user
    upcoming = queries.upcoming_for(user)
    feedback = queries.awaiting_feedback(user)
    open_ones = queries.open_for_registration(user)
    organiser = bool(user.is_superuser or scope_paths(user, ORGANISERS))
    if not (upcoming or feedback or open_ones or organiser) and not getattr(user, "person", None):
        return None
    return {
        "upcoming": upcoming,
        "feedback": feedback,
        "open": open_ones,
        "organiser": organiser,
    }
