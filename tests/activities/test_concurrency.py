"""Two people taking the last seat at the same moment: exactly one gets it.

On PostgreSQL two threads (two connections) register at once, synchronised by a barrier;
the venue row lock (select_for_update) makes the second wait and then find the venue
full. On SQLite there are no row locks, but every transaction starts with BEGIN IMMEDIATE
(settings.SQLITE_OPTIONS), taking the single database write lock: two registrations can
never overlap, so there is no race to test (and the in-memory test database is one
connection); there the same rule is checked sequentially.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from jiaoyan.activities import services
from jiaoyan.activities.models import Participation
from jiaoyan.core.errors import ServiceError

from .conftest import main_venue, make_activity


def _reseed():
    """A transactional test that ran before this one flushed the database, the seeded
    stages and subjects (a data migration) with it: put them back."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)


@pytest.fixture
def seeded(transactional_db):
    _reseed()
    yield


def _open_activity(world, capacity):
    researcher = world.users["district_researcher"]
    a = make_activity(world, registration="open", venue_capacity=capacity)
    ids = [world.people[k].pk for k in ("teacher", "principal", "counsellor")]
    services.invite(actor=researcher, activity=a, person_ids=ids, audience_only=True)
    return services.publish_activity(actor=researcher, activity=a)


@pytest.mark.django_db(transaction=True)
def test_last_seat_goes_to_exactly_one_of_two_concurrent_registrations(seeded, world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no concurrent race")
    a = _open_activity(world, capacity=2)
    venue = main_venue(a)
    services.register(actor=world.users["counsellor"], activity=a, venue=venue)  # 1 of 2 taken
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def attempt(name):
        try:
            barrier.wait(timeout=10)
            services.register(actor=world.users[name], activity=a, venue=venue)
            results[name] = "ok"
        except ServiceError as e:
            results[name] = e.text
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("teacher", "principal")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()).count("ok") == 1, results
    assert any("满" in v for v in results.values()), results
    assert Participation.objects.filter(venue=venue, status__in=services.ACTIVE).count() == 2
    a.refresh_from_db()
    assert a.participant_count == 2


def test_capacity_is_enforced_sequentially_too(world):
    a = _open_activity(world, capacity=1)
    venue = main_venue(a)
    services.register(actor=world.users["teacher"], activity=a, venue=venue)
    with pytest.raises(ServiceError):
        services.register(actor=world.users["principal"], activity=a, venue=venue)
    # Moving to another venue with room works; the freed seat can then be taken.
    sub = services.add_venue(
        actor=world.users["district_researcher"],
        activity=a,
        name="线上",
        online_url="https://meet.example.org/x",
    )
    services.register(actor=world.users["teacher"], activity=a, venue=sub)
    services.register(actor=world.users["principal"], activity=a, venue=venue)
    assert Participation.objects.filter(venue=venue).count() == 1
