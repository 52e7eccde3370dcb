"""The home-page panel of research projects: the viewer's running projects with the next
stage due, reviews waiting for them, and for an approving unit's managers the calls open
for applications and the applications waiting for a decision."""

from __future__ import annotations

from typing import Any

from jiaoyan.core import home

from . import queries


def home_panel(request) -> dict[str, Any] | None:
    # The work list is read fresh (one query); a region's open calls and the count of
    # applications waiting are figures, kept a few minutes for the viewer.
    data = queries.my_work(request.user)
    data.update(
        home.memo(request, "projects", lambda: queries.managed_figures(request.user), keep=True)
    )
    if not (data["mine"] or data["to_review"] or data["open_calls"] or data["waiting"]):
        return None  # nothing to show: no panel
    return data
