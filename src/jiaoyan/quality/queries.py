"""Read-side functions of the quality module. Each starts from ``visible_to(user)`` and
reads only stored results; small groups are suppressed for users without the
student-data permission (:class:`Figures`)."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from django.db.models import Q, QuerySet

from jiaoyan.core import restricted
from jiaoyan.core.paths import is_under
from jiaoyan.core.scope import scope_paths
from jiaoyan.orgs.models import OrgUnit

from . import stats
from .indicators import BY_KEY, INDICATORS, indicator_value
from .models import (
    SMALL_GROUP,
    BalanceInput,
    Exam,
    ExamSubject,
    GroupStat,
    ItemStat,
    Level,
    PaperStat,
    ValueAddedLink,
    ValueAddedStat,
)

FIGURES = [
    "mean",
    "sd",
    "max_score",
    "min_score",
    "median",
    "q1",
    "q3",
    "excellent_rate",
    "good_rate",
    "pass_rate",
    "low_rate",
    "all_pass_rate",
    "z",
    "t",
    "rank",
    "peers",
    "rank_in_county",
    "percentile",
    "ratio_county",
    "ratio_city",
    "ratio_school",
    "composite",
]


class Privacy:
    """Who may see small groups: with the student-data permission on a subtree
    (:mod:`jiaoyan.core.restricted`), its groups are shown whatever their size; otherwise
    groups of fewer than 10 students are suppressed, and so are the further groups that
    would give them away (complementary suppression, see :func:`suppress`)."""

    def __init__(self, user) -> None:
        self.superuser = bool(getattr(user, "is_superuser", False))
        self.paths = restricted.permitted_paths(user, restricted.STUDENT_DATA)

    def may_see_small(self, path: str) -> bool:
        return self.superuser or any(is_under(path, p) for p in self.paths)

    def suppressed(self, n: int, path: str) -> bool:
        """Primary suppression of one group (complementary needs its siblings)."""
        return n < SMALL_GROUP and not self.may_see_small(path)


def _f(x, d: int) -> str:
    return "—" if x is None else f"{x:.{d}f}"


def _p(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def display_cells(r) -> list[str]:
    """The figures of a stat row as shown in the tables (formatted once, in Python: a
    city's table has thousands of cells)."""
    return [
        _f(r.mean, 1),
        _f(r.sd, 1),
        _f(r.max_score, 1),
        _f(r.min_score, 1),
        _f(r.median, 1),
        _p(r.excellent_rate),
        _p(r.good_rate),
        _p(r.pass_rate),
        _p(r.low_rate),
        _p(r.all_pass_rate),
        _f(r.ratio_county, 3),
        _f(r.ratio_city, 3),
        _f(r.z, 2),
        _f(r.t, 1),
        f"{r.rank}/{r.peers}" if r.rank else "—",
        _f(r.composite, 1),
    ]


def suppress(rows: list, privacy: Privacy, fields=FIGURES, count: str = "n") -> list:
    """Blank the figures of the groups the viewer may not see (in place) and mark them
    ``suppressed`` (``suppression`` says why: ``primary``, fewer than 10 students, or
    ``complementary``, hidden so that a small group cannot be worked out by subtracting
    the shown groups from their shown total). Stored figures are decided over the group's
    siblings in the exam (:func:`stat_suppression`), so every page, export and API answer
    hides the same groups."""
    rows = list(rows)
    if rows and all(isinstance(r, GroupStat) for r in rows):
        status = stat_suppression(rows, privacy)
    else:
        status = {
            id(r): restricted.PRIMARY for r in rows if privacy.suppressed(getattr(r, count), r.path)
        }
    for r in rows:
        r.suppression = status.get(r.pk if isinstance(r, GroupStat) else id(r))
        r.suppressed = r.suppression is not None
        if r.suppressed:
            for f in fields:
                setattr(r, f, None)
            if hasattr(r, "bands"):
                r.bands = []
        if isinstance(r, GroupStat):
            r.cells = display_cells(r)
    return rows


_STAT_TREE = ("pk", "level", "org_unit_id", "county_id", "class_name", "n", "path")


def stat_suppression(rows: list[GroupStat], privacy: Privacy) -> dict[int, str]:
    """Which stored groups the viewer may not see, by id: primary and complementary
    suppression (:func:`jiaoyan.core.restricted.suppress_cells`) over the tree of each
    (exam, subject) the rows belong to — the whole exam above its counties, each county
    above its schools, each school above its classes. Reads the counties, the schools of
    the rows' counties and the classes of the rows' schools, in one query."""
    wanted: dict[tuple, dict[str, set]] = {}
    for r in rows:
        need = wanted.setdefault((r.exam_id, r.subject_id), {"counties": set(), "schools": set()})
        if r.level in (Level.SCHOOL, Level.CLASS) and r.county_id:
            need["counties"].add(r.county_id)
        if r.level == Level.CLASS:
            need["schools"].add(r.org_unit_id)
    if all(r.level == Level.ALL for r in rows):
        return {r.pk: restricted.PRIMARY for r in rows if privacy.suppressed(r.n, r.path)}
    q = Q(pk__in=[])
    for (exam_id, subject_id), need in wanted.items():
        tree = Q(level__in=[Level.ALL, Level.COUNTY])
        if need["counties"]:
            tree |= Q(level=Level.SCHOOL, county_id__in=sorted(need["counties"]))
        if need["schools"]:
            tree |= Q(level=Level.CLASS, org_unit_id__in=sorted(need["schools"]))
        subject = Q(subject_id=subject_id) if subject_id else Q(subject__isnull=True)
        q |= Q(exam_id=exam_id) & subject & tree
    found: dict[tuple, list[tuple]] = {}
    for exam_id, subject_id, *rest in (
        GroupStat.objects.filter(q)
        .order_by("path", "class_name")
        .values_list("exam_id", "subject_id", *_STAT_TREE)
    ):
        found.setdefault((exam_id, subject_id), []).append(tuple(rest))
    status: dict[int, str] = {}
    seen: set[int] = set()
    for tree_rows in found.values():
        seen.update(t[0] for t in tree_rows)
        status.update(_tree_suppression(tree_rows, privacy))
    for r in rows:  # a row outside the tree read (none in practice): its own size decides
        if r.pk not in seen and privacy.suppressed(r.n, r.path):
            status[r.pk] = restricted.PRIMARY
    return status


def _tree_suppression(tree_rows: list[tuple], privacy: Privacy) -> dict[int, str]:
    cells = []
    whole = None
    counties: dict[int, int] = {}  # county unit id -> row id
    schools: dict[int, int] = {}  # school unit id -> row id
    county_schools: dict[int, list[int]] = {}
    school_classes: dict[int, list[int]] = {}
    for pk, level, unit_id, county_id, _class, n, path in tree_rows:
        cells.append(restricted.Cell(pk, n, exempt=privacy.may_see_small(path)))
        if level == Level.ALL:
            whole = pk
        elif level == Level.COUNTY:
            counties[unit_id] = pk
        elif level == Level.SCHOOL:
            schools[unit_id] = pk
            county_schools.setdefault(county_id, []).append(pk)
        else:
            school_classes.setdefault(unit_id, []).append(pk)
    margins = []
    if whole is not None and counties:
        margins.append(restricted.Margin(whole, list(counties.values())))
    for county_id, members in county_schools.items():
        margins.append(restricted.Margin(counties.get(county_id), members))
    for school_id, members in school_classes.items():
        margins.append(restricted.Margin(schools.get(school_id), members))
    return restricted.suppress_cells(cells, margins, threshold=SMALL_GROUP)


def visible_exams(user) -> QuerySet[Exam]:
    return Exam.objects.visible_to(user).select_related("org_unit", "stage")


def subjects_of(exam: Exam) -> list[ExamSubject]:
    return list(exam.subjects.order_by("order", "id"))


def subject_by_key(exam: Exam, key: str | None) -> ExamSubject | None:
    """``total`` (or empty) is the total; else a subject id or name. Raises LookupError."""
    if key in (None, "", "total", "总分"):
        return None
    qs = exam.subjects.all()
    s = qs.filter(pk=int(key)).first() if str(key).isdigit() else None
    s = s or qs.filter(name=key).first()
    if s is None:
        raise LookupError(key)
    return s


def stat_rows(
    user, exam: Exam, level: str, subject: ExamSubject | None, *, within: str | None = None
) -> QuerySet[GroupStat]:
    qs = GroupStat.objects.visible_to(user).filter(exam=exam, level=level)
    qs = qs.filter(subject=subject) if subject else qs.filter(subject__isnull=True)
    if within:
        qs = qs.filter(path__under=within)
    return qs.select_related("org_unit", "county")


def ranked(qs: QuerySet[GroupStat]) -> QuerySet[GroupStat]:
    return qs.order_by("rank", "path", "class_name")


def scope_rows(user, exam: Exam, subject: ExamSubject | str | None = "all") -> dict:
    """The rows that sum up the user's scope, by subject id (None: the total): the whole
    exam when the user's scope contains the exam's region, else the county or school
    rows of the units their roles are bound to (one query)."""
    paths = scope_paths(user)
    region = exam.org_unit.path
    qs = GroupStat.objects.visible_to(user).filter(exam=exam)
    if user.is_superuser or any(region.startswith(p) for p in paths):
        qs = qs.filter(level=Level.ALL)
    else:
        qs = qs.filter(level__in=[Level.COUNTY, Level.SCHOOL], path__in=paths)
    if subject != "all":
        qs = qs.filter(subject=subject) if subject else qs.filter(subject__isnull=True)
    found: dict = {}
    for r in qs.select_related("org_unit"):
        found.setdefault(r.subject_id, []).append(r)
    return {k: v[0] for k, v in found.items() if len(v) == 1}


def scope_row(user, exam: Exam, subject: ExamSubject | None) -> GroupStat | None:
    return scope_rows(user, exam, subject).get(subject.pk if subject else None)


# --- the school report --------------------------------------------------------------------


@dataclass
class SchoolReport:
    exam: Exam
    school: OrgUnit
    subjects: list[ExamSubject]
    rows: list[GroupStat]  # one per subject, then the total
    refs_all: dict[int | None, GroupStat]
    refs_county: dict[int | None, GroupStat]
    classes: list[GroupStat]  # classes on the chosen subject
    class_subject: ExamSubject | None
    strongest: GroupStat | None
    weakest: GroupStat | None
    trend: list[dict]


def school_report(user, exam: Exam, school: OrgUnit, class_subject: ExamSubject | None):
    rows = list(
        GroupStat.objects.visible_to(user)
        .filter(exam=exam, level=Level.SCHOOL, org_unit=school)
        .select_related("subject", "county")
    )
    if not rows:
        return None
    privacy = Privacy(user)
    subjects = subjects_of(exam)
    order = {s.pk: i for i, s in enumerate(subjects)}
    rows.sort(key=lambda r: order.get(r.subject_id, 999))
    county_id = rows[0].county_id
    refs = (
        GroupStat.objects.visible_to(user)
        .filter(exam=exam)
        .filter(Q(level=Level.ALL) | Q(level=Level.COUNTY, org_unit_id=county_id))
    )
    refs = list(refs)
    refs_all, refs_county = {}, {}
    for r in refs:
        (refs_all if r.level == Level.ALL else refs_county)[r.subject_id] = r
    classes = list(
        GroupStat.objects.visible_to(user)
        .filter(exam=exam, level=Level.CLASS, org_unit=school)
        .filter(Q(subject=class_subject) if class_subject else Q(subject__isnull=True))
        .order_by("rank", "class_name")
    )
    suppress([*rows, *refs, *classes], privacy)  # decided together: one read of the tree
    shown = [c for c in classes if c.mean is not None]
    strongest = shown[0] if len(shown) > 1 else None
    weakest = shown[-1] if len(shown) > 1 else None
    return SchoolReport(
        exam=exam,
        school=school,
        subjects=subjects,
        rows=rows,
        refs_all=refs_all,
        refs_county=refs_county,
        classes=classes,
        class_subject=class_subject,
        strongest=strongest,
        weakest=weakest,
        trend=school_trend(user, school, privacy, exam.stage_id),
    )


def school_trend(
    user, school: OrgUnit, privacy: Privacy, stage_id: int, limit: int = 12
) -> list[dict]:
    """The school's total across the exams of one stage it took (oldest first): T score,
    rank, mean (a nine-year school's primary and junior exams are different cohorts)."""
    rows = list(
        GroupStat.objects.visible_to(user)
        .filter(level=Level.SCHOOL, org_unit=school, subject__isnull=True)
        .filter(exam__in=Exam.objects.visible_to(user), exam__analysis_status=Exam.Status.READY)
        .filter(exam__stage_id=stage_id)
        .select_related("exam")
        .order_by("-exam__date", "-exam_id")[:limit]
    )
    suppress(rows, privacy)
    return [
        {"exam": r.exam, "t": r.t, "rank": r.rank, "peers": r.peers, "mean": r.mean}
        for r in reversed(rows)
    ]


# --- items ----------------------------------------------------------------------------------


ITEM_FIGURES = ("mean", "difficulty", "discrimination", "item_total_r")
PAPER_FIGURES = ("mean", "sd", "alpha", "kr20")


def item_rows(user, exam: Exam, subject: ExamSubject) -> tuple[PaperStat | None, list[ItemStat]]:
    """One subject's paper and item figures (whole exam) as ``user`` may see them: a
    paper or an item answered by fewer than 10 students has its figures blanked and is
    marked ``suppressed`` without the permission on the exam's region (primary
    suppression through :func:`jiaoyan.core.restricted.suppress_cells`; the items are
    not parts of a total, so no complement is needed)."""
    paper = PaperStat.objects.filter(exam=exam, subject=subject).first()
    items = list(
        ItemStat.objects.filter(exam=exam, subject=subject)
        .select_related("item")
        .order_by("item__order")
    )
    exempt = Privacy(user).may_see_small(exam.org_unit.path)
    cells = [restricted.Cell(("item", i.pk), i.n, exempt=exempt) for i in items]
    if paper is not None:
        cells.append(restricted.Cell(("paper", paper.pk), paper.n, exempt=exempt))
    hidden = restricted.suppress_cells(cells, threshold=SMALL_GROUP)
    for obj, key, figures in [
        *((i, ("item", i.pk), ITEM_FIGURES) for i in items),
        *([(paper, ("paper", paper.pk), PAPER_FIGURES)] if paper is not None else []),
    ]:
        obj.suppressed = key in hidden
        if obj.suppressed:
            for f in figures:
                setattr(obj, f, None)
    return paper, items


# --- balance --------------------------------------------------------------------------------


def exam_balance(
    user,
    exam: Exam,
    subject: ExamSubject | None,
    indicator: str = "mean",
    within: str | None = None,
) -> dict:
    """CV across the visible schools of the exam (optionally one subtree) of the school
    mean or pass rate, weighted by the students tested (see :func:`stats.weighted_cv`)."""
    rows = [
        (r.n, r.mean, r.pass_rate)
        for r in _shown(user, stat_rows(user, exam, Level.SCHOOL, subject, within=within))
    ]
    weights = np.array([r[0] for r in rows], dtype=float)
    values = (
        np.array([(r[1] if indicator == "mean" else r[2]) for r in rows], dtype=float)
        if rows
        else np.zeros(0)
    )
    b = stats.weighted_cv(weights, values)
    threshold = stats.balance_threshold(exam.stage.code)
    return _balance_dict(b, threshold)


def exam_balance_table(user, exam: Exam, subjects: list[ExamSubject]) -> list[dict]:
    """CV of the school mean and pass rate per subject (and the total), over every school
    the user sees and over each county among them — from one query of stored rows."""
    rows = [
        (r.subject_id, r.county_id, r.n, r.mean, r.pass_rate)
        for r in _shown(
            user, GroupStat.objects.visible_to(user).filter(exam=exam, level=Level.SCHOOL)
        )
    ]
    counties = dict(
        GroupStat.objects.visible_to(user)
        .filter(exam=exam, level=Level.COUNTY, subject__isnull=True)
        .order_by("path")
        .values_list("org_unit_id", "org_unit__name")
    )
    threshold = stats.balance_threshold(exam.stage.code)
    areas: list[tuple[int | None, str | None]] = [(None, None)]
    if len(counties) > 1:
        areas += list(counties.items())
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r[0], None), []).append(r)
        groups.setdefault((r[0], r[1]), []).append(r)
    table = []
    for county_id, county_name in areas:
        for s in [*subjects, None]:
            mine = groups.get((s.pk if s else None, county_id), [])
            n = np.array([r[2] for r in mine], dtype=float)
            mean = np.array([r[3] for r in mine], dtype=float)  # None becomes NaN
            rate = np.array([r[4] for r in mine], dtype=float)
            table.append(
                {
                    "county": county_name,
                    "subject": s,
                    "mean": _balance_dict(stats.weighted_cv(n, mean), threshold),
                    "pass_rate": _balance_dict(stats.weighted_cv(n, rate), threshold),
                }
            )
    return table


