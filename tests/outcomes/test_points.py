"""Points are computed from the records by the bureau's table: checked against an
independent computation from the raw rows (a seeded random world of honours,
demonstrations and adoptions), and the table's rules (nearest bureau, level before any
level, nothing priced: nothing earned)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.outcomes import points, rounds, services
from jiaoyan.outcomes.models import Adoption, Entry, Outcome, PointRule, Promotion
from tests.outcomes.conftest import TABLE, make_outcome, make_round, set_table

pytestmark = pytest.mark.django_db


def _independent(year: int):
    """The points per person, unit and community, straight from the rows and TABLE."""
    table = {(c, lv): Decimal(p) for c, lv, p in TABLE}

    def price(code, level):
        return table.get((code, level), table.get((code, "")))

    records = []  # (code, level, outcome, ref)
    for e in Entry.objects.filter(honoured=True, round__announced_at__year=year):
        o = Outcome.objects.get(pk=e.outcome_id)
        code = "case_selected" if o.kind in ("case", "casebook") else "outcome_selected"
        records.append((code, e.level, o, ("e", e.pk)))
    for p in Promotion.objects.filter(demonstration=True, date__year=year):
        records.append(("demonstration", p.org_unit.level, p.outcome, ("p", p.pk)))
    for a in Adoption.objects.filter(adopted_on__year=year):
        records.append(("adopted", "", a.outcome, ("a", a.pk)))
    persons, units, communities = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for code, level, o, _ref in records:
        value = price(code, level)
        if value is None:
            continue
        for person in o.authors.all():
            persons[person.pk] += value
        units[o.org_unit_id] += value
        if o.community_id:
            communities[o.community_id] += value
    return dict(persons), dict(units), dict(communities)


def test_points_equal_an_independent_computation(world):
    rng = random.Random(15)
    set_table(world)
    people = [world.people[k] for k in ("teacher", "principal", "teacher_b", "counsellor")]
    r = make_round(world, school_quota=10, county_quota=10, city_quota=10)
    outcomes = []
    for n in range(12):
        kind = rng.choice(["case", "teaching"])
        unit = world.schools[rng.choice(["school_a", "school_b"])].org_unit
        authors = rng.sample(people, rng.randint(1, 3))
        o = make_outcome(
            world, actor="city_admin", unit=unit, kind=kind, title=f"成果{n}", authors=authors
        )
        outcomes.append(o)
        principal = world.users["principal"]
        if unit == world.schools["school_a"].org_unit and rng.random() < 0.7:
            rounds.recommend(actor=principal, round=r, outcome=o)
            if rng.random() < 0.6:
                rounds.recommend(actor=world.users["district_researcher"], round=r, outcome=o)
                if rng.random() < 0.5:
                    rounds.recommend(actor=world.users["city_admin"], round=r, outcome=o)
        today = timezone.localdate()
        for _ in range(rng.randint(0, 2)):
            where = rng.choice([world.units["city"], world.schools["school_b"].org_unit])
            services.record_promotion(
                actor=world.users["city_admin"],
                outcome=o,
                org_unit=where,
                date=today - dt.timedelta(days=rng.randint(0, 3)),
                event="展示",
                demonstration=rng.random() < 0.7,
            )
        if rng.random() < 0.5:
            other = world.schools["school_c"].org_unit
            services.record_adoption(
                actor=world.users["city_admin"], outcome=o, org_unit=other, adopted_on=today
            )
    with time_machine.travel(timezone.now() + dt.timedelta(days=20), tick=False):
        rounds.announce(actor=world.users["city_admin"], round=r)
        year = timezone.localdate().year
        got = points.compute(dt.date(year, 1, 1), dt.date(year, 12, 31))
    persons, units, communities = _independent(year)
    assert {k: t.points for k, t in got.persons.items()} == persons
    assert {k: t.points for k, t in got.units.items()} == units
    assert {k: t.points for k, t in got.communities.items()} == communities
    assert sum(persons.values()) > 0
    # every figure is explained by its rules
    for t in got.persons.values():
        assert sum(r["points"] for r in t.by_rule()) == t.points


def test_level_rule_wins_and_unpriced_earns_nothing(world, outcome):
    today = timezone.localdate()
    kwargs = {
        "actor": world.users["city_admin"],
        "outcome": outcome,
        "date": today,
        "event": "现场会",
        "demonstration": True,
    }
    services.record_promotion(org_unit=world.units["city"], **kwargs)
    services.record_promotion(org_unit=world.schools["school_b"].org_unit, **kwargs)
    year = today.year
    got = points.compute(dt.date(year, 1, 1), dt.date(year, 12, 31))
    assert got.persons == {} and got.unpriced == 2
    set_table(world)
    got = points.compute(dt.date(year, 1, 1), dt.date(year, 12, 31))
    # city: 6 (its level's rule); a school: 3 (any level)
    assert got.persons[world.people["teacher"].pk].points == Decimal(9)


def test_the_nearest_bureau_decides(world, outcome):
    set_table(world)
    services.set_point_rule(
        actor=world.users["city_admin"],
        org_unit=world.units["linwei_bureau"],
        code="demonstration",
        level="",
        points=4,
    )
    services.record_promotion(
        actor=world.users["city_admin"],
        outcome=outcome,
        org_unit=world.schools["school_b"].org_unit,
        date=timezone.localdate(),
        event="现场会",
        demonstration=True,
    )
    year = timezone.localdate().year
    got = points.compute(dt.date(year, 1, 1), dt.date(year, 12, 31))
    assert got.persons[world.people["teacher"].pk].points == Decimal(4)


def test_the_table_refuses_bad_rules(world):
    from jiaoyan.core.errors import ServiceError

    for kwargs in ({"code": "nope"}, {"level": "galaxy"}, {"points": "-3"}, {"points": "1.25"}):
        data = {"code": "adopted", "level": "", "points": 2, **kwargs}
        with pytest.raises(ServiceError):
            services.set_point_rule(
                actor=world.users["city_admin"], org_unit=world.units["city_bureau"], **data
            )
    assert PointRule.objects.count() == 0
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_point_rule(
            actor=world.users["outsider"],
            org_unit=world.units["city_bureau"],
            code="adopted",
            points=2,
        )


def test_a_module_contributes_a_source(world, outcome):
    set_table(world, [("project_approved", "city", 15)])
    pid = world.people["principal"].pk
    unit = world.schools["school_a"].org_unit.pk

    def projects(start, end):
        yield points.Credit(pid, unit, None, "project_approved", "city", start, "project:1")

    points.register_source("test.projects", projects)
    try:
        year = timezone.localdate().year
        got = points.compute(dt.date(year, 1, 1), dt.date(year, 12, 31))
    finally:
        points._sources.pop("test.projects")
    assert got.persons[pid].points == Decimal(15)
    assert got.units[unit].points == Decimal(15)
