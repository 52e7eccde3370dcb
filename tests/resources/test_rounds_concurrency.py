"""Two recommenders of one school racing for its last place in a round: exactly one entry
is written, the other is refused over quota (PostgreSQL: two threads, two connections, a
barrier; the round's row lock serialises them). On SQLite writers never overlap (BEGIN
IMMEDIATE), so the same rule is checked one after the other."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections

from jiaoyan.core.errors import ServiceError
from jiaoyan.people.models import User
from jiaoyan.resources import rounds
from jiaoyan.resources.models import Recommendation
from tests.conftest import make_person

from .test_rounds import DURING, city_round, published


def _attempt(name, user, r, resource, results):
    try:
        rounds.recommend(actor=user, round=r, resource=resource)
        results[name] = "recommended"
    except ServiceError as e:
        results[name] = e.rule or e.text


@pytest.mark.django_db(transaction=True)
def test_the_last_place_goes_to_exactly_one_of_two_concurrent_recommendations(world):
    w = world
    make_person(
        "T009", "副校长", w.schools["school_a"].org_unit, role="principal", username="deputy"
    )
    deputy = User.objects.get(username="deputy")
    with time_machine.travel(DURING, tick=False):
        r = city_round(w, school_quota=2)
        first, a, b = (published(w, title=t) for t in ("甲", "乙", "丙"))
        rounds.recommend(actor=w.users["principal"], round=r, resource=first)  # 1 of 2
        results: dict[str, str] = {}
        racers = (("principal", w.users["principal"], a), ("deputy", deputy, b))
        if connection.vendor != "postgresql":
            for name, user, resource in racers:
                _attempt(name, user, r, resource, results)
        else:
            barrier = threading.Barrier(2)

            def run(name, user, resource):
                try:  # the travel in time holds for every thread
                    barrier.wait(timeout=10)
                    _attempt(name, user, r, resource, results)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=run, args=racer) for racer in racers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
        assert sorted(results.values()) == ["over_quota", "recommended"], results
        active = Recommendation.objects.filter(round=r, withdrawn_at__isnull=True)
        assert active.count() == 2
        assert rounds.used(r, w.schools["school_a"].org_unit) == 2
        assert r.quota_for(w.schools["school_a"].org_unit) == 2
    assert dt.date(2026, 3, 10) <= r.closes_on
