"""jiaoyan jobs — background jobs from the command line.

``jiaoyan jobs sweep [--stale-after SECONDS]``: retry or fail the jobs whose worker died.
``jiaoyan jobs schedule [--loop]``: start the periodic jobs that are due (the sweep, the
ledger's reminders); with ``--loop`` keep doing so every ``--every`` seconds (``jiaoyan
serve`` runs it beside the task worker; under cron, call it without ``--loop``).
``jiaoyan jobs list``: the latest jobs and their state.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from jiaoyan.core import context, jobs
from jiaoyan.core.models import Job


class Command(BaseCommand):
    help = "Background jobs: sweep dead ones, start periodic ones, list them"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="retry or fail jobs whose worker stopped")
        sweep.add_argument(
            "--stale-after",
            type=float,
            default=None,
            help="seconds without a heartbeat after which a running job is dead "
            f"(default JOBS_STALE_SECONDS, {jobs.STALE_SECONDS})",
        )
        schedule = sub.add_parser("schedule", help="start the periodic jobs that are due")
        schedule.add_argument("--loop", action="store_true", help="keep scheduling")
        schedule.add_argument("--every", type=float, default=30.0, help="seconds between ticks")
        listing = sub.add_parser("list", help="the latest jobs")
        listing.add_argument("--limit", type=int, default=20)

    def handle(self, *args, action, **o):
        if action == "sweep":
            with context.write_context("cli"):
                out = jobs.sweep(stale_after=o["stale_after"])
            retried, failed = len(out.retried), len(out.failed)
            self.stdout.write(f"已重试 {retried} 个任务，已标记失败 {failed} 个任务")
            return
        if action == "schedule":
            stop = threading.Event()
            if o["loop"]:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, lambda *_: stop.set())
            while True:
                with context.write_context("cli"):
                    started = jobs.schedule_due()
                if started or not o["loop"]:
                    self.stdout.write("已启动：" + ("、".join(started) if started else "无"))
                if not o["loop"] or stop.wait(o["every"]):
                    return
                jobs.close_connections()
        for job in Job.objects.order_by("-created_at", "-id")[: o["limit"]]:
            self.stdout.write(
                f"{job.pk}\t{job.kind}\t{job.status}\t{job.phase}\t{job.done}/{job.total}\t"
                f"{job.attempts}/{job.max_attempts}\t{job.message}"
            )