_SHOWN_FIELDS = (
    "pk",
    "exam_id",
    "subject_id",
    "level",
    "org_unit_id",
    "county_id",
    "class_name",
    "n",
    "mean",
    "pass_rate",
    "path",
)
ShownStat = namedtuple("ShownStat", _SHOWN_FIELDS)
"""A stored group's figures as a balance reads them: a tuple, not a model (a city's
school rows are thousands per exam)."""


def _shown(user, qs: QuerySet[GroupStat]) -> list[ShownStat]:
    """The school rows of ``qs`` whose figures the viewer may see: a balance figure over
    one school, or over all but a hidden one, would give a hidden school's mean away."""
    rows = [ShownStat(*r) for r in qs.order_by().values_list(*_SHOWN_FIELDS)]
    hidden = stat_suppression(rows, Privacy(user)) if rows else {}
    return [r for r in rows if r.pk not in hidden]


def _balance_dict(b: stats.Balance, threshold: float | None) -> dict:
    return {
        "cv": b.cv,
        "weighted_mean": b.weighted_mean,
        "sd": b.sd,
        "schools": b.schools,
        "threshold": threshold,
        "met": (b.cv <= threshold) if (b.cv is not None and threshold is not None) else None,
    }


def balance_inputs(user, stage: str, within: str | None = None) -> QuerySet[BalanceInput]:
    qs = BalanceInput.objects.visible_to(user).filter(
        school__school__stages__code=stage, school__is_active=True
    )
    if within:
        qs = qs.filter(school__path__under=within)
    return qs.select_related("school").distinct()


