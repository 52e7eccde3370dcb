"""Read-side functions of lesson observation. Each starts from ``visible_to(user)``."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.activities.queries import visible_activities
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import (
    beyond_scope_q,
    granted_ids,
    has_role,
    is_shared_unit,
    scope_paths,
    shared_units,
    spec_for,
    units_where,
    user_scopes,
)
from jiaoyan.orgs.models import OrgUnit, Subject
from jiaoyan.people.models import Person, RoleAssignment

from .models import (
    BUCKET_LABELS,
    LESSON_ACTIVITY_KINDS,
    LIAISON,
    OBSERVERS,
    ComparisonRound,
    DimensionStat,
    LiaisonAssignment,
    Observation,
    Rubric,
    TeacherTermStat,
    UnitTermStat,
)
from .terms import Term

SUBMITTED = Observation.Status.SUBMITTED


# --- observations ------------------------------------------------------------------------


def draft_rule(user) -> Q:
    """A draft is seen by its observer only (the rest see submitted observations)."""
    return Q(status=SUBMITTED) | Q(observer_id=user.pk)


def observations_for(user) -> QuerySet[Observation]:
    return Observation.objects.visible_to(user).filter(draft_rule(user))


def for_list(qs: QuerySet[Observation]) -> QuerySet[Observation]:
    """What a row of the observation table shows, in one query."""
    return qs.select_related("org_unit", "teacher", "subject", "stage")


def for_detail(user) -> QuerySet[Observation]:
    """The base of one observation's page (``get_visible_or_404`` adds the scope)."""
    return Observation.objects.filter(draft_rule(user)).select_related(
        "org_unit",
        "teacher",
        "subject",
        "stage",
        "round",
        "activity",
        "observer_unit",
        "rubric_version__rubric",
    )


def visible_count(user) -> int:
    """``observations_for(user).count()`` without counting rows one by one.

    The scope kernel's own decomposition of what ``visible_to`` shows (``scope_q`` and
    ``beyond_scope_q``): the submitted observations under the user's scope (a sum of the
    pre-aggregated ``UnitTermStat``, kept current by every submission), the user's own
    drafts, and the submitted ones visible beyond the scope (grants, the liaison share,
    the ``visible`` hook) that lie outside it — a handful, found by index. Used for the
    unfiltered list, which at city scale would otherwise count 200,000 rows.
    """
    if user.is_superuser:
        return Observation.objects.filter(draft_rule(user)).count()
    spec = spec_for(Observation)
    paths = scope_paths(user, spec.roles_for("view"))
    units = [s.unit_id for s in user_scopes(user) if s.path in paths]
    submitted = (
        UnitTermStat.objects.filter(unit_id__in=units).aggregate(n=Sum("observations"))["n"] or 0
    )
    drafts = Observation.objects.filter(observer_id=user.pk, status=Observation.Status.DRAFT)
    beyond = beyond_scope_q(user, Observation)
    outside = 0
    if beyond is not None:
        in_scope = Q(pk__in=[])
        for p in paths:
            in_scope |= Q(unit_path__under_indexed=p)
        outside = (
            Observation.objects.filter(beyond, status=Observation.Status.SUBMITTED)
            .exclude(in_scope)
            .count()
        )
    return submitted + drafts.count() + outside


def can_add_somewhere(user) -> bool:
    return bool(user.is_superuser or has_role(user, *(OBSERVERS | {Role.TEACHER})))


def schools_for_new(user, q: str = "") -> QuerySet[OrgUnit]:
    """Schools where ``user`` may record observations: in scope, or liaison schools."""
    where = Q(pk__in_ids=units_where(user, "add", Observation).values("pk"))
    liaison = shared_units(user, LIAISON)
    if liaison is not None:
        where |= Q(pk__in_ids=liaison)
    qs = OrgUnit.objects.filter(where, kind=OrgUnit.Kind.SCHOOL, is_active=True)
    if q:
        qs = qs.filter(Q(name__icontains=q[:50]) | Q(code__startswith=q[:20]))
    return qs.order_by("path")


def school_staff(school: OrgUnit) -> QuerySet[Person]:
    """The staff of a school who can be observed (in post)."""
    return Person.objects.filter(org_unit=school, status=Person.Status.ACTIVE).order_by(
        "name", "staff_no"
    )


