"""A task worker killed with SIGKILL in the middle of a real import's write loses nothing:
the database holds none of the half-written rows, the sweep finds the job by its stale
heartbeat and queues it again, and the next worker imports every row exactly once.
(The analysis and the brief's document: ``tests/quality`` and ``tests/ledger``'s
``test_crash_safety``, with :func:`kill_while_held` below.)

The worker is a real process on a database both reach (see ``test_jobs_worker``). The
kill happens only once the import is inside its write transaction, which the test sees
from outside: on PostgreSQL a backend of the test database holds a transaction that has
written (``backend_xid``) for a while; on SQLite another connection cannot take the write
lock for a while.
"""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import time_machine
from django.db import transaction
from django.test.utils import override_settings

from jiaoyan.core import imports, jobs
from jiaoyan.core.models import Job
from jiaoyan.people.models import Person
from tests.people.test_people_import_writes import sheet as people_sheet

from .test_jobs_worker import DB_TASKS, DEADLINE, SharedDatabase, start_worker, stop, wait_for

ROWS = 30_000


def _sheet(unit_code: str) -> bytes:
    return people_sheet(
        [f"K{i:06d}", f"测试教师{i}", "女" if i % 2 else "男", "", unit_code, "教师"]
        for i in range(1, ROWS + 1)
    )


def _persons(db: SharedDatabase) -> int:
    if not db.sqlite:
        return Person.objects.count()
    with sqlite3.connect(db.file, timeout=20) as conn:
        return conn.execute("SELECT COUNT(*) FROM people_person").fetchone()[0]


def _writing(db: SharedDatabase) -> bool:
    """Whether some other connection is inside a write transaction right now."""
    if db.sqlite:
        conn = sqlite3.connect(db.file, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    with psycopg.connect(db.url.replace("postgres://", "postgresql://"), autocommit=True) as c:
        (n,) = c.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        ).fetchone()
        return n > 0


def _pg(db: SharedDatabase) -> psycopg.Connection:
    return psycopg.connect(db.url.replace("postgres://", "postgresql://"))


