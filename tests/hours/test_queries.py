"""The read side of "my hours": only the signed-in person's records, totals by year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jiaoyan.hours import queries

from .conftest import credit, make_activity


def test_own_records_are_own_even_for_an_admin_who_sees_more(world, linwei_activity):
    credit(linwei_activity, [world.people["teacher"], world.people["city_admin"]])
    admin = world.users["city_admin"]
    assert [r.person_id for r in queries.own_records(admin)] == [world.people["city_admin"].pk]
    assert [r.person_id for r in queries.own_records(world.users["teacher"])] == [
        world.people["teacher"].pk
    ]
    assert not queries.own_records(world.users["principal"]).exists()


def test_totals_by_year_newest_first(world, linwei_activity):
    teacher = world.people["teacher"]
    other = make_activity(world, title="临渭区高中物理教研")
    third = make_activity(world, title="临渭区作业设计研讨")
    credit(linwei_activity, [teacher], hours="3", date=dt.date(2025, 11, 2))
    credit(other, [teacher], hours="1.5", date=dt.date(2026, 3, 1))
    credit(third, [teacher], hours="2", date=dt.date(2026, 4, 9))
    user = world.users["teacher"]
    assert queries.own_by_year(user) == [
        {"year": 2026, "total": Decimal("3.5"), "count": 2},
        {"year": 2025, "total": Decimal("3.0"), "count": 1},
    ]
    assert queries.own_totals(user) == {"total": Decimal("6.5"), "count": 3}
    assert queries.own_totals(user, 2025) == {"total": Decimal("3.0"), "count": 1}
    assert queries.own_totals(user, 2024) == {"total": Decimal("0"), "count": 0}