def teacher_option_data(school: OrgUnit) -> dict[str, dict[str, str]]:
    """For the teacher select: each person's first teaching subject and stage."""
    data: dict[str, dict[str, str]] = {}
    roles = (
        RoleAssignment.objects.filter(
            person__org_unit=school,
            is_active=True,
            role__in=[Role.TEACHER, Role.PRINCIPAL],
        )
        .prefetch_related("subjects", "stages")
        .order_by("role", "id")
    )
    for ra in roles:
        key = str(ra.person_id)
        if key in data:
            continue
        subject = next(iter(ra.subjects.all()), None)
        stage = next(iter(ra.stages.all()), None)
        data[key] = {
            **({"data-subject": str(subject.pk)} if subject else {}),
            **({"data-stage": str(stage.pk)} if stage else {}),
        }
    return data


def usable_rubrics(user, school: OrgUnit) -> QuerySet[Rubric]:
    """Active rubrics the user sees that the school may use (built-in or from above)."""
    return (
        Rubric.objects.visible_to(user)
        .filter(is_active=True, current__isnull=False)
        .filter(Q(org_unit__isnull=True) | Q(org_unit_id__in=school.ancestor_ids))
        .select_related("stage", "subject", "org_unit")
        .order_by("org_unit__path", "name")
    )


def rounds_for_new(user) -> QuerySet[ComparisonRound]:
    """The rounds offered when recording: the user's, of the last three months."""
    since = timezone.localdate() - dt.timedelta(days=92)
    return (
        ComparisonRound.objects.visible_to(user)
        .filter(date__gte=since)
        .select_related("subject", "stage")
        .order_by("-date", "-id")[:40]
    )


def organiser_units(user, model) -> QuerySet[OrgUnit]:
    """Units where ``user`` may add ``model`` rows (rounds, rubrics) as an organiser: the
    regions and offices in scope, and their own school."""
    own = {s.unit_id for s in user_scopes(user)}
    person = getattr(user, "person", None)
    if person is not None:
        own.add(person.org_unit_id)
    return (
        units_where(user, "add", model)
        .filter(is_active=True)
        .filter(~Q(kind=OrgUnit.Kind.SCHOOL) | Q(pk__in=own))
        .exclude(level=OrgUnit.Level.TOWN, kind=OrgUnit.Kind.REGION)
        .order_by("path")
    )


# --- research activities (the activities app) ----------------------------------------------

ACTIVITY_WINDOW = 180  # days back an activity is offered when recording


def activities_for_observing(
    user,
    school: OrgUnit,
    *,
    on: dt.date | None = None,
    kinds=LESSON_ACTIVITY_KINDS,
    limit: int = 60,
) -> list[Activity]:
    """The activities offered when linking an observation at ``school``: those ``user``
    sees, of a kind in which lessons are observed, not cancelled, of the last months up
    to today (or taking place on the day ``on``), organised by the school or a unit above
    it (a region's bureau and institute count as the region) or to which the user is
    invited; the most recent first."""
    tz = timezone.get_current_timezone()
    if on is not None:
        since = dt.datetime.combine(on, dt.time.min, tz)
        until = since + dt.timedelta(days=1)
    else:
        today = timezone.localdate()
        since = dt.datetime.combine(today - dt.timedelta(days=ACTIVITY_WINDOW), dt.time.min, tz)
        until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tz)
    above = school.ancestor_ids
    relevant = (
        Q(org_unit_id__in=above)
        | Q(
            org_unit__parent_id__in=above,
            org_unit__kind__in=[OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE],
        )
        | Q(pk__in=granted_ids(user, Activity))
    )
    return list(
        visible_activities(user)
        .filter(relevant, kind__in=kinds, starts_at__lt=until)
        .filter(Q(ends_at__gte=since) if on is not None else Q(starts_at__gte=since))
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("org_unit")
        .order_by("-starts_at", "-id")[:limit]
    )


def round_activities(user, *, limit: int = 60) -> list[Activity]:
    """同课异构 activities ``user`` sees that a round may be made for: not cancelled, from
    the last months to the next two, the nearest first."""
    now = timezone.now()
    return list(
        visible_activities(user)
        .filter(
            kind=Activity.Kind.SAME_LESSON,
            starts_at__gte=now - dt.timedelta(days=ACTIVITY_WINDOW),
            starts_at__lt=now + dt.timedelta(days=62),
        )
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("org_unit")
        .order_by("-starts_at", "-id")[:limit]
    )


def activity_label(activity: Activity) -> str:
    return (
        f"{timezone.localtime(activity.starts_at):%Y-%m-%d} {activity.title}"
        f"（{activity.org_unit.name}）"
    )


# --- teacher growth ----------------------------------------------------------------------


@dataclass
class DimensionSummary:
    name: str
    mean: float
    first: float
    last: float
    count: int

    @property
    def change(self) -> float:
        return round(self.last - self.first, 2)