def resource_balance(user, indicator: str, stage: str, within: str | None = None) -> dict:
    """CV of one resource indicator across the visible schools of a stage."""
    ind = BY_KEY[indicator]
    rows = list(balance_inputs(user, stage, within).values_list("students", "values"))
    students = np.array([r[0] for r in rows], dtype=float)
    values = np.array(
        [
            v if (v := indicator_value(ind, r[1].get(ind.key), r[0])) is not None else np.nan
            for r in rows
        ],
        dtype=float,
    )
    return _balance_dict(stats.weighted_cv(students, values), stats.balance_threshold(stage))


def resource_balance_all(user, stage: str, within: str | None = None) -> list[dict]:
    """Every indicator's CV from one read of the inputs."""
    rows = list(balance_inputs(user, stage, within).values_list("students", "values"))
    students = np.array([r[0] for r in rows], dtype=float)
    threshold = stats.balance_threshold(stage)
    out = []
    for ind in INDICATORS:
        values = np.array(
            [
                v if (v := indicator_value(ind, r[1].get(ind.key), r[0])) is not None else np.nan
                for r in rows
            ],
            dtype=float,
        )
        out.append(
            {"indicator": ind, **_balance_dict(stats.weighted_cv(students, values), threshold)}
        )
    return out


def counties_in_view(user, exam: Exam) -> list[GroupStat]:
    return list(stat_rows(user, exam, Level.COUNTY, None).order_by("rank", "path"))


