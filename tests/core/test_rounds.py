"""core.rounds: the chain every selection round shares (resources' recommendation rounds,
outcomes' selection rounds) — asked directly of an outcomes round: the levels, where a
unit's entries go, the units a user acts for, the quota's lock-then-check and its
message, and the highest entry per item."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiaoyan.core import rounds as chain
from jiaoyan.core.errors import ServiceError
from jiaoyan.outcomes.models import Entry
from tests.outcomes.conftest import make_outcome, make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def test_levels_and_highest():
    assert chain.levels_up_to("city") == ("school", "county", "city")
    assert chain.levels_up_to("county") == ("school", "county")
    rows = [
        SimpleNamespace(item=1, level="school"),
        SimpleNamespace(item=1, level="city"),
        SimpleNamespace(item=1, level="county"),
        SimpleNamespace(item=2, level="school"),
    ]
    top = chain.highest(rows, "item")
    assert top[1].level == "city" and top[2].level == "school"


def test_next_unit_and_round_units(world):
    r = make_round(world)
    school = world.schools["school_a"].org_unit
    assert chain.next_unit(r, school) == world.units["linwei"]
    assert chain.next_unit(r, world.units["linwei"]) == world.units["city"]
    assert chain.next_unit(r, world.units["city"]) is None
    # a bureau's or institute's role acts for its region
    assert chain.acting_unit_ids(world.users["district_researcher"]) == {world.units["linwei"].pk}
    units = chain.round_units(world.users["principal"], r, {"principal"})
    assert units == [school]
    assert chain.round_units(world.users["teacher"], r, {"principal"}) == []


def test_quota_check_and_rows(world):
    from jiaoyan.outcomes import rounds

    r = make_round(world, school_quota=1)
    school = world.schools["school_a"].org_unit
    active = Entry.objects.filter(round=r, withdrawn_at__isnull=True)
    chain.check_quota(r, school, active)
    rounds.recommend(actor=world.users["principal"], round=r, outcome=make_outcome(world))
    with pytest.raises(ServiceError) as e:
        chain.check_quota(r, school, active, field="outcome")
    assert e.value.rule == "over_quota" and e.value.field == "outcome"
    assert "名额" in e.value.text
    assert chain.quota_rows(r, active, [school]) == [
        {"unit": school, "quota": 1, "used": 1, "left": 0}
    ]
    r.quotas = {str(school.pk): 3}
    assert r.quota_for(school) == 3
    with pytest.raises(ServiceError):
        chain.clean_quota("x", "school_quota")
    with pytest.raises(ServiceError):
        chain.clean_quota(1001, "school_quota")
