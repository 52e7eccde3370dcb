"""The home-page panel of research projects: the viewer's running projects with the next
stage due, reviews waiting for them, for a principal their school's projects at a glance
(applications in progress, stages due soon and overdue), and for an approving unit's
managers the calls open for applications and the applications waiting for a decision."""

from __future__ import annotations

from typing import Any

from jiaoyan.core import home

from . import queries


def home_panel(request) -> dict[str, Any] | None:
    # The work list and a principal's school figures are read fresh (one query); a
    # region's open calls and the count of applications waiting are figures, kept a few
    # minutes for the viewer.
    data = queries.my_work(request.user)
    data.update(
        home.memo(request, "projects", lambda: queries.managed_figures(request.user), keep=True)
    )
    school = data["school"]
    if school is not None and not any(school.values()):
        data["school"] = None  # the school has no project in progress: nothing to show
    if not (
        data["mine"] or data["to_review"] or data["school"] or data["open_calls"] or data["waiting"]
    ):
        return None  # nothing to show: no panel
    return data
