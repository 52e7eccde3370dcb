"""Reads of the follow-up workflow and of the suppressed aggregates.

* Follow-up cases are restricted rows: read from ``visible_to`` (the wellbeing permission),
  a case's records only after :func:`jiaoyan.core.restricted.record_read` with a reason.
* The class teacher (班主任, :func:`jiaoyan.people.queries.homeroom_classes`) holds no
  permission: :func:`due_for_class_teacher` gives them, for the classes they look after,
  nothing but the student key, the class and the day a follow-up is due — no score,
  level, note or alert kind.
* Aggregates (participation and levels by school, grade, gender or class) go through
  :func:`jiaoyan.core.restricted.suppress_grid_cells`: a cell of fewer than 10 students,
  and every cell that would give it away from the totals, is shown as "<10".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import restricted
from jiaoyan.core.scope import units_in_scope
from jiaoyan.orgs.models import OrgUnit

from .models import Campaign, FollowUpCase, FollowUpEntry, Participation, Student

#: A follow-up this many days ahead (or overdue) is "due" for the class teacher.
DUE_AHEAD = 3


def cases_for(user) -> QuerySet[FollowUpCase]:
    """Follow-up cases of the schools where ``user`` holds the wellbeing permission."""
    return FollowUpCase.objects.visible_to(user).select_related("student", "school")


def read_case(user, case: FollowUpCase, reason: str | None) -> list[FollowUpEntry]:
    """A case's records (decrypted), after the audited read with its reason."""
    restricted.record_read(user, restricted.WELLBEING, case, reason, unit=case.school)
    return list(case.entries.select_related("by").order_by("on", "id"))


def cases_of_student(student: Student) -> list[FollowUpCase]:
    """The student's follow-ups for their archive page (already an audited read)."""
    return list(student.followups.order_by("-created_at", "-id"))


@dataclass(frozen=True)
class DueRow:
    """What a class teacher is told: this student of my class has a follow-up due."""

    key: str
    grade: int
    class_name: str
    due: dt.date


def due_for_class_teacher(user, *, today: dt.date | None = None) -> list[DueRow]:
    """Open follow-ups due within :data:`DUE_AHEAD` days (or overdue) for the students of
    the classes ``user`` looks after — only the fields of :class:`DueRow`."""
    from jiaoyan.people.queries import homeroom_classes

    classes = homeroom_classes(user)
    if not classes:
        return []
    today = today or timezone.localdate()
    q = Q()
    for school_id, grade, class_name in classes:
        q |= Q(school_id=school_id, student__grade=grade, student__class_name=class_name)
    rows = (
        FollowUpCase.objects.filter(q)
        .exclude(status=FollowUpCase.Status.CLOSED)
        .filter(next_due__lte=today + dt.timedelta(days=DUE_AHEAD))
        .order_by("next_due", "student__key")
        .values_list("student__key", "student__grade", "student__class_name", "next_due")
    )
    return [DueRow(*r) for r in rows]


def is_class_teacher(user) -> bool:
    from jiaoyan.people.queries import homeroom_classes

    return bool(homeroom_classes(user))


# --- aggregates ------------------------------------------------------------------------------

BY = {
    "school": _lazy("School"),
    "grade": _lazy("Grade"),
    "gender": _lazy("Gender"),
    "class": _lazy("Class"),
}
HIDDEN = "<10"


@dataclass
class AggregateTable:
    """A suppressed table: ``rows`` (label, cells, total) where a hidden figure is
    :data:`HIDDEN`; ``columns`` the level labels then invalid and not handed in."""

    by: str
    scale: str
    columns: list[str]
    rows: list[tuple[str, list, object]] = field(default_factory=list)
    totals: list = field(default_factory=list)
    total: object = 0

    def chart_series(self) -> dict[str, list]:
        """Per level column, the shown counts of each group (a hidden one is ``None``)."""
        n = len(self.columns) - 2
        return {
            self.columns[j]: [None if r[1][j] == HIDDEN else r[1][j] for r in self.rows]
            for j in range(n)
        }