def growth(user, teacher: Person) -> dict[str, Any]:
    """A teacher's submitted observations over time, as ``user`` may see them: totals, the
    trend of each dimension (percent), and the strongest and weakest dimensions (by mean
    percent over all observations; ties go to the dimension listed first)."""
    rows = list(
        observations_for(user)
        .filter(teacher=teacher, status=SUBMITTED)
        .select_related("subject", "org_unit")
        .order_by("date", "id")
    )
    names: list[str] = []
    values: dict[str, list[float | None]] = defaultdict(list)
    for obs in rows:
        got = {
            d["name"]: d["percent"] for d in obs.dimension_results if d.get("percent") is not None
        }
        for n in got:
            if n not in names:
                names.append(n)
    for obs in rows:
        got = {
            d["name"]: d["percent"] for d in obs.dimension_results if d.get("percent") is not None
        }
        for n in names:
            values[n].append(got.get(n))
    dims = []
    for n in names:
        present = [v for v in values[n] if v is not None]
        dims.append(
            DimensionSummary(
                name=n,
                mean=round(sum(present) / len(present), 2),
                first=present[0],
                last=present[-1],
                count=len(present),
            )
        )
    totals = [float(o.total) for o in rows if o.total is not None]
    strongest = max(dims, key=lambda d: d.mean) if dims else None
    weakest = min(dims, key=lambda d: d.mean) if dims else None
    if strongest is not None and weakest is not None and strongest.mean == weakest.mean:
        weakest = None
    return {
        "observations": rows,
        "count": len(rows),
        "mean_total": round(sum(totals) / len(totals), 2) if totals else None,
        "best_total": max(totals) if totals else None,
        "dimensions": dims,
        "series": {n: values[n] for n in names},
        "labels": [f"{o.date:%Y-%m-%d}" for o in rows],
        "totals": [float(o.total) if o.total is not None else None for o in rows],
        "strongest": strongest,
        "weakest": weakest,
        "observers": len({o.observer_id for o in rows}),
    }


# --- 同课异构 comparison --------------------------------------------------------------------


def comparison(rnd: ComparisonRound) -> dict[str, Any]:
    """The round's teachers side by side: per teacher, the mean percent of each dimension
    and the mean total over the submitted observations of their lesson.

    The round is the shared object: whoever sees the round sees this summary.
    """
    rows = list(
        Observation.objects.filter(round=rnd, status=SUBMITTED)
        .select_related("teacher", "org_unit")
        .order_by("teacher__name", "teacher_id", "id")
    )
    names: list[str] = []
    by_teacher: dict[int, dict[str, Any]] = {}
    for obs in rows:
        t = by_teacher.setdefault(
            obs.teacher_id,
            {
                "teacher": obs.teacher,
                "school": obs.org_unit,
                "totals": [],
                "dims": defaultdict(list),
            },
        )
        if obs.total is not None:
            t["totals"].append(float(obs.total))
        for d in obs.dimension_results:
            if d.get("percent") is None:
                continue
            if d["name"] not in names:
                names.append(d["name"])
            t["dims"][d["name"]].append(float(d["percent"]))
    teachers = []
    for t in by_teacher.values():
        means = {n: round(sum(v) / len(v), 2) for n, v in t["dims"].items() if v}
        teachers.append(
            {
                "teacher": t["teacher"],
                "school": t["school"],
                "observations": len(t["totals"]),
                "mean_total": round(sum(t["totals"]) / len(t["totals"]), 2)
                if t["totals"]
                else None,
                "dimensions": [means.get(n) for n in names],
            }
        )
    teachers.sort(key=lambda r: (-(r["mean_total"] or 0), r["teacher"].name))
    best = []
    for i, _n in enumerate(names):
        vals = [r["dimensions"][i] for r in teachers if r["dimensions"][i] is not None]
        top = max(vals) if vals else None
        best.append(top)
    return {"dimensions": names, "teachers": teachers, "best": best, "count": len(rows)}


# --- coverage ----------------------------------------------------------------------------


def teachers_of(school: OrgUnit) -> QuerySet[Person]:
    """People in post at the school holding an active teacher role."""
    return (
        Person.objects.filter(
            org_unit=school,
            status=Person.Status.ACTIVE,
            pk__in=RoleAssignment.objects.filter(
                role=Role.TEACHER, is_active=True, org_unit=school
            ).values("person_id"),
        )
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=RoleAssignment.objects.filter(
                    role=Role.TEACHER, is_active=True
                ).prefetch_related("subjects"),
                to_attr="teacher_roles",
            )
        )
        .order_by("name", "staff_no")
    )


