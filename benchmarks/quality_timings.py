"""Standalone timings of the quality module at city scale (until ``jiaoyan bench`` runs the
specs of benchmarks/bench_quality.py itself). Each part runs in its own process, so the
peak memory reported is that part's:

    DATABASE_URL=sqlite:///var/bench/city.sqlite3 .venv/bin/python benchmarks/quality_timings.py

Imports and jobs run in a transaction that is rolled back; pages only read.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEAT = int(os.environ.get("REPEAT", 30))


class Ctx:
    """The part of the bench context the specs use."""

    scale = "city"

    def __init__(self) -> None:
        self.cache: dict = {}
        self.var_dir = ROOT / "var"

    def user(self, username):
        from django.contrib.auth import get_user_model

        return self.once(
            f"user-{username}", lambda: get_user_model().objects.get(username=username)
        )

    def client(self, username):
        def make():
            from django.test import Client

            c = Client(HTTP_HOST="localhost")
            c.force_login(self.user(username))
            return c

        return self.once(f"client-{username}", make)

    def once(self, key, fn):
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def pk(self, model, *, order_by="pk", **filters):
        from django.apps import apps

        def find():
            return (
                apps.get_model(model)
                ._default_manager.filter(**filters)
                .order_by(order_by)
                .values_list("pk", flat=True)
                .first()
            )

        return self.once(f"pk:{model}:{order_by}:{sorted(filters.items())}", find)


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")
    os.environ["DEBUG"] = "0"
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def nearest_rank(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def part_pages() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.bench_quality import PAGES

    ctx, out = Ctx(), []
    for page in PAGES:
        path = page.path(ctx) if callable(page.path) else page.path
        client = ctx.client(page.user)
        client.get(path)  # warm the process-wide caches (content types, templates)
        with CaptureQueriesContext(connection) as q:
            r = client.get(path)
        queries = len(q)
        grown = None
        if page.grow:
            sep = "&" if "?" in path else "?"
            with CaptureQueriesContext(connection) as q2:
                client.get(f"{path}{sep}{page.grow}")
            grown = len(q2)
        client.get(path)
        times = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - t) * 1000)
        p95 = nearest_rank(times, 95)
        out.append(
            {
                "name": page.name,
                "user": page.user,
                "path": path,
                "status": r.status_code,
                "p50_ms": round(nearest_rank(times, 50), 1),
                "p95_ms": round(p95, 1),
                "queries": queries,
                "queries_grown": grown,
                "ok": r.status_code == page.status
                and p95 <= page.target_ms
                and queries <= page.max_queries
                and (grown is None or grown == queries),
            }
        )
    return {"pages": out, "peak_rss_mb": peak_mb()}


def part_make_sheet() -> dict:
    from benchmarks.bench_quality import IMPORTS

    spec = IMPORTS[0]
    target = ROOT / "var/bench/imports" / f"quality-{spec.rows}.xlsx"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        data, _name = spec.make(Ctx(), spec.rows)
        target.write_bytes(data)
    return {"file": str(target)}


def part_import(path: str) -> dict:
    from django.db import transaction

    from benchmarks.bench_quality import IMPORTS

    spec = IMPORTS[0]
    data = Path(path).read_bytes()
    t = time.perf_counter()
    with transaction.atomic():
        result = spec.run(Ctx(), data, Path(path).name)
        transaction.set_rollback(True)
    seconds = time.perf_counter() - t
    return {
        "imports": [
            {
                "name": spec.name,
                "rows": result["rows"],
                "seconds": round(seconds, 2),
                "peak_rss_mb": peak_mb(),
                **{k: v for k, v in result.items() if k != "rows"},
                "ok": not result["errors"] and seconds <= spec.target_seconds,
            }
        ]
    }


def part_job(index: int) -> dict:
    from django.db import transaction

    from benchmarks.bench_quality import JOBS

    job = JOBS[index]
    t = time.perf_counter()
    with transaction.atomic():
        figures = job.run(Ctx()) or {}
        transaction.set_rollback(job.rollback)
    seconds = time.perf_counter() - t
    return {
        "jobs": [
            {
                "name": job.name,
                "seconds": round(seconds, 2),
                "peak_rss_mb": peak_mb(),
                **figures,
                "ok": (job.target_seconds is None or seconds <= job.target_seconds)
                and (job.target_rss_mb is None or peak_mb() <= job.target_rss_mb),
            }
        ]
    }


def run_part(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--part", *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"part {args} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--part" in sys.argv:
        setup()
        args = sys.argv[sys.argv.index("--part") + 1 :]
        fn = {"pages": part_pages, "sheet": part_make_sheet, "import": part_import, "job": part_job}
        kind = args[0]
        result = fn[kind](*([int(a) if kind == "job" else a for a in args[1:]]))
        print(json.dumps(result, ensure_ascii=False))
        return
    report: dict = {"scale": "city", "database": os.environ.get("DATABASE_URL", "sqlite (default)")}
    sheet = run_part("sheet")["file"]
    report.update(run_part("import", sheet))
    print(json.dumps(report["imports"], ensure_ascii=False), flush=True)
    report["jobs"] = []
    for i in range(2):
        report["jobs"] += run_part("job", str(i))["jobs"]
    pages = run_part("pages")
    report["pages"], report["web_peak_rss_mb"] = pages["pages"], pages["peak_rss_mb"]
    for imp in report["imports"]:
        print(
            f"import {imp['name']}: {imp['rows']} rows in {imp['seconds']} s, "
            f"peak {imp['peak_rss_mb']} MB, errors {imp['errors']} {'✓' if imp['ok'] else '✗'}"
        )
    for job in report["jobs"]:
        print(
            f"job {job['name']}: {job['seconds']} s, peak {job['peak_rss_mb']} MB "
            f"{'✓' if job['ok'] else '✗'} {json.dumps(job.get('phases', {}), ensure_ascii=False)}"
        )
    for p in report["pages"]:
        grown = "" if p["queries_grown"] is None else f"→{p['queries_grown']}"
        print(
            f"{'✓' if p['ok'] else '✗'} {p['p50_ms']:7.1f} {p['p95_ms']:7.1f} ms "
            f"q={p['queries']}{grown:4s} {p['status']} {p['user']:20s} {p['name']}"
        )
    print(f"web process peak RSS {report['web_peak_rss_mb']} MB")
    out = ROOT / "var/bench/quality.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
