"""The scoped resolver (core/resolve.py) on its own: ids and natural keys, the same error
for absent and out of scope, global reference data, many at once, and the form field."""

from __future__ import annotations

import pytest

from jiaoyan.core.resolve import (
    ReferenceField,
    Resolver,
    Unresolved,
    resolve,
    resolve_many,
    resolve_optional,
    stage_q,
    subject_q,
)
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person


def test_ids_and_codes_inside_the_scope(world):
    researcher = world.users["district_researcher"]
    school = world.schools["school_a"].org_unit
    assert resolve(researcher, OrgUnit, school.pk) == school
    assert resolve(researcher, OrgUnit, f" {school.code} ") == school
    assert resolve(researcher, Person, "T002") == world.people["teacher"]
    assert resolve_optional(researcher, OrgUnit, None) is None
    assert resolve_optional(researcher, OrgUnit, "  ") is None


@pytest.mark.parametrize("value", ["school_c", "missing", "bad"])
def test_absent_and_out_of_scope_raise_the_same_error(world, value):
    researcher = world.users["district_researcher"]
    ref = {
        "school_c": world.schools["school_c"].org_unit.pk,
        "missing": 10**9,
        "bad": True,  # neither an id nor a key
    }[value]
    with pytest.raises(Unresolved) as caught:
        resolve(researcher, OrgUnit, ref, field="unit")
    with pytest.raises(Unresolved) as by_code:
        resolve(researcher, OrgUnit, "6105030001" if value == "school_c" else "0000", field="unit")
    assert caught.value.text == by_code.value.text
    assert caught.value.field == "unit" and caught.value.status_code == 422
    assert "6105030001" not in caught.value.text


def test_many_keeps_order_and_names_positions_only(world):
    researcher = world.users["district_researcher"]
    a, b, c = (world.schools[k].org_unit for k in ("school_a", "school_b", "school_c"))
    assert resolve_many(researcher, OrgUnit, [b.pk, a.code, b.pk]) == [b, a]
    with pytest.raises(Unresolved) as caught:
        resolve_many(researcher, OrgUnit, [a.pk, c.pk, 10**9], field="units")
    assert "2" in caught.value.text and "3" in caught.value.text
    assert str(c.pk) not in caught.value.text


def test_global_reference_data_by_name_or_code(db):
    math = Subject.objects.get(name="数学")
    assert resolve(None, Subject, "数学") == math
    assert resolve(None, Subject, math.code) == math
    assert resolve(None, Stage, "junior") == resolve(None, Stage, "初中")
    with pytest.raises(Unresolved) as caught:
        resolve_many(None, Subject, ["数学", "炼丹"], field="subjects")
    assert "炼丹" in caught.value.text  # reference data is no secret


def test_resolver_reads_a_column_in_one_query(world, django_assert_num_queries):
    user = world.city_admin
    codes = [u.code for u in OrgUnit.objects.visible_to(user)]  # (the scope is now cached)
    resolver = Resolver(user, OrgUnit)
    with django_assert_num_queries(1):
        resolver.prefetch([*codes, "nope"])
    with django_assert_num_queries(0):
        assert all(resolver.get(code) is not None for code in codes)
        assert resolver.get("nope") is None


def test_filter_values_parsed_once(world):
    math = Subject.objects.get(name="数学")
    teachers = Person.objects.filter(roles__is_active=True)
    by_name = set(teachers.filter(subject_q("数学", "roles__subjects")))
    assert by_name == set(teachers.filter(subject_q(math.code, "roles__subjects")))
    assert world.people["teacher"] in by_name
    assert not teachers.filter(subject_q("炼丹", "roles__subjects")).exists()
    junior = set(teachers.filter(stage_q("初中", "roles__stages")))
    assert junior == set(teachers.filter(stage_q("junior", "roles__stages")))


def test_reference_field_for_forms(world):
    researcher = world.users["district_researcher"]
    field = ReferenceField(researcher, OrgUnit)
    school = world.schools["school_a"].org_unit
    assert field.clean(str(school.pk)) == school
    assert field.clean(school.code) == school
    errors = []
    for value in (str(world.schools["school_c"].org_unit.pk), "999999999"):
        with pytest.raises(Exception) as caught:
            field.clean(value)
        errors.append(caught.value.messages)
    assert errors[0] == errors[1]
