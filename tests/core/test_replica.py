"""The read replica (core/dbrouter.py).

Without ``DATABASE_REPLICA_URL`` the router changes nothing (every run). With it — `.ci/run`
starts a real streaming replica of this machine's PostgreSQL (``scripts/pg-replica``) for
its PostgreSQL run — the tests below point the ``replica`` alias at that server: marked
pages read from it, a browser that has just written reads the primary, and a replica that
is down or lagging is passed over without the user noticing.
"""

from __future__ import annotations

import os
import time

import dj_database_url
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiaoyan.core import dbrouter
from jiaoyan.core.models import Job
from jiaoyan.people.models import Person

STATS = "/activities/stats/"


def test_without_a_replica_everything_reads_the_primary(world, client_for):
    if dbrouter.configured():
        pytest.skip("a replica is configured in this run")
    router = dbrouter.ReplicaRouter()
    with dbrouter.reading_replica():
        assert router.db_for_read(Person) is None
    assert router.db_for_write(Person) == "default"
    client = client_for(world.users["city_admin"])
    resp = client.get(STATS)
    assert resp.status_code == 200
    post = client.post("/i18n/setlang/", {"language": "zh-hans"})
    assert dbrouter.PIN_COOKIE not in post.cookies


def test_the_replica_is_never_migrated_nor_written():
    router = dbrouter.ReplicaRouter()
    assert router.allow_migrate("replica", "people") is False
    assert router.allow_migrate("default", "people") is True
    with dbrouter.reading_replica():
        assert router.db_for_write(Person) == "default"


# --- against the real replica ----------------------------------------------------------

needs_replica = pytest.mark.skipif(
    not os.environ.get("DATABASE_REPLICA_URL")
    or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="no streaming replica in this run (.ci/run starts one for PostgreSQL)",
)


@pytest.fixture
def replica(settings):
    """The ``replica`` alias on the real streaming replica, reading the test database
    (created on the primary, so streamed to the replica like everything else)."""
    url = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])
    conn = connections["replica"]
    mirrored = conn.settings_dict
    conn.close()
    conn.settings_dict = {
        **connections["default"].settings_dict,
        "HOST": url["HOST"],
        "PORT": url["PORT"],
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"connect_timeout": 2},
    }
    dbrouter.forget_state()
    yield conn
    conn.close()
    conn.settings_dict = mirrored
    dbrouter.forget_state()


def _caught_up(conn, seconds: float = 20) -> None:
    """Wait until the replica has replayed everything the primary has committed."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail("the replica did not catch up")


def _reads(client, url):
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        resp = client.get(url)
    return resp, len(on_replica), len(on_primary)


@needs_replica
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_report_reads_the_replica_and_a_writer_reads_the_primary(world, replica):
    client = Client()
    client.force_login(world.users["city_admin"])
    _caught_up(replica)
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True  # a standby: it refuses writes
    resp, on_replica, on_primary = _reads(client, STATS)
    assert resp.status_code == 200
    assert on_replica >= 3, "the statistics were not read from the replica"
    assert on_primary <= 3  # the session and the account only
    # A list page that is not marked reads the primary …
    _resp, on_replica, _ = _reads(client, "/people/")
    assert on_replica == 0
    # … and so does the report right after this browser wrote something.
    assert client.post("/i18n/setlang/", {"language": "zh-hans"}).status_code == 302
    resp, on_replica, on_primary = _reads(client, STATS)
    assert resp.status_code == 200 and on_replica == 0 and on_primary >= 3


@needs_replica
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_replica_that_is_down_or_lagging_is_passed_over(world, replica, settings):
    client = Client()
    client.force_login(world.users["city_admin"])
    _caught_up(replica)
    Job.objects.create(kind="core.sweep", status=Job.Status.SUCCEEDED)
    # Lagging beyond the threshold (any lag at all is too much at -1 s).
    settings.REPLICA_MAX_LAG = -1
    dbrouter.forget_state()
    resp, on_replica, _ = _reads(client, STATS)
    assert resp.status_code == 200 and on_replica == 1  # the lag probe only
    health = client.get("/healthz").json()
    assert health["checks"]["replica"]["ok"] is False
    # Down: nothing listens where the replica should be.
    settings.REPLICA_MAX_LAG = 10
    replica.close()
    replica.settings_dict = {**replica.settings_dict, "PORT": 1}
    dbrouter.forget_state()
    resp = client.get(STATS)
    assert resp.status_code == 200
    health = client.get("/healthz").json()
    assert health["checks"]["replica"] == {"configured": True, "ok": False, "lag_seconds": None}
    assert health["status"] == "degraded" and health["checks"]["database"]["ok"]


@needs_replica
def test_the_replica_alias_mirrors_the_primary_in_the_rest_of_the_suite():
    assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
