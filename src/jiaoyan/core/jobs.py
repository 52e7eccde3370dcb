"""Background jobs: one record (:class:`~jiaoyan.core.models.Job`) and one runner for all
background work — imports, an exam's analysis, value-added figures, documents, the
periodic sweeps.

A module declares a kind of job with :func:`job_kind` (in its ``tasks.py``, which core
imports at start-up, so every worker knows every kind)::

    @job_kind("quality.analysis", label=_lazy("Exam analysis"), phases={...})
    def analyse(job: Job, progress: Progress) -> dict | None:
        progress("reading", 0, 0)
        ...
        return {"rows": n}            # stored as ``job.result``

and a service starts one with :func:`start_job` (the record is written in the caller's
transaction; the task is queued when it commits). The worker's task, :func:`run_job`,
claims the job, marks it running, writes a heartbeat at every progress call and at least
every ``JOBS_HEARTBEAT_SECONDS`` from a thread beside the work, and records success or
failure with a message in the language of the one who started it. A handler raises
:class:`JobError` with a message for people (and optionally a result) to fail cleanly.

:func:`sweep` — run by ``jiaoyan jobs sweep`` and scheduled every minute — finds running
jobs whose heartbeat is older than ``JOBS_STALE_SECONDS`` (their worker died: killed,
out of memory, the machine restarted) and queues them again while attempts remain, or
marks them failed. Periodic work (:func:`periodic`) is started by ``jiaoyan jobs
schedule`` (``--loop`` beside the worker in ``jiaoyan serve``), never by a page view;
work that follows a change of another module's data (:func:`on_change`) is started by
the write that changed it (a new version of a ``core.stamps`` key).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_tasks import task

from . import context
from .models import Job

log = logging.getLogger(__name__)

#: A running job's worker writes a heartbeat at least this often (seconds).
HEARTBEAT_SECONDS = 10
#: A running job whose last heartbeat is older than this (seconds) is dead.
STALE_SECONDS = 120


def heartbeat_seconds() -> float:
    return float(getattr(settings, "JOBS_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))


def stale_seconds() -> float:
    return float(getattr(settings, "JOBS_STALE_SECONDS", STALE_SECONDS))


# --- kinds -----------------------------------------------------------------------------


Handler = Callable[["Job", "Progress"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class JobKind:
    """A kind of background work: its handler, its label and the labels of its phases."""

    name: str
    label: Any
    run: Handler
    phases: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 2
    # Called (in the sweep's transaction) when a dead job of this kind is failed for good.
    on_abandoned: Callable[[Job], None] | None = None
    # How far a running job is (0–99), when its phases weigh differently; default done/total.
    percent: Callable[[Job], int] | None = None
    # One line under the bar while it runs ("2000 / 8000 rows checked"); default "done / total".
    detail: Callable[[Job], str] | None = None


_kinds: dict[str, JobKind] = {}


def job_kind(
    name: str,
    *,
    label: Any,
    phases: dict[str, Any] | None = None,
    max_attempts: int = 2,
    on_abandoned: Callable[[Job], None] | None = None,
    percent: Callable[[Job], int] | None = None,
    detail: Callable[[Job], str] | None = None,
) -> Callable[[Handler], Handler]:
    """Decorator: register ``fn(job, progress)`` as the handler of jobs of kind ``name``."""

    def register(fn: Handler) -> Handler:
        _kinds[name] = JobKind(
            name,
            label,
            fn,
            dict(phases or {}),
            max_attempts,
            on_abandoned=on_abandoned,
            percent=percent,
            detail=detail,
        )
        return fn

    return register


def find_kind(name: str) -> JobKind | None:
    return _kinds.get(name)


def get_kind(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"unknown job kind {name!r}") from None


def kind_label(name: str) -> str:
    kind = _kinds.get(name)
    return str(kind.label) if kind is not None else name


def phase_label(name: str, phase: str) -> str:
    kind = _kinds.get(name)
    if kind is not None and phase in kind.phases:
        return str(kind.phases[phase])
    if phase in _COMMON_PHASES:
        return str(_COMMON_PHASES[phase])
    return _(phase)  # a phase given as a message id (gettext_noop) by its handler


_COMMON_PHASES = {
    "": _lazy("Waiting for the background worker…"),
    "done": _lazy("Done"),
}


# --- starting ----------------------------------------------------------------------------


def start_job(
    kind: str,
    *,
    actor=None,
    org_unit=None,
    params: dict | None = None,
    max_attempts: int | None = None,
    defer: bool = True,
) -> Job:
    """Write a queued job of ``kind`` and queue its task when the caller's transaction
    commits (at once outside one). ``actor`` is who started it (None for scheduled work),
    ``org_unit`` (a unit or its id) whose work it is: its admins see the job too.

    ``defer=False`` queues it now, inside the caller's transaction: with the database
    queue the task row commits with the job; with the immediate queue (tests, no worker)
    the job runs before this returns."""
    spec = get_kind(kind)
    job = Job.objects.create(
        kind=kind,
        params=params or {},
        created_by=actor if getattr(actor, "pk", None) else None,
        org_unit_id=getattr(org_unit, "pk", org_unit),
        max_attempts=max_attempts or spec.max_attempts,
    )
    job_id = job.pk
    if defer:
        transaction.on_commit(lambda: run_job.enqueue(job_id))
    else:
        run_job.enqueue(job_id)
        job.refresh_from_db()
    return job


# --- running ---------------------------------------------------------------------------


class JobError(Exception):
    """A job failed for a reason people should read (``message``, already translated);
    ``result`` is stored as the job's result (an import's report)."""

    def __init__(self, message: str, *, result: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


class JobLost(Exception):
    """The job is no longer this worker's: cancelled, or handed to another attempt."""


