"""The job runner: progress and heartbeats, outcomes and their messages, the sweep of dead
workers' jobs, periodic scheduling, and the scope of the progress fragment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from jiaoyan.core import jobs
from jiaoyan.core.models import Job
from tests.core import job_kinds  # noqa: F401  (the test kinds)

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _start(world, kind="tests.steps", **params) -> Job:
    return jobs.start_job(
        kind,
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei"],
        params=params,
    )


def test_a_job_records_progress_heartbeats_and_its_result(world):
    job = _start(world, steps=4)
    assert job.status == Job.Status.QUEUED and job.percent == 0 and job.max_attempts == 2
    with CaptureQueriesContext(connection) as q:
        assert jobs.execute(job.pk) == Job.Status.SUCCEEDED
    beats = [x["sql"] for x in q.captured_queries if "heartbeat_at" in x["sql"]]
    # Claimed, four progress calls, finished: each writes the heartbeat.
    assert len([s for s in beats if s.startswith("UPDATE")]) == 6
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result == {"steps": 4}
    assert job.phase == "done" and job.attempts == 1 and job.percent == 100
    assert job.started_at <= job.heartbeat_at == job.finished_at
    # Run once only: a second delivery of the task finds it finished.
    assert jobs.execute(job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 1


def test_progress_is_shown_while_running(world, client_for):
    job = _start(world)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, phase="counting", done=30, total=120
    )
    c = client_for(world.users["district_researcher"])
    html = c.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith(f'<div id="job-{job.pk}"')
    assert 'data-status="running"' in html and 'hx-trigger="every 1s"' in html
    assert "正在计数" in html and "30 / 120" in html and 'style="width: 25%"' in html
    page = c.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "<html" in page and "分步任务" in page and "30 / 120" in page


def test_a_failure_keeps_a_message_for_people(world, client_for):
    failed = _start(world, fail=True)
    assert jobs.execute(failed.pk) == Job.Status.FAILED
    failed.refresh_from_db()
    assert failed.message == "第三步的数据不完整。" and failed.finished_at is not None
    crashed = _start(world, crash=True)
    assert jobs.execute(crashed.pk) == Job.Status.FAILED
    crashed.refresh_from_db()
    assert crashed.message.startswith("任务意外失败。参考编号：") and "boom" not in crashed.message
    html = (
        client_for(world.users["district_researcher"])
        .get(f"/jobs/{failed.pk}/progress/?was=active", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'data-status="failed"' in html and "第三步的数据不完整。" in html
    assert "hx-trigger" not in html and "bg-danger" in html


def test_a_cancelled_job_stops_at_its_next_progress_call(world):
    job = _start(world)
    assert jobs.cancel(job)
    assert jobs.execute(job.pk) == Job.Status.CANCELLED  # never claimed
    running = _start(world)
    claimed = jobs._claim(running.pk)
    jobs.cancel(claimed)
    with pytest.raises(jobs.JobLost):
        jobs.Progress(claimed)("counting", 1, 3)
    assert not jobs.cancel(claimed)  # finished already


def _running(world, *, heartbeat: dt.datetime, attempts=1, max_attempts=2) -> Job:
    job = _start(world)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=attempts,
        max_attempts=max_attempts,
        started_at=heartbeat,
        heartbeat_at=heartbeat,
        phase="counting",
    )
    return job


@override_settings(TASKS=DUMMY)
def test_the_sweep_retries_then_fails_dead_jobs(world, django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    default_task_backend.clear()
    dead = _running(world, heartbeat=T0)
    alive = _running(world, heartbeat=T0 + dt.timedelta(seconds=100))
    with (
        time_machine.travel(T0 + dt.timedelta(seconds=121), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        out = jobs.sweep()
    assert out.retried == [dead.pk] and out.failed == []
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Job.Status.QUEUED and dead.heartbeat_at is None
    assert "已重新排队（第 2 次，共 2 次）" in dead.message
    assert alive.status == Job.Status.RUNNING
    assert [r.args for r in default_task_backend.results] == [[dead.pk]]

    # The worker of the old attempt comes back to life: its job is not its own any more.
    stale = Job(pk=dead.pk, attempts=1)
    with pytest.raises(jobs.JobLost):
        jobs.Progress(stale)("counting", 2, 3)

    # The second attempt dies too: given up, with a message.
    Job.objects.filter(pk=dead.pk).update(
        status=Job.Status.RUNNING, attempts=2, heartbeat_at=T0 + dt.timedelta(seconds=200)
    )
    with time_machine.travel(T0 + dt.timedelta(seconds=400), tick=False):
        out = jobs.sweep()
    assert out.failed == [dead.pk] and out.retried == [alive.pk]  # alive died meanwhile
    dead.refresh_from_db()
    assert dead.status == Job.Status.FAILED and dead.finished_at is not None
    assert dead.message == "后台任务进程在运行此任务时停止了 2 次，任务已放弃。请重新发起。"
    # Idempotent: nothing left to sweep.
    with time_machine.travel(T0 + dt.timedelta(seconds=400), tick=False):
        again = jobs.sweep()
    assert not again.retried and not again.failed


def test_the_threshold_is_a_parameter(world):
    job = _running(world, heartbeat=timezone.now() - dt.timedelta(seconds=30), max_attempts=1)
    assert not jobs.sweep().failed
    assert jobs.sweep(stale_after=10).failed == [job.pk]


def test_the_sweep_command(world, capsys):
    from django.core.management import call_command

    job = _running(world, heartbeat=timezone.now() - dt.timedelta(hours=1), max_attempts=1)
    call_command("jobs", "sweep")
    assert "已标记失败 1 个任务" in capsys.readouterr().out
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


@override_settings(TASKS=DUMMY)
def test_periodic_jobs_are_started_when_due_and_not_before(db):
    with time_machine.travel(T0, tick=False):
        assert "core.sweep" in jobs.schedule_due()
        assert "core.sweep" not in jobs.schedule_due()  # queued, not run yet
        Job.objects.filter(kind="core.sweep").update(status=Job.Status.SUCCEEDED)
        assert "core.sweep" not in jobs.schedule_due()  # ran within the minute
    with time_machine.travel(T0 + dt.timedelta(minutes=1, seconds=1), tick=False):
        assert "core.sweep" in jobs.schedule_due()
    assert Job.objects.filter(kind="core.sweep").count() == 2


def test_the_progress_page_is_scoped(world, client_for):
    job = _start(world)
    url = f"/jobs/{job.pk}/progress/"
    # Who started it, and the admins above its unit, see it.
    assert client_for(world.users["district_researcher"]).get(url).status_code == 200
    assert client_for(world.users["city_admin"]).get(url).status_code == 200
    # Another district's admin, and people of the unit who did not start it, do not.
    assert client_for(world.users["outsider"]).get(url).status_code == 404
    assert client_for(world.users["teacher"]).get(url).status_code == 404
    assert client_for(world.users["outsider"]).get("/jobs/999999/progress/").status_code == 404
    assert Client().get(url).status_code == 302  # to the log-in page


@override_settings(TASKS=DUMMY)
def test_the_sweep_job_prunes_old_runs_of_periodic_work(world):
    old = Job.objects.create(kind="core.sweep", status=Job.Status.SUCCEEDED, created_at=T0)
    mine = _start(world)
    Job.objects.filter(pk=mine.pk).update(status=Job.Status.SUCCEEDED, created_at=T0)
    with time_machine.travel(T0 + dt.timedelta(days=8), tick=False):
        recent = jobs.start_job("core.sweep")
        assert jobs.execute(recent.pk) == Job.Status.SUCCEEDED
    recent.refresh_from_db()
    assert recent.result == {"retried": [], "failed": [], "pruned": 1}
    assert not Job.objects.filter(pk=old.pk).exists()
    assert Job.objects.filter(pk=mine.pk).exists()  # not periodic work: kept
