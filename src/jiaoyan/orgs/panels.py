"""The organisation panels of the home page (registered in ``apps.py``).

* the principal's own school (its profile at a glance);
* the figures of a region (schools, students, units) for admins and researchers;
* the charts comparing a region's schools (by location class, by kind), for admins whose
  scope holds several schools — drawn for nobody else.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from jiaoyan.core import charts
from jiaoyan.core.home import memo, seats
from jiaoyan.core.roles import Role

from .models import School
from .queries import scope_summary


def _summary(request) -> dict[str, Any]:
    return memo(request, "orgs.summary", lambda: scope_summary(request.user), keep=True)


def my_school_panel(request) -> dict[str, Any] | None:
    """The school(s) a principal heads."""
    ids = [s.unit_id for s in seats(request) if s.role == Role.PRINCIPAL and s.level == "school"]
    schools = list(
        School.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("org_unit")
        .prefetch_related("stages")
    )
    if not schools:
        return None
    return {"schools": schools}


def figures_panel(request) -> dict[str, Any] | None:
    """Schools, students and units in the viewer's scope."""
    return {"summary": _summary(request)}


def charts_panel(request) -> dict[str, Any] | None:
    """The scope's schools by location class and by kind: only with schools to compare."""
    summary = _summary(request)
    if summary["schools"] < 2:
        return None
    return {
        "location_chart": charts.pie(summary["by_location"], title=_("Schools by location")),
        "kind_chart": charts.bar(
            [d["name"] for d in summary["by_kind"]],
            [d["value"] for d in summary["by_kind"]],
            title=_("Schools by kind"),
            horizontal=True,
        ),
    }
