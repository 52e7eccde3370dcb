"""The home page's people counts (``people_summary``) equal a plain count of the people
and active roles each account sees, whatever form the counting queries take."""

from __future__ import annotations

from collections import Counter

from jiaoyan.core.roles import Role
from jiaoyan.people.models import Person, RoleAssignment
from jiaoyan.people.queries import people_summary


def test_counts_match_a_plain_count(world):
    # A person with two active roles and one whose role ended.
    extra = RoleAssignment.objects.create(
        person=world.people["teacher"], role="counsellor", org_unit=world.school_a.org_unit
    )
    RoleAssignment.objects.filter(person=world.people["teacher_b"]).update(is_active=False)
    assert extra.pk
    for name in ("city_admin", "district_researcher", "principal", "teacher", "outsider"):
        user = world.users[name]
        visible = list(Person.objects.visible_to(user).filter(status="active"))
        roles = Counter(
            RoleAssignment.objects.filter(person__in=visible, is_active=True).values_list(
                "role", flat=True
            )
        )
        summary = people_summary(user)
        assert summary["people"] == len(visible), name
        assert {d["name"]: d["value"] for d in summary["by_role"]} == {
            str(Role(r).label): roles.get(r, 0) for r in Role.values
        }, name
        assert sum(d["value"] for d in summary["by_title"]) == len(visible), name
