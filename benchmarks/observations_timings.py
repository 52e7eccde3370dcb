"""Measure the observation pages of ``bench_observations.py`` on a bench database.

    DATABASE_URL=sqlite:///var/bench/city.sqlite3 \
        .venv/bin/python benchmarks/observations_timings.py [--repeat 30] [--jobs] [NAME …]

Build the database first (``jiaoyan migrate`` then ``jiaoyan demo --scale city`` with
the same DATABASE_URL). Each page is requested once to warm up, then ``--repeat`` times
as its user through Django's test client (server time, no network); the table shows
p50 and p95 of the wall-clock time, the same of the process's CPU time (on a shared,
busy machine the wall clock mostly measures waiting for a core; with SQLite the CPU
time includes the database's work), and the number of queries. With ``--jobs`` the
jobs run once each, timed. Exits non-zero when a page's p95 is over 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")
os.environ.setdefault("DEBUG", "1")  # static files without collectstatic
TARGET_MS = 100.0


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--jobs", action="store_true")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL to the bench database (never the developer's).")
        return 2

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from benchmarks.bench_observations import JOBS, PAGES
    from jiaoyan.observations.models import Observation
    from jiaoyan.people.models import User

    setup_test_environment()
    # As a web worker does after start-up (the WSGI module freezes what Django loaded),
    # keep the long-lived objects out of the cyclic collector's full passes.
    import gc

    gc.collect()
    gc.freeze()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"observations: {Observation.objects.count():,}")
    clients: dict[str, Client] = {}
    failed = 0
    heads = ("p50 ms", "p95 ms", "cpu p50", "cpu p95", "queries")
    print(f"{'page':42} " + " ".join(f"{h:>8}" for h in heads) + "  status")
    for spec in PAGES:
        if args.names and not any(n in spec["name"] for n in args.names):
            continue
        path = spec["path"](None) if callable(spec["path"]) else spec["path"]
        user = spec["user"]
        if user not in clients:
            client = Client()
            client.force_login(User.objects.get(username=user))
            clients[user] = client
        client = clients[user]
        client.get(path)
        times = []
        cpu = []
        queries = 0
        status = 0
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            queries, status = len(ctx), response.status_code
        p50, p95 = statistics.median(times), percentile(times, 95)
        flag = "" if p95 <= TARGET_MS and status == 200 else "  ← over target"
        failed += bool(flag)
        c50, c95 = statistics.median(cpu), percentile(cpu, 95)
        print(
            f"{spec['name']:42} {p50:8.1f} {p95:8.1f} {c50:8.1f} {c95:8.1f} {queries:8d}"
            f"  {status}{flag}"
        )
    if args.jobs:
        for job in JOBS:
            t0 = time.perf_counter()
            result = job["run"](None)
            seconds = time.perf_counter() - t0
            flag = "" if seconds <= job["target_seconds"] else "  ← over target"
            print(f"job {job['name']:38} {seconds:8.1f} s  {result}{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