def may_see_coverage(user, unit: OrgUnit) -> bool:
    """Admins, researchers and principals over the unit, or a liaison researcher of it."""
    if user.is_superuser:
        return True
    if any(s.role in OBSERVERS and unit.path.startswith(s.path) for s in user_scopes(user)):
        return True
    return unit.kind == OrgUnit.Kind.SCHOOL and is_shared_unit(user, LIAISON, unit.pk)


def coverage_units(user) -> QuerySet[OrgUnit]:
    """The units whose coverage ``user`` may open: the units they see, and the schools
    shared with them by the liaison share."""
    where = Q(pk__in_ids=OrgUnit.objects.visible_to(user).values("pk"))
    liaison = shared_units(user, LIAISON)
    if liaison is not None:
        where |= Q(pk__in_ids=liaison)
    return OrgUnit.objects.filter(where)


def school_coverage(user, school: OrgUnit, term: Term) -> dict[str, Any]:
    """Who at the school was observed in the term, how often, by whom; who never was."""
    teachers = list(teachers_of(school))
    stat = {
        s.teacher_id: s
        for s in TeacherTermStat.objects.visible_to(user).filter(org_unit=school, term=term.start)
    }
    observers: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for teacher_id, name, n in (
        observations_for(user)
        .filter(org_unit=school, term=term.start, status=SUBMITTED)
        .values_list("teacher_id", "observer_name")
        .annotate(n=Count("id"))
        .order_by("teacher_id", "-n", "observer_name")
    ):
        observers[teacher_id].append((name, n))
    rows = []
    for t in teachers:
        s = stat.get(t.pk)
        n = s.observations if s else 0
        rows.append(
            {
                "teacher": t,
                "subjects": "、".join(
                    sorted({sub.name for ra in t.teacher_roles for sub in ra.subjects.all()})
                ),
                "observations": n,
                "last_date": s.last_date if s else None,
                "mean_total": round(s.total_sum / n, 1) if s and n else None,
                "observers": observers.get(t.pk, []),
            }
        )
    rows.sort(key=lambda r: (r["observations"] > 0, r["observations"], r["teacher"].name))
    observed = sum(1 for r in rows if r["observations"])
    total_obs = sum(r["observations"] for r in rows)
    # Observations of staff who are not (or no longer) teachers still count for the school.
    school_stat = UnitTermStat.objects.filter(unit=school, term=term.start).first()
    return {
        "rows": rows,
        "teachers": len(rows),
        "observed": observed,
        "never": [r for r in rows if not r["observations"]],
        "coverage": round(100 * observed / len(rows), 1) if rows else None,
        "observations": school_stat.observations if school_stat else total_obs,
    }


