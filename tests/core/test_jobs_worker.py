"""A real task worker killed in the middle of a job: the sweep finds the job by its stale
heartbeat, queues it again, and a new worker finishes it; the progress fragment shows
each state.

The worker is a separate process (``db_worker`` of django-tasks-db) on a database both
processes reach: the PostgreSQL test database as it is, or, on SQLite, a file copy of the
in-memory test database (copied there before a worker starts and back after it stops).
Nothing waits blindly: the test polls the job's row, with a deadline, for the state it
needs, and the job's task waits for a file the test controls.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import override_settings

from jiaoyan.core import jobs
from jiaoyan.core.models import Job
from tests.core import job_kinds  # noqa: F401  (the "tests.wait" kind)

ROOT = Path(settings.ROOT_DIR)
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DEADLINE = 240  # seconds: a bound on each wait (a loaded machine), never relied on

WORKER = """
import django, sys
django.setup()
from django.conf import settings
settings.JOBS_HEARTBEAT_SECONDS = 0.2
import tests.core.job_kinds
from django.core.management import call_command
call_command("db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload", "-v", "0")
"""


class SharedDatabase:
    """The database a worker process can open, and how this process reads it meanwhile."""

    def __init__(self, tmp_path: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp_path / "worker.sqlite3"
        if self.sqlite:
            self.url = f"sqlite:///{self.file}"
        else:
            s = connection.settings_dict
            auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
            self.url = (
                f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
            )

    def publish(self) -> None:
        """Before a worker starts: it sees what this process committed."""
        if self.sqlite:
            connection.ensure_connection()
            self.file.unlink(missing_ok=True)
            with sqlite3.connect(self.file) as dst:
                connection.connection.backup(dst)

    def collect(self) -> None:
        """After the worker stopped: this process sees what it wrote."""
        if self.sqlite:
            src = sqlite3.connect(self.file)
            try:
                src.backup(connection.connection)
            finally:
                src.close()

    def row(self, pk: int) -> dict:
        """The job's row as the worker left it, read while the worker runs."""
        cols = ("status", "phase", "done", "total", "attempts", "heartbeat_at", "started_at")
        if not self.sqlite:
            return Job.objects.filter(pk=pk).values(*cols).get()
        with sqlite3.connect(self.file, timeout=20) as db:
            values = db.execute(f"SELECT {', '.join(cols)} FROM core_job WHERE id = ?", (pk,))
            return dict(zip(cols, values.fetchone(), strict=True))


def start_worker(db: SharedDatabase) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.url,
        DJANGO_SETTINGS_MODULE="jiaoyan.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),  # where this process stored the uploads
    )
    return subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for(db: SharedDatabase, pk: int, worker: subprocess.Popen, ready) -> dict:
    """Poll the job's row until ``ready(row)``; fail (with the worker's stderr) if the
    worker exits or the deadline passes."""
    deadline = time.monotonic() + DEADLINE
    pause = threading.Event()
    while True:
        row = db.row(pk)
        if ready(row):
            return row
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early: {worker.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"no such state within {DEADLINE}s: {row}")
        pause.wait(0.05)


def stop(worker: subprocess.Popen, sig: int) -> None:
    os.killpg(worker.pid, sig)
    worker.wait(timeout=DEADLINE)
    worker.stderr.close()


@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_job_is_retried_and_finished_by_the_next(world, client_for, tmp_path):
    db = SharedDatabase(tmp_path)
    release = tmp_path / "release"
    admin = world.users["city_admin"]
    with override_settings(TASKS=DB_TASKS), transaction.atomic():
        job = jobs.start_job(
            "tests.wait",
            actor=world.users["district_researcher"],
            org_unit=world.units["linwei"],
            params={"release": str(release)},
        )
    assert job.max_attempts == 2

    # A worker takes the job; its heartbeat thread beats while the task waits.
    db.publish()
    worker = start_worker(db)
    try:
        first = wait_for(db, job.pk, worker, lambda r: r["phase"] == "waiting")
        assert first["status"] == "running" and first["attempts"] == 1
        wait_for(db, job.pk, worker, lambda r: r["heartbeat_at"] != first["heartbeat_at"])
    finally:
        stop(worker, signal.SIGKILL)  # the machine dies: no cleanup runs in the worker
    assert worker.returncode == -signal.SIGKILL
    db.collect()

    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.heartbeat_at is not None
    # Right after the death the heartbeat is fresh: the sweep leaves the job alone.
    assert not jobs.sweep().retried
    # Later the heartbeat is stale: the job is queued again, with a message in Chinese.
    later = job.heartbeat_at + dt.timedelta(seconds=jobs.stale_seconds() + 1)
    with time_machine.travel(later, tick=False), override_settings(TASKS=DB_TASKS):
        swept = jobs.sweep()
    assert swept.retried == [job.pk] and not swept.failed
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.attempts == 1
    assert job.message == "后台任务进程在运行此任务时停止；任务已重新排队（第 2 次，共 2 次）。"

    html = client_for(admin).get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    text = html.content.decode()
    assert 'data-status="queued"' in text and "已重新排队（第 2 次，共 2 次）" in text
    assert 'hx-trigger="every 1s"' in text

    # The next worker runs it again; released this time, it finishes.
    release.touch()
    db.publish()
    worker = start_worker(db)
    try:
        wait_for(db, job.pk, worker, lambda r: r["status"] == "succeeded")
    finally:
        stop(worker, signal.SIGTERM)
    db.collect()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2
    assert job.result == {"released": True} and job.finished_at is not None
    polled = client_for(admin).get(f"/jobs/{job.pk}/progress/?was=active", HTTP_HX_REQUEST="true")
    assert 'data-status="succeeded"' in polled.content.decode()
    assert polled["HX-Refresh"] == "true"
