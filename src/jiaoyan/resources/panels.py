"""The resource library's home panel: what waits for the viewer (reviews to do, resources
returned, in review, drafts)."""

from __future__ import annotations

from typing import Any

from . import queries


def home_panel(request) -> dict[str, Any] | None:
    counts = queries.panel_counts(request.user)
    if not any(counts.values()):  # nothing waits: no panel
        return None
    return counts
