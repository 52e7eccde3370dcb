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
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import restricted, stamps
from jiaoyan.core.scope import units_in_scope
from jiaoyan.orgs.models import OrgUnit

from .models import (
    FIGURES_STUDENTS,
    Campaign,
    FollowUpCase,
    FollowUpEntry,
    Participation,
    Student,
    figures_key,
)

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


@dataclass
class KeptFigures:
    """The counts of a campaign over the viewer's schools (in the order of the tree) and
    what of them is hidden (see :func:`_counted`); ``names`` the schools' names by id."""

    scale: str
    bands: list
    schools: list[OrgUnit]
    names: dict[int, str]
    counts: dict[tuple, list[int]]
    masks: dict[tuple, int]

    def hides(self, group: tuple, column: int | str) -> bool:
        """Whether the figure of ``group`` (``("school", (id,))`` …, ``("total",)``) in
        ``column`` (an index, or ``"row"`` for its total) is hidden."""
        bit = len(self.bands) + 2 if column == "row" else column
        return bool(self.masks.get(group, 0) >> bit & 1)


def kept_figures(user, campaign: Campaign, scale: str = "") -> KeptFigures:
    """The counts and suppression every figure of a campaign is read from (the figures
    page, its API and the campaign's summary), so no two pages show between them what
    one hides. Kept under the versions of the participations and the students
    (core.stamps): counting a county's campaign and suppressing its 2,000-odd classes
    together costs a quarter of a second, and the figures change only when a
    questionnaire does."""
    from .services import scale_by_code

    codes = list(campaign.scales)
    scale = scale if scale in codes else (codes[0] if codes else "")
    band_rows = scale_by_code(scale).bands if scale else []
    bands = [b.key for b in band_rows]
    schools = aggregate_schools(user, campaign)
    names = {s.pk: s.name for s in schools}
    counts, masks = stamps.kept(
        "wellbeing.figures",
        [campaign.pk, scale, sorted(names)],
        [figures_key(campaign.pk), FIGURES_STUDENTS],
        lambda: _counted(campaign, list(names), scale, bands),
    )
    return KeptFigures(scale, band_rows, schools, names, counts, masks)


def aggregate(user, campaign: Campaign, by: str = "school", scale: str = "") -> AggregateTable:
    """Participation and the distribution of levels of ``scale`` (default: the campaign's
    first) by ``by``, over the schools of the campaign the viewer sees, every cell through
    the small-cell suppression (primary and complementary, row and column totals).

    The four tables (by school, grade, gender, class) are suppressed together
    (:func:`_joint_hidden`): a class is a part of its school's and its grade's figure, so
    one table's shown figure minus another's shown parts never gives a hidden cell back."""
    if by not in BY:
        by = "school"
    kept = kept_figures(user, campaign, scale)
    names, counts = kept.names, kept.counts
    width = len(kept.bands) + 2
    ordered = sorted((g for d, g in counts if d == by), key=lambda k: _sort_key(by, k, names))
    labels = [*(b.label for b in kept.bands), _("Invalid"), _("Not handed in")]
    table = AggregateTable(by=by, scale=kept.scale, columns=labels)

    def shown(group, column, n):
        return HIDDEN if kept.hides(group, column) else n

    for g in ordered:
        grid = counts[(by, g)]
        cells = [shown((by, g), j, n) for j, n in enumerate(grid)]
        table.rows.append((_group_label(by, g, names), cells, shown((by, g), "row", sum(grid))))
    totals = [sum(counts[(d, g)][j] for d, g in counts if d == "school") for j in range(width)]
    table.totals = [shown(("total",), j, n) for j, n in enumerate(totals)]
    table.total = shown(("total",), "row", sum(totals))
    return table


def _counted(
    campaign: Campaign, school_ids: list[int], scale: str, bands: list[str]
) -> tuple[dict[tuple, list[int]], dict[tuple, int]]:
    """The campaign's questionnaires counted per school, grade, gender and class (one
    query, counted in the database) — ``counts[(dimension, group)][column]``, the columns
    the levels of ``scale`` then invalid and not handed in — and what of it is hidden."""
    width = len(bands) + 2
    level_of = f"results__{scale}__level" if scale else "status"
    rows = (
        Participation.objects.filter(campaign=campaign, school__in=school_ids)
        .order_by()
        .values_list(
            "school_id",
            "student__grade",
            "student__class_name",
            "student__gender",
            "status",
            level_of,
        )
        .annotate(n=Count("id"))
    )
    column = {b: j for j, b in enumerate(bands)}
    counts: dict[tuple, list[int]] = {}
    for school, grade, cls, gender, status, level, n in rows:
        if status == Participation.Status.FINISHED and level in column:
            j = column[level]
        elif status == Participation.Status.INVALID:
            j = width - 2
        else:
            j = width - 1
        for group in (
            ("school", (school,)),
            ("grade", (grade,)),
            ("gender", (gender,)),
            ("class", (school, grade, cls)),
        ):
            grid = counts.get(group)
            if grid is None:
                grid = counts[group] = [0] * width
            grid[j] += n
    # What is hidden, as a bit mask per group (bit j: column j; bit ``width``: the
    # group's total): kept in the cache, read back on every request — a few thousand
    # integers unpickle in a millisecond, sixteen thousand key tuples did not.
    groups = {g: g for g in counts}
    masks: dict[tuple, int] = {}
    for key in _joint_hidden(counts, width):
        if key[0] == "total":
            group, column = ("total",), key[1]
        else:
            group, column = groups[(key[0], key[1])], key[2]
        masks[group] = masks.get(group, 0) | 1 << (width if column == "row" else column)
    return counts, masks


def _joint_hidden(counts: dict[tuple, list[int]], width: int) -> dict:
    """One suppression of every figure the four tables show: the cells of each school,
    grade, gender and class (``(dimension, group, column)``, ``…, "row"`` for a group's
    total) and the campaign's totals (``("total", column)``, ``("total", "row")``). The
    margins: each group's row; each school and each grade adds up its classes (per column
    and in total); the schools, the grades and the genders each add up to the totals."""
    cells, margins = [], []
    for (dim, group), grid in counts.items():
        cells += [restricted.Cell((dim, group, j), n) for j, n in enumerate(grid)]
        cells.append(restricted.Cell((dim, group, "row"), sum(grid)))
        margins.append(
            restricted.Margin((dim, group, "row"), [(dim, group, j) for j in range(width)])
        )
    columns = [*range(width), "row"]
    totals = {j: sum(g[j] for (d, _g), g in counts.items() if d == "school") for j in range(width)}
    cells += [restricted.Cell(("total", j), n) for j, n in totals.items()]
    cells.append(restricted.Cell(("total", "row"), sum(totals.values())))
    margins.append(restricted.Margin(("total", "row"), [("total", j) for j in range(width)]))
    for dim in ("school", "grade", "gender"):
        groups = [g for d, g in counts if d == dim]
        for j in columns:
            margins.append(restricted.Margin(("total", j), [(dim, g, j) for g in groups]))
    classes = [g for d, g in counts if d == "class"]
    for dim, part in (("school", 0), ("grade", 1)):
        parents: dict = defaultdict(list)
        for k in classes:
            parents[(k[part],)].append(k)
        for parent, members in parents.items():
            for j in columns:
                margins.append(
                    restricted.Margin((dim, parent, j), [("class", k, j) for k in members])
                )
    return restricted.suppress_cells(cells, margins)


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