class Progress:
    """What a handler calls to report progress: ``progress(phase, done, total)``.

    Every call writes the phase, the counts and a heartbeat. When the job is no longer
    running under this attempt (cancelled, or the sweep gave it to another worker), the
    call raises :class:`JobLost` and the handler stops there.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.attempt = job.attempts

    def __call__(self, phase: str, done: int = 0, total: int = 0, *, message: str = "") -> None:
        fields: dict[str, Any] = {"phase": phase, "heartbeat_at": timezone.now()}
        if total or done:
            fields.update(done=done, total=total)
        if message:
            fields["message"] = message[:500]
        n = Job.objects.filter(
            pk=self.job.pk, status=Job.Status.RUNNING, attempts=self.attempt
        ).update(**fields)
        if not n:
            raise JobLost(self.job.pk)
        self.job.phase = phase


class _Heartbeat:
    """A thread writing the job's heartbeat every ``every`` seconds while the handler
    works, so a long step between two progress calls does not look like a dead worker.

    Not started when the handler runs inside a transaction (the immediate backend of the
    tests and of synchronous callers): the thread's connection would wait on its locks.
    """

    def __init__(self, job: Job, every: float) -> None:
        self.job_id = job.pk
        self.attempt = job.attempts
        self.every = every
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.every <= 0 or connection.in_atomic_block:
            return
        self.thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
        self.thread.start()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    Job.objects.filter(
                        pk=self.job_id, status=Job.Status.RUNNING, attempts=self.attempt
                    ).update(heartbeat_at=timezone.now())
                except Exception:  # a missed beat (a locked database): try the next one
                    log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()


def _claim(job_id: int) -> Job | None:
    """Mark a queued job running under a new attempt; None when it is not queued."""
    now = timezone.now()
    n = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=F("attempts") + 1,
        phase="",
        done=0,
        total=0,
    )
    if not n:
        return None
    return Job.objects.select_related("created_by").get(pk=job_id)


def _language(job: Job) -> str:
    return getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE


def execute(job_id: int) -> str:
    """Run one queued job in this process and return its final status (what the task
    does; also what a test or the command line calls)."""
    job = _claim(job_id)
    if job is None:
        return Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    spec = _kinds.get(job.kind)
    heart = _Heartbeat(job, heartbeat_seconds())
    with context.write_context("task") as ctx, translation.override(_language(job)):
        heart.start()
        result: dict | None = None
        try:
            if spec is None:
                raise JobError(_("This kind of job is not known to this version."))
            result = spec.run(job, Progress(job))
            status, message = Job.Status.SUCCEEDED, ""
        except JobLost:
            return Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
        except JobError as e:
            status, message, result = Job.Status.FAILED, e.message, e.result
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.kind)
            status = Job.Status.FAILED
            message = _("The job failed unexpectedly. Reference: %(ref)s") % {
                "ref": ctx.request_id[:12]
            }
        finally:
            heart.stop()
        now = timezone.now()
        fields: dict[str, Any] = {
            "status": status,
            "finished_at": now,
            "heartbeat_at": now,
            "phase": "done" if status == Job.Status.SUCCEEDED else F("phase"),
        }
        if message or status == Job.Status.SUCCEEDED:
            fields["message"] = message[:500]
        if result is not None:
            fields["result"] = result
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=job.attempts).update(
            **fields
        )
    return status


@task()
def run_job(job_id: int) -> str:
    """Background task: run one job (see :func:`execute`)."""
    return execute(job_id)


def cancel(job: Job) -> bool:
    """Cancel a job not yet finished; a running handler stops at its next progress call."""
    n = (
        Job.objects.filter(pk=job.pk)
        .exclude(status__in=Job.FINISHED)
        .update(status=Job.Status.CANCELLED, finished_at=timezone.now())
    )
    return bool(n)


# --- the sweep -------------------------------------------------------------------------


@dataclass
class SweepResult:
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def dead_jobs(*, now: dt.datetime | None = None, stale_after: float | None = None):
    """Running jobs whose worker has not been heard of for ``stale_after`` seconds."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=stale_seconds() if stale_after is None else stale_after)
    return Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, started_at__lt=limit)
    )


