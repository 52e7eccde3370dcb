"""Quotas hold under concurrent recommendation: two principals of one school race for
its last place; the round's row lock lets one through (PostgreSQL; SQLite serialises
writers anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from jiaoyan.core.errors import ServiceError
from jiaoyan.outcomes import rounds
from jiaoyan.outcomes.models import Entry
from tests.conftest import make_person
from tests.outcomes.conftest import make_outcome, make_round

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_last_place_goes_to_one(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every writer")
    make_person(
        "T009", "副校长", world.schools["school_a"].org_unit, role="principal", username="vice"
    )
    from jiaoyan.people.models import User

    users = [world.users["principal"], User.objects.get(username="vice")]
    r = make_round(world, school_quota=1)
    outcomes = [make_outcome(world, title=f"并发案例{n}") for n in range(2)]
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def go(user, outcome):
        try:
            barrier.wait()
            rounds.recommend(actor=user, round=r, outcome=outcome)
        except ServiceError as e:
            errors.append(e)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=go, args=(u, o)) for u, o in zip(users, outcomes, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Entry.objects.filter(round=r).count() == 1
    assert len(errors) == 1 and errors[0].rule == "over_quota"
