"""Two people taking the last seat of a programme at the same moment: one is enrolled,
the other waits on the list (PostgreSQL: two threads, two connections, a barrier; the
programme row lock serialises them). On SQLite writers never overlap (BEGIN IMMEDIATE),
so the same rule is checked one after the other."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from jiaoyan.training import services
from jiaoyan.training.models import Enrolment, Programme

from .conftest import make_programme


@pytest.fixture
def seeded(transactional_db):
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)
    yield


def _check(p: Programme, results: dict[str, str]) -> None:
    assert sorted(results.values()) == ["enrolled", "waitlisted"], results
    assert Enrolment.objects.filter(programme=p, status="enrolled").count() == 2
    assert Enrolment.objects.filter(programme=p, status="waitlisted").count() == 1
    p.refresh_from_db()
    assert (p.enrolled_count, p.waitlist_count) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_last_seat_goes_to_exactly_one_of_two_concurrent_enrolments(seeded, world):
    p = make_programme(world, capacity=2)
    services.enrol(actor=world.users["counsellor"], programme=p)  # 1 of 2 taken
    results: dict[str, str] = {}
    if connection.vendor != "postgresql":
        for name in ("teacher", "principal"):
            results[name] = services.enrol(actor=world.users[name], programme=p).status
        _check(p, results)
        return
    barrier = threading.Barrier(2)

    def attempt(name):
        try:
            barrier.wait(timeout=10)
            results[name] = services.enrol(actor=world.users[name], programme=p).status
        except Exception as e:
            results[name] = repr(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("teacher", "principal")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    _check(p, results)
    # The one enrolled withdraws: the one waiting moves up, in the same transaction.
    first = Enrolment.objects.get(programme=p, person__user=world.users["counsellor"])
    services.withdraw(actor=world.users["counsellor"], enrolment=first)
    assert not Enrolment.objects.filter(programme=p, status="waitlisted").exists()
    assert Enrolment.objects.filter(programme=p, status="enrolled").count() == 2
