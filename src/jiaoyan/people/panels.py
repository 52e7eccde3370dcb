"""The people panels of the home page (registered in ``apps.py``): how many people are in
post in the viewer's scope, and — for admins over a region — the people by role and by
professional title."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from jiaoyan.core import charts
from jiaoyan.core.home import memo

from .queries import people_by_role, people_by_title


def _by_title(request) -> list[dict]:
    return memo(request, "people.by_title", lambda: people_by_title(request.user), keep=True)


def figures_panel(request) -> dict[str, Any] | None:
    return {"people": sum(d["value"] for d in _by_title(request))}


def charts_panel(request) -> dict[str, Any] | None:
    by_title = _by_title(request)
    if not by_title:
        return None
    by_role = memo(request, "people.by_role", lambda: people_by_role(request.user), keep=True)
    return {
        "role_chart": charts.bar(
            [d["name"] for d in by_role],
            [d["value"] for d in by_role],
            title=_("People in post by role"),
        ),
        "title_chart": charts.pie(by_title, title=_("Professional titles")),
    }
