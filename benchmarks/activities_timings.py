"""Measure the research-activities pages, endpoints, import and jobs on a demo database.

    DATABASE_URL=sqlite:///var/bench/city.sqlite3 .venv/bin/jiaoyan migrate
    DATABASE_URL=sqlite:///var/bench/city.sqlite3 .venv/bin/jiaoyan demo --scale city
    DATABASE_URL=sqlite:///var/bench/city.sqlite3 .venv/bin/jiaoyan collectstatic --noinput
    DATABASE_URL=sqlite:///var/bench/city.sqlite3 \
        .venv/bin/python benchmarks/activities_timings.py [-n 30] [-k WORD]

Server time per request through Django's test client (the whole middleware stack and
template rendering, no network), after warm-up requests; p50/p95 over ``-n`` runs, the
number of queries of one request, and peak memory of this process. SQLite runs inside
this process, so the CPU time per request (``cpu_p50_ms``/``cpu_p95_ms``) is the server
time the machine would show when nothing else runs on it; on a shared, busy machine the
wall-clock figures are inflated by the other processes' load. Writes
``var/bench/activities.json`` in the shape ``jiaoyan bench`` uses. Jobs run inside a
transaction that is rolled back, so the database is left as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30, help="measured requests per page")
    parser.add_argument("-k", default="", help="only specs whose name contains this")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sql", action="store_true", help="show the slowest queries of a page")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client

    from benchmarks.bench_activities import IMPORTS, JOBS, PAGES
    from jiaoyan.core.sheets import get_kind, run_import
    from jiaoyan.people.models import User

    clients: dict[str, Client] = {}
    users: dict[str, User] = {}

    def client(name: str) -> Client:
        if name not in clients:
            users[name] = User.objects.get(username=name)
            c = Client(HTTP_HOST="localhost")
            c.force_login(users[name])
            clients[name] = c
        return clients[name]

    pages = []
    print(f"{'page':58} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'cpu p50':>8} {'cpu p95':>8}")
    for spec in PAGES:
        if args.k and args.k not in spec["name"]:
            continue
        path = spec["path"]("default") if callable(spec["path"]) else spec["path"]
        c = client(spec["user"])
        for _ in range(args.warmup):
            c.get(path)
        log: list[tuple[float, str]] = []

        def wrapper(execute, sql, params, many, context, log=log):
            t0 = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                log.append(((time.perf_counter() - t0) * 1000, sql))

        with connection.execute_wrapper(wrapper):
            resp = c.get(path)
        if resp.status_code != 200:
            print(f"  !! {spec['name']}: {path} answered {resp.status_code}")
        times, cpu = [], []
        for _ in range(args.n):
            t0, c0 = time.perf_counter(), time.process_time()
            c.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        row = {
            "name": spec["name"],
            "path": path,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "queries": len(log),
            "cpu_p50_ms": round(statistics.median(cpu), 1),
            "cpu_p95_ms": round(percentile(cpu, 0.95), 1),
        }
        pages.append(row)
        flag = "  ← over 100 ms" if row["p95_ms"] > 100 else ""
        if args.sql:
            for ms, sql in sorted(log, reverse=True)[:4]:
                print(f"      {ms:7.1f} ms  {sql[:160]}")
        print(
            f"{row['name'][:58]:58} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
            f"{row['queries']:8d} {row['cpu_p50_ms']:8.1f} {row['cpu_p95_ms']:8.1f}{flag}"
        )

    imports = []
    for spec in IMPORTS:
        if args.k and args.k not in spec["name"]:
            continue
        data, filename = spec["file"]("default")
        client(spec["user"])
        sheet = get_kind(spec["kind"])(actor=users[spec["user"]])
        t0 = time.perf_counter()
        with transaction.atomic():
            result = run_import(sheet, data, filename)
            transaction.set_rollback(True)
        seconds = time.perf_counter() - t0
        imports.append({"name": spec["name"], "rows": result.rows, "seconds": round(seconds, 2)})
        print(
            f"import {spec['name']}: {result.rows} rows in {seconds:.2f} s "
            f"({len(result.errors)} errors)"
        )

    jobs = []
    for spec in JOBS:
        if args.k and args.k not in spec["name"]:
            continue
        client(spec["user"])
        t0 = time.perf_counter()
        with transaction.atomic():
            spec["run"]("default", users[spec["user"]])
            transaction.set_rollback(True)
        seconds = time.perf_counter() - t0
        jobs.append({"name": spec["name"], "seconds": round(seconds, 2)})
        print(f"job {spec['name']}: {seconds:.2f} s")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak_mb:.0f} MB")
    out = ROOT / "var" / "bench" / "activities.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "scale": os.environ.get("BENCH_SCALE", "city"),
                "database": connection.vendor,
                "pages": pages,
                "imports": imports,
                "jobs": jobs,
                "peak_mb": round(peak_mb),
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    over = [p for p in pages if p["p95_ms"] > 100]
    print(f"{len(pages)} pages, {len(over)} over 100 ms p95; written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