def _teacher_counts(unit: OrgUnit) -> dict[int, tuple[str, int]]:
    """Teachers (active teacher roles) per school under ``unit``: {school id: (path, n)}."""
    rows = (
        RoleAssignment.objects.filter(
            role=Role.TEACHER, is_active=True, org_unit__path__under=unit.path
        )
        .values_list("org_unit_id", "org_unit__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {pk: (path, n) for pk, path, n in rows}


def coverage_rows_units(user, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """The rows of a unit's coverage table: the regions below a city or province, the
    schools below a county or town (in the user's scope)."""
    base = OrgUnit.objects.visible_to(user).filter(is_active=True)
    if unit.level in (OrgUnit.Level.PROVINCE, OrgUnit.Level.CITY):
        return base.filter(parent=unit, kind=OrgUnit.Kind.REGION).order_by("code")
    return base.filter(path__under=unit.path, kind=OrgUnit.Kind.SCHOOL).order_by("path")


def unit_coverage(user, unit: OrgUnit, term: Term) -> dict[str, Any]:
    """Coverage of the units below ``unit``: teachers, teachers observed, observations."""
    units = list(coverage_rows_units(user, unit).select_related("parent"))
    stats = {
        s.unit_id: s
        for s in UnitTermStat.objects.visible_to(user).filter(
            unit_id__in=[u.pk for u in units] + [unit.pk], term=term.start
        )
    }
    counts = _teacher_counts(unit)
    rows = []
    for u in units:
        if u.kind == OrgUnit.Kind.SCHOOL:
            teachers = counts.get(u.pk, ("", 0))[1]
        else:
            teachers = sum(n for path, n in counts.values() if path.startswith(u.path))
        s = stats.get(u.pk)
        observed = s.observed_teachers if s else 0
        rows.append(
            {
                "unit": u,
                "teachers": teachers,
                "observed": observed,
                "never": max(teachers - observed, 0),
                "observations": s.observations if s else 0,
                "coverage": round(100 * observed / teachers, 1) if teachers else None,
                "mean_total": round(s.total_sum / s.observations, 1)
                if s and s.observations
                else None,
            }
        )
    rows.sort(key=lambda r: (r["coverage"] is None, r["coverage"] or 0, r["unit"].path))
    own = stats.get(unit.pk)
    teachers = sum(n for _p, n in counts.values())
    return {
        "rows": rows,
        "teachers": teachers,
        "observed": own.observed_teachers if own else 0,
        "observations": own.observations if own else 0,
        "coverage": round(100 * own.observed_teachers / teachers, 1)
        if own and teachers
        else (0.0 if teachers else None),
        "schools_without": sum(
            1 for r in rows if r["unit"].kind == OrgUnit.Kind.SCHOOL and not r["observations"]
        ),
    }


def top_observers(user, unit: OrgUnit, term: Term, limit: int = 15) -> list[dict[str, Any]]:
    """Who observed most in the unit's schools this term (county level and below)."""
    return list(
        observations_for(user)
        .filter(unit_path__under_indexed=unit.path, term=term.start, status=SUBMITTED)
        .values("observer_id", "observer_name", "observer_unit__name")
        .annotate(n=Count("id"), teachers=Count("teacher_id", distinct=True))
        .order_by("-n", "observer_name")[:limit]
    )


def liaison_schools(user) -> QuerySet[LiaisonAssignment]:
    return (
        LiaisonAssignment.objects.filter(researcher__user_id=user.pk, is_active=True)
        .select_related("school")
        .order_by("school__path")
    )


def default_coverage_unit(user) -> OrgUnit | None:
    """The unit a user's coverage page opens on: their widest observing scope."""
    scopes = sorted(
        (s for s in user_scopes(user) if s.role in OBSERVERS), key=lambda s: len(s.path)
    )
    if scopes:
        return OrgUnit.objects.filter(pk=scopes[0].unit_id).first()
    if user.is_superuser:
        return OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    la = liaison_schools(user).first()
    return la.school if la else None


# --- distributions -----------------------------------------------------------------------


def _order_dimensions(names: set[str]) -> list[str]:
    from .models import RubricDimension

    known = list(
        RubricDimension.objects.filter(
            rubric_version__rubric__org_unit__isnull=True, name__in=list(names)
        )
        .order_by("order")
        .values_list("name", flat=True)
    )
    ordered = list(dict.fromkeys(n for n in known if n))
    ordered += sorted(n for n in names if n and n not in ordered)
    return ordered


def distribution(user, unit: OrgUnit, term: Term, subject: Subject | None = None) -> dict:
    """Scores per dimension (and of the total) in a unit and term, from the pre-aggregated
    table: count, mean, standard deviation, five buckets; and the mean per subject."""
    rows = DimensionStat.objects.visible_to(user).filter(unit=unit, term=term.start)
    if subject is not None:
        rows = rows.filter(subject=subject)
    acc: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0, 0, 0, 0])
    by_subject: dict[int, dict[str, tuple[int, float]]] = defaultdict(dict)
    subjects: dict[int, str] = {}
    for r in rows.select_related("subject"):
        a = acc[r.dimension]
        for i, v in enumerate((r.n, r.total, r.total_sq, r.b0, r.b1, r.b2, r.b3, r.b4)):
            a[i] += v
        by_subject[r.subject_id][r.dimension] = (r.n, r.total)
        subjects[r.subject_id] = r.subject.name
    names = _order_dimensions(set(acc))

    def summary(name: str) -> dict[str, Any]:
        n, s, sq, *buckets = acc[name]
        mean = s / n if n else None
        sd = math.sqrt(max(sq / n - mean * mean, 0)) if n else None
        return {
            "name": name,
            "n": int(n),
            "mean": round(mean, 1) if mean is not None else None,
            "sd": round(sd, 1) if sd is not None else None,
            "buckets": [int(b) for b in buckets],
        }

    dims = [summary(n) for n in names]
    total = summary("") if "" in acc else None
    subject_rows = []
    for sid, cells in sorted(by_subject.items(), key=lambda kv: -kv[1].get("", (0, 0))[0]):
        n_total = cells.get("", (0, 0.0))[0]
        subject_rows.append(
            {
                "subject": subjects[sid],
                "n": n_total,
                "total": round(cells[""][1] / cells[""][0], 1) if cells.get("", (0,))[0] else None,
                "dimensions": [
                    round(cells[n][1] / cells[n][0], 1) if cells.get(n, (0,))[0] else None
                    for n in names
                ],
            }
        )
    return {
        "dimensions": dims,
        "total": total,
        "subjects": subject_rows,
        "names": names,
        "bucket_labels": BUCKET_LABELS,
    }