# --- value-added ------------------------------------------------------------------------


def value_added_rows(
    user, link: ValueAddedLink, level: str, school: OrgUnit | None = None
) -> list[ValueAddedStat]:
    qs = ValueAddedStat.objects.visible_to(user).filter(link=link, level=level)
    if school is not None:
        qs = qs.filter(org_unit=school)
    rows = list(qs.select_related("org_unit").order_by("-mean_residual", "path", "class_name"))
    status = value_added_suppression(link, rows, Privacy(user))
    for r in rows:
        r.suppression = status.get(r.pk)
        r.suppressed = r.suppression is not None
        r.few = r.n_linked < 30 or (r.n_exit and r.n_linked / r.n_exit < 0.8)
        if r.suppressed:
            r.mean_entry = r.mean_exit = r.mean_z_gain = r.mean_residual = None
    rows.sort(key=lambda r: (r.mean_residual is None, -(r.mean_residual or 0)))
    return rows


def hide_link_fit(user, link: ValueAddedLink) -> ValueAddedLink:
    """Blank the pair's regression (in place) when it rests on fewer than 10 linked
    students and ``user`` lacks the permission on the exit exam's region: a line through
    a handful of points gives their scores away."""
    if link.n_linked < SMALL_GROUP and not Privacy(user).may_see_small(
        link.exit_exam.org_unit.path
    ):
        link.slope = link.intercept = None
    return link


