"""Two schools of one county applying for the county's last place in a call at the same
moment: one application is stored, the other is refused (PostgreSQL: two threads, two
connections, a barrier; the call's row lock serialises them). On SQLite writers never
overlap, so the same rule is checked one after the other."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection, connections

from jiaoyan.core.errors import ServiceError
from jiaoyan.projects import services
from jiaoyan.projects.models import Project

from .conftest import apply, make_call


@pytest.fixture
def seeded(transactional_db):
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)
    yield


def _attempt(w, name, call, results, barrier=None):
    try:
        if barrier is not None:
            barrier.wait(timeout=10)
        results[name] = apply(w, call, actor=name, title=f"{name}的课题").status
    except ServiceError as e:
        results[name] = e.rule
    except Exception as e:  # pragma: no cover - reported by the assertion
        results[name] = repr(e)
    finally:
        if barrier is not None:
            connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_last_place_goes_to_one_of_two_concurrent_applications(seeded, world):
    w = world
    with time_machine.travel("2025-03-10 10:00", tick=True):
        call = make_call(w)
        services.set_call_quota(
            actor=w.users["city_admin"], call=call, unit=w.units["linwei"].pk, quota=1
        )
        results: dict[str, str] = {}
        if connection.vendor != "postgresql":
            for name in ("teacher", "principal"):
                _attempt(w, name, call, results)
        else:
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=_attempt, args=(w, n, call, results, barrier))
                for n in ("teacher", "principal")
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
    assert sorted(results.values()) == ["applied", "over_quota"], results
    assert Project.objects.filter(call=call).count() == 1


def _forward(w, project, results, barrier=None):
    try:
        if barrier is not None:
            barrier.wait(timeout=10)
        p = services.forward(actor=w.users["district_researcher"], project=project)
        results[project.title] = "forwarded" if p.forwarded_on else "?"
    except ServiceError as e:
        results[project.title] = e.rule
    except Exception as e:  # pragma: no cover - reported by the assertion
        results[project.title] = repr(e)
    finally:
        if barrier is not None:
            connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_the_countys_last_place_goes_to_one_of_two_concurrent_forwards(seeded, world):
    """区县推荐: the county forwards two applications at once with one place left: one
    is forwarded, the other refused (the call's row lock serialises them)."""
    w = world
    with time_machine.travel("2025-03-10 10:00", tick=True):
        call = make_call(w, forwarding=True)
        services.set_call_quota(
            actor=w.users["city_admin"], call=call, unit=w.units["linwei"].pk, quota=1
        )
        a = apply(w, call, actor="teacher", title="甲")
        b = apply(w, call, actor="principal", title="乙")
        results: dict[str, str] = {}
        if connection.vendor != "postgresql":
            for p in (a, b):
                _forward(w, p, results)
        else:
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=_forward, args=(w, p, results, barrier)) for p in (a, b)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
    assert sorted(results.values()) == ["forwarded", "over_quota"], results
    assert Project.objects.filter(call=call, forwarded_on__isnull=False).count() == 1