def aggregate_schools(user, campaign: Campaign) -> list[OrgUnit]:
    """The campaign's schools within the viewer's scope (a principal: their own)."""
    return list(campaign.schools.filter(pk__in=units_in_scope(user).values("pk")).order_by("path"))


def aggregate(user, campaign: Campaign, by: str = "school", scale: str = "") -> AggregateTable:
    """Participation and the distribution of levels of ``scale`` (default: the campaign's
    first) by ``by``, over the schools of the campaign the viewer sees, every cell through
    the small-cell suppression (primary and complementary, row and column totals)."""
    from .services import scale_by_code

    if by not in BY:
        by = "school"
    codes = list(campaign.scales)
    scale = scale if scale in codes else (codes[0] if codes else "")
    band_rows = scale_by_code(scale).bands if scale else []
    bands = [b.key for b in band_rows]
    schools = aggregate_schools(user, campaign)
    names = {s.pk: s.name for s in schools}
    group_field = {
        "school": ("school_id",),
        "grade": ("student__grade",),
        "gender": ("student__gender",),
        "class": ("school_id", "student__grade", "student__class_name"),
    }[by]
    counts: Counter = Counter()
    groups: set = set()
    level_of = f"results__{scale}__level" if scale else "status"
    rows = (
        Participation.objects.filter(campaign=campaign, school__in=schools)
        .order_by()
        .values_list(*group_field, "status", level_of)
        .annotate(n=Count("id"))
    )
    for row in rows:  # one row per group, status and level: counted in the database
        key, status, level, n = row[: len(group_field)], row[-3], row[-2], row[-1]
        groups.add(key)
        if status == Participation.Status.FINISHED and level in bands:
            counts[(key, level)] += n
        elif status == Participation.Status.INVALID:
            counts[(key, "invalid")] += n
        else:
            counts[(key, "pending")] += n
    ordered = sorted(groups, key=lambda k: _sort_key(by, k, names))
    keys = [*bands, "invalid", "pending"]
    grid = [[counts[(g, k)] for k in keys] for g in ordered]
    hidden = restricted.suppress_grid_cells(grid)
    labels = [*(b.label for b in band_rows), _("Invalid"), _("Not handed in")]
    table = AggregateTable(by=by, scale=scale, columns=labels)

    def shown(key, n):
        return HIDDEN if key in hidden else n

    for i, g in enumerate(ordered):
        cells = [shown((i, j), n) for j, n in enumerate(grid[i])]
        table.rows.append((_group_label(by, g, names), cells, shown(("row", i), sum(grid[i]))))
    table.totals = [shown(("column", j), sum(r[j] for r in grid)) for j in range(len(keys))]
    table.total = shown("total", sum(map(sum, grid)))
    return table


def _sort_key(by: str, key: tuple, names: dict) -> tuple:
    if by == "school":
        return (names.get(key[0], ""),)
    if by == "class":
        return (names.get(key[0], ""), key[1] or 0, key[2] or "")
    return tuple("" if k is None else k for k in key)


def _group_label(by: str, key: tuple, names: dict) -> str:
    if by == "school":
        return names.get(key[0], "")
    if by == "grade":
        return _("Grade %(grade)s") % {"grade": key[0]}
    if by == "gender":
        return str(Student.Gender(key[0]).label) if key[0] in Student.Gender.values else "—"
    return _("%(school)s, grade %(grade)s %(class)s") % {
        "school": names.get(key[0], ""),
        "grade": key[1],
        "class": key[2],
    }


def may_see_aggregates(user, campaign: Campaign) -> bool:
    """Principals, admins, researchers and counsellors who see the campaign (teachers and
    class teachers see no aggregate)."""
    from jiaoyan.core.roles import ADMINS, Role
    from jiaoyan.core.scope import has_role

    return user.is_superuser or has_role(
        user, *ADMINS, Role.PRINCIPAL, Role.RESEARCHER, Role.COUNSELLOR
    )
