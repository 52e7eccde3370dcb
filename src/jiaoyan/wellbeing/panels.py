"""The counsellor's home-page panel: open screening alerts, until handled."""

from __future__ import annotations

from jiaoyan.core import restricted

from . import queries
from .models import Alert


def alerts_panel(request) -> dict | None:
    user = request.user
    if not user.is_superuser and not restricted.permitted_paths(user, restricted.WELLBEING):
        return None
    rows = list(
        queries.alerts_for(user).filter(status=Alert.Status.OPEN).order_by("-created_at")[:8]
    )
    if not rows:
        return None
    return {"alerts": rows, "count": queries.open_alerts_count(user)}


def due_panel(request) -> dict | None:
    """The class teacher's panel: students of their class with a follow-up due (keys and
    dates only)."""
    from .queries_followup import due_for_class_teacher

    rows = due_for_class_teacher(request.user)
    if not rows:
        return None
    return {"rows": rows[:8], "count": len(rows)}
