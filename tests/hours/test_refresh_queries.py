"""Crediting refreshes the cycles of everyone credited on the hot path of every activity
finish and programme completion: a fixed number of queries whatever the number of
people (opening their first cycles, recounting kept ones, taking back an old one)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.hours import services
from jiaoyan.hours.models import HoursCycle
from tests.conftest import make_person

from .conftest import credit


def _people(world, n: int, start: int) -> list:
    school = world.schools["school_a"].org_unit
    return [
        make_person(f"Q{start + i:04d}", f"教师{start + i}", school, phone=f"139{start + i:08d}")
        for i in range(n)
    ]


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_refreshing_cycles_costs_the_same_for_two_people_or_twenty(world, linwei_activity):
    few, many = _people(world, 2, 0), _people(world, 20, 100)
    assert not HoursCycle.objects.filter(person__in=few + many).exists()

    opening_few = _queries(lambda: services.refresh_cycles([p.pk for p in few]))
    opening_many = _queries(lambda: services.refresh_cycles([p.pk for p in many]))
    assert opening_few == opening_many
    assert HoursCycle.objects.filter(person__in=few + many, is_current=True).count() == 22

    recount_few = _queries(lambda: services.refresh_cycles([p.pk for p in few]))
    recount_many = _queries(lambda: services.refresh_cycles([p.pk for p in many]))
    assert recount_few == recount_many
    assert recount_many < opening_many

    # Cycles no longer current (set aside) are taken back in one update, not one each.
    HoursCycle.objects.filter(person__in=few + many).update(is_current=False)
    back_few = _queries(lambda: services.refresh_cycles([p.pk for p in few]))
    back_many = _queries(lambda: services.refresh_cycles([p.pk for p in many]))
    assert back_few == back_many
    assert HoursCycle.objects.filter(person__in=few + many, is_current=True).count() == 22
    assert HoursCycle.objects.filter(person__in=few + many).count() == 22


def test_crediting_twenty_people_costs_what_crediting_two_does(world, linwei_activity):
    from tests.activities.conftest import make_activity

    other = make_activity(world, title="临渭区初中数学同课异构")
    few, many = _people(world, 2, 200), _people(world, 20, 300)
    first_few = _queries(lambda: credit(linwei_activity, few))
    first_many = _queries(lambda: credit(other, many))
    assert first_few == first_many
    cycles = HoursCycle.objects.filter(person__in=many, is_current=True)
    assert cycles.count() == 20
    assert {str(c.earned) for c in cycles} == {"3.0"}

    again_few = _queries(lambda: credit(linwei_activity, few, hours="4"))
    again_many = _queries(lambda: credit(other, many, hours="4"))
    assert again_few == again_many
    assert {str(c.earned) for c in cycles.all()} == {"4.0"}