@contextmanager
def held(db: SharedDatabase, table: str) -> Iterator[None]:
    """Writes held from outside the worker while inside: on PostgreSQL to ``table`` (an
    EXCLUSIVE lock: reads go on, the worker's first write of it waits — inside the
    worker's transaction when it has one); on SQLite to the whole database (its write
    lock: with WAL reads go on, the worker's next write of anything waits)."""
    if db.sqlite:
        conn = sqlite3.connect(db.file, timeout=DEADLINE, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    else:
        conn = _pg(db)
        conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def _waiting_on(db: SharedDatabase, table: str) -> tuple[int, bool] | None:
    """PostgreSQL: the backend waiting for a lock to write ``table`` — its pid, and
    whether its transaction has written already — or None."""
    with _pg(db) as c:
        return c.execute(
            "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock' AND query ILIKE %s",
            (f"%{table}%",),
        ).fetchone()


def _backend_gone(db: SharedDatabase, pid: int) -> None:
    """Wait until the killed worker's backend has noticed and rolled back."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        with _pg(db) as c:
            if not c.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
        time.sleep(0.05)
    pytest.fail(f"the killed worker's backend {pid} is still there")


def kill_while_held(db: SharedDatabase, job_pk: int, table: str) -> dict:
    """Run the job in a worker and SIGKILL it where it cannot have finished: on
    PostgreSQL once its backend waits to write ``table`` (held from before the worker
    starts); on SQLite once the worker has claimed the job and the test holds the
    database's write lock (the worker stops at its next write, wherever that is).
    Returns what the kill found: the job's row, and on PostgreSQL ``written`` (whether
    the worker's transaction had written before it waited)."""
    db.publish()
    if db.sqlite:
        worker = start_worker(db)
        try:
            wait_for(db, job_pk, worker, lambda r: r["status"] != "queued")
            with held(db, table):
                row = db.row(job_pk)
                if row["status"] != "running":  # from its start to its end between two polls
                    pytest.fail(f"the job finished before it could be held: {row}")
                stop(worker, signal.SIGKILL)
        finally:
            if worker.poll() is None:
                stop(worker, signal.SIGKILL)
        assert worker.returncode == -signal.SIGKILL
        db.collect()
        return row
    with held(db, table):
        worker = start_worker(db)
        try:
            waiting = None
            deadline = time.monotonic() + DEADLINE
            while waiting is None:
                row = db.row(job_pk)
                if row["status"] != "running" and row["attempts"]:
                    pytest.fail(f"the job finished though {table} was held: {row}")
                if worker.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the worker never waited to write {table}: {row}")
                waiting = _waiting_on(db, table)
                time.sleep(0.02)
            row = db.row(job_pk)
            stop(worker, signal.SIGKILL)
        finally:
            if worker.poll() is None:
                stop(worker, signal.SIGKILL)
    assert worker.returncode == -signal.SIGKILL
    _backend_gone(db, waiting[0])
    return {**row, "written": waiting[1]}


def retry_after_death(job_pk: int) -> None:
    """The sweep, once the dead worker's heartbeat is stale, queues the job again."""
    job = Job.objects.get(pk=job_pk)
    assert job.status == Job.Status.RUNNING and job.attempts == 1
    later = job.heartbeat_at + dt.timedelta(seconds=jobs.stale_seconds() + 1)
    with time_machine.travel(later, tick=False), override_settings(TASKS=DB_TASKS):
        assert jobs.sweep().retried == [job_pk]
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.message == "后台任务进程在运行此任务时停止；任务已重新排队（第 2 次，共 2 次）。"


def run_to_the_end(db: SharedDatabase, job_pk: int) -> Job:
    """A new worker runs the queued job until it finishes."""
    db.publish()
    worker = start_worker(db)
    try:
        wait_for(db, job_pk, worker, lambda r: r["status"] in ("succeeded", "failed"))
    finally:
        stop(worker, signal.SIGTERM)
    db.collect()
    return Job.objects.get(pk=job_pk)


def _inside_the_write(db: SharedDatabase, job_pk: int, worker) -> None:
    """Wait until the import has been inside its write transaction for 0.3 s."""
    wait_for(db, job_pk, worker, lambda r: r["phase"] == "writing")
    deadline = time.monotonic() + DEADLINE
    since = None
    while time.monotonic() < deadline:
        if _writing(db):
            since = since or time.monotonic()
            if time.monotonic() - since >= 0.3:
                return
        else:
            since = None
            row = db.row(job_pk)
            if row["status"] != "running":
                pytest.fail(f"the import finished before it could be interrupted: {row}")
        time.sleep(0.02)
    pytest.fail("the import never held its write transaction")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_inside_an_import_writes_nothing_and_the_rerun_completes(world, tmp_path):
    db = SharedDatabase(tmp_path)
    before = Person.objects.count()
    school = world.schools["school_a"].org_unit
    with override_settings(TASKS=DB_TASKS), transaction.atomic():
        imp = imports.start_import(
            actor=world.users["city_admin"],
            kind="people",
            filename="教职工.xlsx",
            data=_sheet(school.code),
        )
    job_pk = imp.job_id

    db.publish()
    worker = start_worker(db)
    try:
        _inside_the_write(db, job_pk, worker)
    finally:
        stop(worker, signal.SIGKILL)
    assert worker.returncode == -signal.SIGKILL
    # Nothing of the interrupted transaction is in the database.
    assert _persons(db) == before
    db.collect()
    assert Person.objects.count() == before

    assert Job.objects.get(pk=job_pk).phase == "writing"
    retry_after_death(job_pk)

    job = run_to_the_end(db, job_pk)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.attempts == 2 and job.result["created"] == ROWS
    assert Person.objects.count() == before + ROWS
    assert (
        Person.objects.filter(staff_no__startswith="K").values("staff_no").distinct().count()
        == ROWS
    )
