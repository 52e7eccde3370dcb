"""jiaoyan loadtest — the site served as ``make run`` serves it (gunicorn through ``jiaoyan
serve``), driven by locust's users of the five demo roles (benchmarks/locustfile.py) for a
fixed number of users and a bounded time; reports requests per second, p50/p95/p99, errors
and the web processes' memory at the start and the end (``--soak``: growth ≤ 10 %).

    jiaoyan loadtest                         # 100 users, 2 minutes, small demo
    jiaoyan loadtest --scale city            # on a copy of the bench's city database
    jiaoyan loadtest --soak --time 600       # ten minutes, memory growth checked

The first ``--warmup`` seconds (every user logs in through the log-in form, whose password
hashing is deliberately slow, and the processes warm up) are reported apart, as the
log-ins' figures; req/s, percentiles, errors and the memory growth describe the
``--time`` seconds of sustained load that follow.

The database is a copy (the users' writes never touch the bench's or yours): the bench's
``var/bench/<scale>.sqlite3`` when it exists, else one built here with the demo data.
Results go to ``var/loadtest/latest.json``. Targets on the 2-core reference machine:
≥ 100 req/s with 0 errors and p95 ≤ 500 ms at 100 users.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

TARGET_RPS = 100.0
TARGET_P95_MS = 500.0
TARGET_GROWTH = 0.10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def _web_workers(serve_pid: int) -> list[int]:
    """gunicorn's worker processes under ``jiaoyan serve`` (children of its master)."""
    workers = []
    for child in _children(serve_pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"gunicorn" in cmdline:
            workers += _children(child)
    return workers


class Command(BaseCommand):
    help = "Load-test the served site with locust (users of the five demo roles)"

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100)
        parser.add_argument("--spawn-rate", type=float, default=25)
        parser.add_argument("--time", dest="seconds", type=int, default=120, help="seconds")
        parser.add_argument("--scale", default="small", choices=["small", "city"])
        parser.add_argument(
            "--warmup", type=int, default=40, help="seconds of log-ins and warm-up, reported apart"
        )
        parser.add_argument("--soak", action="store_true", help="check memory growth")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))

    def handle(self, *args, users, spawn_rate, seconds, warmup, scale, soak, workers, threads, **o):
        # Never imported here: locust patches threading (gevent) as it is imported.
        if importlib.util.find_spec("locust") is None:
            raise CommandError("需要 locust：pip install -e '.[dev]'")
        out_dir = Path(settings.VAR_DIR) / "loadtest"
        out_dir.mkdir(parents=True, exist_ok=True)
        database = self.database(out_dir, scale)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "DEBUG": "0",
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "jiaoyan.settings",
        }
        env.pop("DATABASE_REPLICA_URL", None)
        self.stdout.write(f"负载测试：{users} 个用户，{seconds} 秒，数据库 {database}")
        serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jiaoyan",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self.wait_until_up(port, serve)
            report = self.run(port, serve, users, spawn_rate, seconds, warmup, out_dir, soak)
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
        report.update(
            users=users,
            seconds=seconds,
            warmup_seconds=warmup,
            scale=scale,
            workers=workers,
            threads=threads,
        )
        (out_dir / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
        self.print(report)

    def database(self, out_dir: Path, scale: str) -> Path:
        """A fresh copy of the bench's database of ``scale``, or one built with the demo."""
        copy = out_dir / f"{scale}.sqlite3"
        source = Path(settings.VAR_DIR) / "bench" / f"{scale}.sqlite3"
        pristine = out_dir / f"{scale}.pristine.sqlite3"
        if source.exists():
            pristine = source
        elif not pristine.exists():
            self.stdout.write(f"生成演示数据（{scale}）……")
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{pristine}", "LOG_FORMAT": "plain"}
            env.pop("DATABASE_REPLICA_URL", None)
            for cmd in (["migrate", "--noinput", "-v0"], ["demo", "--scale", scale]):
                subprocess.run([sys.executable, "-m", "jiaoyan", *cmd], env=env, check=True)
        copy.unlink(missing_ok=True)
        src = sqlite3.connect(pristine)
        try:
            with sqlite3.connect(copy) as dst:
                src.backup(dst)
        finally:
            src.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        # A database built before the latest migrations: the copy is brought up to date.
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}", "LOG_FORMAT": "plain"}
        env.pop("DATABASE_REPLICA_URL", None)
        subprocess.run(
            [sys.executable, "-m", "jiaoyan", "migrate", "--noinput", "-v0"], env=env, check=True
        )
        return copy

    def wait_until_up(self, port: int, serve: subprocess.Popen) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if serve.poll() is not None:
                raise CommandError("jiaoyan serve 未能启动")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    return
            except OSError:
                time.sleep(0.3)
        raise CommandError("jiaoyan serve 十分钟内没有应答")

    def run(self, port, serve, users, spawn_rate, seconds, warmup, out_dir, soak) -> dict:
        locustfile = Path(settings.ROOT_DIR) / "benchmarks" / "locustfile.py"
        prefix = out_dir / "run"
        warm_out = out_dir / "warmup.json"
        warm_out.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(locustfile),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(spawn_rate),
            "-t",
            f"{seconds + warmup}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "30",
        ]
        env = {**os.environ, "LOADTEST_WARMUP": str(warmup), "LOADTEST_WARMUP_OUT": str(warm_out)}
        locust = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        # Memory once every user is in and the processes have warmed up, and at the end.
        time.sleep(warmup if warmup > 0 else min(30.0, users / max(spawn_rate, 1) + 10))
        rss_start = _rss_mb(_web_workers(serve.pid))
        samples = [rss_start]
        while locust.poll() is None:
            time.sleep(5)
            if locust.poll() is None:
                samples.append(_rss_mb(_web_workers(serve.pid)))
        stderr = locust.stderr.read().decode(errors="replace")
        stats = prefix.with_name(prefix.name + "_stats.csv")
        if not stats.exists():
            raise CommandError(f"locust 没有写出结果：{stderr[-1500:]}")
        with stats.open() as f:
            rows = {r["Name"]: r for r in csv.DictReader(f)}
        total = rows["Aggregated"]
        requests = int(total["Request Count"])
        failures = int(total["Failure Count"])
        report = {
            "requests": requests,
            "failures": failures,
            "rps": round(float(total["Requests/s"]), 1),
            "p50_ms": float(total["50%"]),
            "p95_ms": float(total["95%"]),
            "p99_ms": float(total["99%"]),
            "web_rss_mb": {"start": rss_start, "end": samples[-1], "max": max(samples)},
            "by_name": {
                name: {"n": int(r["Request Count"]), "p95_ms": float(r["95%"])}
                for name, r in rows.items()
                # A name last asked during the warm-up has no figures after it ("N/A").
                if name != "Aggregated" and int(r["Request Count"])
            },
            "load_at_end": [round(x, 2) for x in os.getloadavg()],
        }
        if warm_out.exists():
            report["warmup"] = json.loads(warm_out.read_text())
        growth = (samples[-1] - rss_start) / rss_start if rss_start else 0.0
        report["web_rss_growth"] = round(growth, 3)
        report["ok"] = (
            failures == 0
            and report["rps"] >= TARGET_RPS
            and report["p95_ms"] <= TARGET_P95_MS
            and (not soak or growth <= TARGET_GROWTH)
        )
        return report

    def print(self, r: dict) -> None:
        mark = "✓" if r["ok"] else "✗"
        self.stdout.write(
            f"{mark} {r['rps']} 请求/秒（目标 ≥ {TARGET_RPS:.0f}），p50 {r['p50_ms']:.0f} ms，"
            f"p95 {r['p95_ms']:.0f} ms（目标 ≤ {TARGET_P95_MS:.0f}），p99 {r['p99_ms']:.0f} ms，"
            f"错误 {r['failures']} / {r['requests']}"
        )
        rss = r["web_rss_mb"]
        self.stdout.write(
            f"  web 进程内存 {rss['start']} → {rss['end']} MB（增长 {r['web_rss_growth']:.1%}，"
            f"soak 目标 ≤ {TARGET_GROWTH:.0%}）；结束时负载 {r['load_at_end']}"
        )
        login = r.get("warmup", {}).get("by_name", {}).get("log in")
        if login:
            self.stdout.write(
                f"  预热 {r['warmup']['seconds']:.0f} 秒（另计）：登录 {login['n']} 次，"
                f"p50 {login['p50_ms']:.0f} ms，p95 {login['p95_ms']:.0f} ms"
            )
        slow = sorted(r["by_name"].items(), key=lambda kv: -kv[1]["p95_ms"])[:5]
        for name, s in slow:
            self.stdout.write(f"  {s['p95_ms']:7.0f} ms p95  {s['n']:6d} 次  {name}")
        self.stdout.write(f"结果已写入 {Path(settings.VAR_DIR) / 'loadtest' / 'latest.json'}")
