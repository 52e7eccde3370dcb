"""``visible_to`` written as id subqueries gives the same rows as the definition:
rows under the user's units, plus rows granted to the user or to a unit in their scope,
plus the rows a model's ``visible`` hook adds — for direct paths (org units, audit rows),
paths through one relation (people, schools) and through two (role assignments)."""

from __future__ import annotations

from django.db.models import Q

from jiaoyan.core.models import AuditLog
from jiaoyan.core.paths import is_under
from jiaoyan.core.scope import grant, scope_paths, user_scopes
from jiaoyan.orgs.models import OrgUnit, School
from jiaoyan.people.models import Person, RoleAssignment


def expected(user, rows, path_of, extra=lambda obj: False):
    paths = scope_paths(user)
    return {obj.pk for obj in rows if any(is_under(path_of(obj), p) for p in paths) or extra(obj)}


def test_people_schools_units_and_roles_match_the_definition(world):
    people = list(Person.objects.select_related("org_unit"))
    for name in ("city_admin", "district_researcher", "principal", "teacher", "outsider"):
        user = world.users[name]
        assert user_scopes(user)
        seen = set(Person.objects.visible_to(user).values_list("pk", flat=True))
        assert seen == expected(
            user, people, lambda p: p.org_unit.path, lambda p, u=user: p.user_id == u.pk
        ), name
        schools = set(School.objects.visible_to(user).values_list("pk", flat=True))
        assert schools == expected(
            user, School.objects.select_related("org_unit"), lambda s: s.org_unit.path
        ), name
        units = set(OrgUnit.objects.visible_to(user).values_list("pk", flat=True))
        assert units == expected(user, OrgUnit.objects.all(), lambda u: u.path), name
        roles = set(RoleAssignment.objects.visible_to(user).values_list("pk", flat=True))
        assert roles == expected(
            user,
            RoleAssignment.objects.select_related("person__org_unit"),
            lambda r: r.person.org_unit.path,
        ), name


def test_grants_to_a_user_and_to_a_unit_are_seen(world):
    teacher = world.users["teacher"]
    outsider_person = world.people["outsider"]
    other_teacher = world.people["teacher_c"]
    assert not Person.objects.visible_to(teacher).filter(pk=outsider_person.pk).exists()
    grant(outsider_person, user=teacher)
    grant(other_teacher, unit=world.school_a.org_unit)
    seen = Person.objects.visible_to(teacher)
    assert seen.filter(pk=outsider_person.pk).exists()
    assert seen.filter(pk=other_teacher.pk).exists()
    # The grant to school A reaches the admins above it too, not the other district.
    assert Person.objects.visible_to(world.users["city_admin"]).filter(pk=other_teacher.pk)
    assert (
        not Person.objects.visible_to(world.users["principal"])
        .filter(pk=outsider_person.pk)
        .exists()
    )


def test_the_visible_hook_adds_own_rows_only(world):
    # A teacher sees only their school's people and their own audit rows.
    teacher = world.users["teacher"]
    mine = AuditLog.objects.create(actor=teacher, action="login", unit_path="/nowhere/")
    theirs = AuditLog.objects.create(
        actor=world.users["outsider"], action="login", unit_path="/nowhere/"
    )
    seen = AuditLog.objects.visible_to(teacher)
    assert seen.filter(pk=mine.pk).exists()
    assert not seen.filter(pk=theirs.pk).exists()
    # Combined with further filters and counts, the subquery form stays a plain filter.
    assert Person.objects.visible_to(teacher).filter(Q(status="active")).count() == 3