def value_added_suppression(
    link: ValueAddedLink, rows: list[ValueAddedStat], privacy: Privacy
) -> dict[int, str]:
    """Primary and complementary suppression of value-added groups (on the students
    linked): the whole cohort above its counties, each county above its schools (found by
    path), each school above its classes — read in one query."""
    if not rows:
        return {}
    schools = sorted({r.org_unit_id for r in rows if r.level == Level.CLASS})
    tree = list(
        ValueAddedStat.objects.filter(link=link)
        .filter(
            Q(level__in=[Level.ALL, Level.COUNTY, Level.SCHOOL])
            | Q(level=Level.CLASS, org_unit_id__in=schools)
        )
        .order_by("path", "class_name")
        .values_list("pk", "level", "org_unit_id", "n_linked", "path")
    )
    cells = [
        restricted.Cell(pk, n, exempt=privacy.may_see_small(path)) for pk, _l, _u, n, path in tree
    ]
    whole = next((pk for pk, lv, _u, _n, _p in tree if lv == Level.ALL), None)
    counties = [(path, pk) for pk, lv, _u, _n, path in tree if lv == Level.COUNTY]
    by_school = {u: pk for pk, lv, u, _n, _p in tree if lv == Level.SCHOOL}
    county_members: dict[int, list[int]] = {}
    class_members: dict[int, list[int]] = {}
    for pk, lv, unit_id, _n, path in tree:
        if lv == Level.SCHOOL:
            inside = [(len(cp), cpk) for cp, cpk in counties if is_under(path, cp)]
            if inside:
                county_members.setdefault(max(inside)[1], []).append(pk)
        elif lv == Level.CLASS:
            class_members.setdefault(unit_id, []).append(pk)
    margins = []
    if whole is not None and counties:
        margins.append(restricted.Margin(whole, [pk for _p, pk in counties]))
    margins += [restricted.Margin(c, m) for c, m in county_members.items()]
    margins += [restricted.Margin(by_school.get(s), m) for s, m in class_members.items()]
    status = restricted.suppress_cells(cells, margins, threshold=SMALL_GROUP)
    seen = {t[0] for t in tree}
    for r in rows:
        if r.pk not in seen and privacy.suppressed(r.n_linked, r.path):
            status[r.pk] = restricted.PRIMARY
    return status


# --- import jobs ------------------------------------------------------------------------

EXAM_IMPORT_KINDS = ("scores", "item_scores")


def import_jobs(user, exam: Exam, limit: int = 5) -> list:
    """The latest score and item-score import jobs of ``exam`` that ``user`` sees (their own,
    and every one when they are an admin over the exam's owner)."""
    from jiaoyan.core.models import ImportJob

    return list(
        ImportJob.objects.visible_to(user)
        .filter(kind__in=EXAM_IMPORT_KINDS, params__exam=exam.pk)
        .select_related("job__created_by__person")[:limit]
    )


def student_school(user, school_id: object) -> OrgUnit:
    """The school whose student-level rows ``user`` asks for (the pages' ``?school=``, the
    API's ``school``), with one answer for every school they may not read, so the answer
    never tells whether an id is a school, or one in their scope:

    - no student-data permission anywhere: 403 with the permission's message, whatever
      the id names;
    - otherwise 404, the same for an id that names nothing, a school beyond their scope
      and one in their scope that their permission does not cover.
    """
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.utils.translation import gettext as _

    if not (
        getattr(user, "is_superuser", False)
        or restricted.permitted_paths(user, restricted.STUDENT_DATA)
    ):
        raise PermissionDenied(
            _("This needs the %(kind)s permission.")
            % {"kind": restricted.kind_of(restricted.STUDENT_DATA).label}
        )
    pk = school_id if isinstance(school_id, int) and 0 < school_id < 2**63 else None
    unit = (
        OrgUnit.objects.visible_to(user).filter(kind=OrgUnit.Kind.SCHOOL, pk=pk).first()
        if pk is not None
        else None
    )
    if unit is None or not restricted.has_permission(user, restricted.STUDENT_DATA, unit):
        raise Http404(_("The requested object does not exist."))
    return unit