def sweep(*, now: dt.datetime | None = None, stale_after: float | None = None) -> SweepResult:
    """Retry the jobs of dead workers while attempts remain, fail the others (each with a
    message for the one who started it). Idempotent: a job handled once is no longer
    running, and a worker that comes back to life finds its job gone (:class:`JobLost`)."""
    now = now or timezone.now()
    out = SweepResult()
    for job in dead_jobs(now=now, stale_after=stale_after).select_related("created_by"):
        with transaction.atomic(), translation.override(_language(job)):
            # Only if nothing moved since it was judged dead (a heartbeat that lands
            # meanwhile, e.g. once a long write commits, keeps the job its worker's).
            still = Job.objects.filter(
                pk=job.pk,
                status=Job.Status.RUNNING,
                attempts=job.attempts,
                heartbeat_at=job.heartbeat_at,
            )
            if job.attempts < job.max_attempts:
                message = _(
                    "The background worker stopped while running this job; "
                    "it is queued again (attempt %(next)d of %(max)d)."
                ) % {"next": job.attempts + 1, "max": job.max_attempts}
                if still.update(status=Job.Status.QUEUED, heartbeat_at=None, message=message):
                    job_id = job.pk
                    transaction.on_commit(lambda job_id=job_id: run_job.enqueue(job_id))
                    out.retried.append(job.pk)
            else:
                message = _(
                    "The background worker stopped while running this job, "
                    "%(n)d times; it was given up. Start it again."
                ) % {"n": job.attempts}
                if still.update(status=Job.Status.FAILED, finished_at=now, message=message):
                    spec = _kinds.get(job.kind)
                    if spec is not None and spec.on_abandoned is not None:
                        job.refresh_from_db()
                        spec.on_abandoned(job)
                    out.failed.append(job.pk)
    if out.retried or out.failed:
        log.warning("job sweep: retried %s, failed %s", out.retried, out.failed)
    return out


# --- periodic work ---------------------------------------------------------------------


@dataclass(frozen=True)
class Periodic:
    kind: str
    every: dt.timedelta


_periodic: dict[str, Periodic] = {}


def periodic(kind: str, *, every: dt.timedelta) -> None:
    """Declare that jobs of ``kind`` (a registered kind without parameters) run every
    ``every``: :func:`schedule_due` starts one when the last is older than that."""
    _periodic[kind] = Periodic(kind, every)


def schedule_due(*, now: dt.datetime | None = None) -> list[str]:
    """Start every periodic job whose last run is due (what ``jiaoyan jobs schedule``
    does, once a minute under ``--loop``). Returns the kinds started."""
    now = now or timezone.now()
    started = []
    for p in _periodic.values():
        last = Job.objects.filter(kind=p.kind).order_by("-created_at").first()
        if last is not None and (not last.is_finished and last.created_at > now - 4 * p.every):
            continue  # still queued or running (a stuck one is the sweep's business)
        if last is not None and last.created_at > now - p.every:
            continue
        with transaction.atomic():
            start_job(p.kind)
        started.append(p.kind)
    return started


@dataclass(frozen=True)
class _StartOnChange:
    """The listener :func:`on_change` declares (equal for the same kind: declared once)."""

    kind: str

    def __call__(self) -> None:
        if not Job.objects.filter(kind=self.kind, status=Job.Status.QUEUED).exists():
            start_job(self.kind)


def on_change(kind: str, *keys: str) -> None:
    """Declare that a job of ``kind`` (a registered kind without parameters) starts
    whenever one of the versions ``keys`` (``core.stamps``) changes: what a module keeps
    in tables from another module's data (the resources' month table, rolled up under the
    units' tree) is rebuilt after the write that changed it, without that module knowing.
    The job is written in the write's transaction and queued when it commits; none is
    added while one of the kind is still queued (it will read the data as they are then)."""
    from . import stamps

    for key in keys:
        stamps.on_bump(key, _StartOnChange(kind))


#: Finished runs of periodic work are kept this long (a sweep a minute adds up).
KEEP_PERIODIC = dt.timedelta(days=7)


def prune_periodic(*, now: dt.datetime | None = None) -> int:
    """Delete the finished runs of periodic work older than :data:`KEEP_PERIODIC`."""
    now = now or timezone.now()
    deleted, _rows = Job.objects.filter(
        kind__in=list(_periodic),
        status__in=list(Job.FINISHED),
        created_at__lt=now - KEEP_PERIODIC,
    ).delete()
    return deleted


@job_kind("core.sweep", label=_lazy("Sweep of stopped jobs"), max_attempts=1)
def _sweep_job(job: Job, progress: Progress) -> dict:
    out = sweep()
    return {"retried": out.retried, "failed": out.failed, "pruned": prune_periodic()}


periodic("core.sweep", every=dt.timedelta(minutes=1))


def close_connections() -> None:
    """Between two ticks of a long-running loop: drop connections past their age."""
    close_old_connections()
