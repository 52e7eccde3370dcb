"""jiaoyan serve — the production web server (gunicorn) with one background-task worker
and the scheduler of periodic jobs (``jiaoyan jobs schedule --loop``).

Ctrl-C (or SIGTERM) stops them all. ``PORT`` / ``--port`` chooses the port; ``--no-worker``
runs the web server alone (when workers and one scheduler run separately).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site with gunicorn and run one task worker beside it"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args, host, port, workers, threads, no_worker, **options):
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")
        procs: list[subprocess.Popen] = []
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
        procs.append(subprocess.Popen(web, env=env))
        if not no_worker:
            worker = [
                sys.executable,
                "-m",
                "jiaoyan",
                "db_worker",
                "--interval",
                "0.5",
                "--no-startup-delay",
            ]
            procs.append(subprocess.Popen(worker, env=env))
            # Periodic work (the sweep of dead workers' jobs, the ledger's reminders).
            scheduler = [sys.executable, "-m", "jiaoyan", "jobs", "schedule", "--loop"]
            procs.append(subprocess.Popen(scheduler, env=env))
        self.stdout.write(f"Jiaoyan 正在运行：http://{host}:{port}/  （Ctrl-C 停止）")

        def stop(*_args):
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for p in procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
            sys.exit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while True:
            for p in procs:
                if p.poll() is not None:
                    self.stderr.write(
                        f"子进程退出（{p.args[2] if len(p.args) > 2 else p.args}），"
                        "正在停止其余进程。"
                    )
                    stop()
            time.sleep(0.5)
