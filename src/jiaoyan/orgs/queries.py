"""Read-side functions of the org tree. Each starts from ``visible_to(user)``."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from jiaoyan.core.roles import Role
from jiaoyan.core.scope import user_scopes

from .models import OrgUnit, School


@dataclass
class ScopeLine:
    unit: OrgUnit
    roles: list[str]


def scope_units(user) -> list[ScopeLine]:
    """The units the user's roles are bound to, with the roles held on each."""
    roles_by_unit: dict[int, list[str]] = defaultdict(list)
    for s in user_scopes(user):
        roles_by_unit[s.unit_id].append(Role(s.role).label)
    units = OrgUnit.objects.filter(pk__in=roles_by_unit).order_by("path")
    return [ScopeLine(unit=u, roles=roles_by_unit[u.pk]) for u in units]


def visible_units(user) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.visible_to(user)


def visible_schools(user) -> QuerySet[School]:
    return School.objects.visible_to(user).select_related("org_unit", "org_unit__parent")


def tree_roots(user) -> list[OrgUnit]:
    """The top visible units: those whose parent the user cannot see."""
    if user.is_superuser:
        return list(OrgUnit.objects.filter(parent__isnull=True))
    ids = [s.unit_id for s in user_scopes(user)]
    units = list(OrgUnit.objects.filter(pk__in=ids).order_by("path"))
    roots: list[OrgUnit] = []
    for u in units:
        if not any(u.path.startswith(r.path) and u.pk != r.pk for r in units):
            roots.append(u)
    return roots


def children_with_counts(user, unit: OrgUnit) -> list[dict]:
    """Visible children of ``unit``, each with the number of schools and people below it.

    Three grouped queries whatever the number of children: the children, the subtree's
    unit paths, and people per unit; the roll-up to each child is done in memory.
    """
    children = list(OrgUnit.objects.visible_to(user).filter(parent=unit).order_by("kind", "code"))
    if not children:
        return []
    subtree = list(
        OrgUnit.objects.filter(path__under=unit.path)
        .exclude(pk=unit.pk)
        .values_list("pk", "path", "kind")
    )
    from jiaoyan.people.models import Person

    people = dict(
        Person.objects.filter(org_unit__path__under=unit.path, status=Person.Status.ACTIVE)
        .values("org_unit_id")
        .annotate(n=Count("id"))
        .values_list("org_unit_id", "n")
    )
    depth = unit.path.count("/")
    child_of: dict[int, int] = {}
    school_count: Counter[int] = Counter()
    people_count: Counter[int] = Counter()
    for pk, path, kind in subtree:
        parts = path.split("/")
        child_id = int(parts[depth])
        child_of[pk] = child_id
        if kind == OrgUnit.Kind.SCHOOL:
            school_count[child_id] += 1
        people_count[child_id] += people.get(pk, 0)
    with_descendants = {child for pk, child in child_of.items() if pk != child}
    return [
        {
            "unit": c,
            "schools": school_count[c.pk],
            "people": people_count[c.pk],
            "has_children": c.pk in with_descendants,
        }
        for c in children
    ]


def scope_summary(user) -> dict:
    """Counts for the home page: units, schools (by location and kind), students, teachers."""
    schools = School.objects.visible_to(user).order_by()  # no join for the default ordering
    # One grouped pass (a few dozen groups at most) gives the totals and both breakdowns.
    groups = list(
        schools.values("location", "kind", "is_weak").annotate(
            n=Count("pk"), students=Sum("student_count"), teachers=Sum("teacher_count")
        )
    )
    by_location: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    for g in groups:
        by_location[g["location"]] += g["n"]
        by_kind[g["kind"]] += g["n"]
    totals = {
        "n": sum(g["n"] for g in groups),
        "students": sum(g["students"] or 0 for g in groups),
        "teachers": sum(g["teachers"] or 0 for g in groups),
        "weak": sum(g["n"] for g in groups if g["is_weak"]),
    }
    units = OrgUnit.objects.visible_to(user).exclude(kind=OrgUnit.Kind.SCHOOL)
    return {
        "schools": totals["n"] or 0,
        "students": totals["students"] or 0,
        "teachers": totals["teachers"] or 0,
        "weak": totals["weak"] or 0,
        "units": units.count(),
        "by_location": [
            {"name": str(School.Location(k).label), "value": by_location.get(k, 0)}
            for k in School.Location.values
        ],
        "by_kind": [
            {"name": str(School.Kind(k).label), "value": v}
            for k, v in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }
