"""jiaoyan serve — the production web server (gunicorn) with one background-task worker
and the scheduler of periodic jobs (``jiaoyan jobs schedule --loop``).

A supervisor: a child that exits (a worker killed by the kernel, a crash) is started
again after a back-off (1 s, doubling up to ``--max-backoff``; back to 1 s once it has
run a minute), and the rest go on serving. Only Ctrl-C (SIGINT) or SIGTERM stops them
all. ``PORT`` / ``--port`` chooses the port; ``--no-worker`` runs the web server alone
(when workers and one scheduler run separately).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

log = logging.getLogger("jiaoyan.serve")

#: A child that ran this long before it exited starts again at once (back-off reset).
HEALTHY_SECONDS = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    started: float = 0.0
    backoff: float = 1.0
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    """Starts the children, restarts the ones that exit, stops them all on a signal."""

    def __init__(self, children: list[Child], *, env: dict, out, max_backoff: float) -> None:
        self.children = children
        self.env = env
        self.out = out
        self.max_backoff = max_backoff
        self.stopping = threading.Event()

    def say(self, message: str) -> None:
        self.out.write(message)
        self.out.flush()
        log.info(message)

    def start(self, child: Child) -> None:
        child.proc = subprocess.Popen(child.argv, env=self.env)
        child.started = time.monotonic()
        child.restart_at = None
        self.say(f"已启动 {child.name}（pid {child.proc.pid}）")

    def check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self.start(child)
            return
        if child.proc is None or child.proc.poll() is None:
            return
        if now - child.started >= HEALTHY_SECONDS:
            child.backoff = 1.0
        delay = child.backoff
        child.backoff = min(child.backoff * 2, self.max_backoff)
        child.restart_at = now + delay
        self.say(
            f"子进程 {child.name}（pid {child.proc.pid}）退出，状态 {child.proc.returncode}；"
            f"{delay:g} 秒后重启，其余进程继续运行。"
        )

    def run(self) -> None:
        for child in self.children:
            self.start(child)
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            for child in self.children:
                self.check(child, now)
        self.stop_all()

    def stop_all(self) -> None:
        self.say("正在停止所有进程…")
        procs = [c.proc for c in self.children if c.proc is not None]
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Command(BaseCommand):
    help = "Serve the site with gunicorn and run one task worker beside it (restarted if it dies)"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))
        parser.add_argument("--no-worker", action="store_true")
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=60.0,
            help="the longest wait, in seconds, before a child that keeps exiting is restarted",
        )

    def handle(self, *args, host, port, workers, threads, no_worker, max_backoff, **options):
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            # gunicorn's processes each count their requests; /metrics sums them from here.
            metrics_dir = settings.VAR_DIR / "prometheus" / str(port)
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "jiaoyan.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            "--timeout",
            "120",
        ]
        children = [Child("web", web)]
        if not no_worker:
            worker = [
                sys.executable,
                "-m",
                "jiaoyan",
                "db_worker",
                "--interval",
                "0.5",
                "--no-startup-delay",
                # Never the autoreloader (its default under DEBUG): it runs the worker in a
                # grandchild that outlives a killed child and keeps taking jobs unsupervised.
                "--no-reload",
            ]
            children.append(Child("worker", worker))
            # Periodic work (the sweep of dead workers' jobs, the ledger's reminders).
            scheduler = [sys.executable, "-m", "jiaoyan", "jobs", "schedule", "--loop"]
            children.append(Child("scheduler", scheduler))
        supervisor = Supervisor(children, env=env, out=self.stdout, max_backoff=max_backoff)

        def stop(*_args):
            supervisor.stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Jiaoyan 正在运行：http://{host}:{port}/  （Ctrl-C 停止）")
        supervisor.run()
