"""The points research projects earn, fed to the point table of ``outcomes.points``.

Two sources, both computed from the project rows (never typed):

- ``project_approved``: a project approved (立项) within the period earns its principal
  investigator, and its host unit once, the table's points for the project's level
  (校/县/市/省/国家);
- ``project_excellent``: a project concluded 优秀 within the period earns them the
  table's conclusion bonus.

Every write that changes what these read (a batch decision, a conclusion) bumps
``outcomes.services.POINTS`` in its transaction, so the kept ranking is recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from jiaoyan.outcomes.points import Credit, register_source

from .models import Grade, Project


def approvals_source(start: dt.date, end: dt.date) -> Iterator[Credit]:
    """Projects approved within ``[start, end]``, at their level."""
    rows = (
        Project.objects.filter(approved_on__gte=start, approved_on__lte=end)
        .order_by("approved_on", "pk")
        .values_list("pk", "pi_id", "org_unit_id", "level", "approved_on")
    )
    for pk, pi, unit, level, day in rows:
        yield Credit(pi, unit, None, "project_approved", level, day, f"project:{pk}")


def excellence_source(start: dt.date, end: dt.date) -> Iterator[Credit]:
    """Projects concluded 优秀 within ``[start, end]`` (the bonus applies at any level; a
    table may price it per level)."""
    rows = (
        Project.objects.filter(
            grade=Grade.EXCELLENT, concluded_on__gte=start, concluded_on__lte=end
        )
        .order_by("concluded_on", "pk")
        .values_list("pk", "pi_id", "org_unit_id", "level", "concluded_on")
    )
    for pk, pi, unit, level, day in rows:
        yield Credit(pi, unit, None, "project_excellent", level, day, f"project-end:{pk}")


register_source("projects.approvals", approvals_source)
register_source("projects.excellence", excellence_source)
