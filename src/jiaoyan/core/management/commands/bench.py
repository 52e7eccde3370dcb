"""jiaoyan bench [--scale city] [--repeat 30] [--only NAME …] [--database-url URL] [--rebuild]

Measures every page, API call, import and job listed in ``benchmarks/bench_*.py`` against
a database of the given demo scale, prints a table and writes ``var/bench/latest.json``:

    {"scale", "database", "pages": [{"name", "path", "p50_ms", "p95_ms", "queries", …}],
     "imports": [{"name", "rows", "seconds", "peak_rss_mb", …}],
     "jobs": [{"name", "seconds", "peak_rss_mb", …}], "peak_rss_mb", "web_peak_rss_mb",
     "web_peak_private_mb"}

The bench database is its own: by default ``var/bench/<scale>.sqlite3``, built with
``migrate`` and ``demo --scale <scale> --seed 1`` when it is missing or when the demo or
the migrations changed since it was built (a marker file records what it was built from);
``--database-url`` points at another one (e.g. PostgreSQL), which is ERASED and rebuilt
when stale. The developer's database is never touched.

Django reads DATABASE_URL when it starts, so everything that touches the bench database
runs in child processes (``jiaoyan bench --worker …``) with that URL; pages are measured
in one of them (its peak memory is the web-process figure), and each import and each job
in a fresh one, so that each peak-memory figure is its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import bench

WORKER_MODES = ("probe", "createdb", "reference", "pages", "make-import", "import", "job")


def _package_dir() -> Path:
    import jiaoyan

    return Path(jiaoyan.__file__).resolve().parent


def _digest(files: list[Path], seed: str) -> str:
    pkg = _package_dir()
    h = hashlib.sha256(seed.encode())
    for f in files:
        h.update(str(f.relative_to(pkg)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _demo_files() -> list[Path]:
    pkg = _package_dir()
    return sorted(
        [
            *pkg.glob("*/demo.py"),
            *pkg.glob("*/geo.py"),
            pkg / "core" / "management" / "commands" / "demo.py",
        ]
    )


def _migration_files() -> list[Path]:
    return sorted(_package_dir().glob("*/migrations/*.py"))


def demo_fingerprint(scale: str, seed: int) -> str:
    """What the bench database is built from: the demo steps and every migration (one
    digest of :func:`build_record`, which keeps them apart)."""
    record = json.dumps(build_record(scale, seed), sort_keys=True)
    return hashlib.sha256(record.encode()).hexdigest()[:16]


def build_record(scale: str, seed: int) -> dict:
    """The parts of the fingerprint, kept in the marker: the demo steps' digest, and each
    migration's — so that a database built before new migrations only needs them applied
    (``migrate``), while changed demo steps or an edited migration rebuild it."""
    pkg = _package_dir()
    return {
        "demo": _digest(_demo_files(), f"{scale}:{seed}"),
        "migrations": {
            str(f.relative_to(pkg)): hashlib.sha256(f.read_bytes()).hexdigest()[:16]
            for f in _migration_files()
        },
    }


def only_new_migrations(marker: dict, record: dict) -> bool:
    """The database was built from the same demo steps, and every migration it has is
    unchanged: applying the new ones brings it up to date."""
    built = marker.get("build") or {}
    if not built or built.get("demo") != record["demo"]:
        return False
    now = record["migrations"]
    return all(now.get(name) == digest for name, digest in built["migrations"].items())


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _run_child(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """Run ``cmd``; return (exit status, seconds, peak RSS in MB of that process)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env)
    try:
        _pid, status, usage = os.wait4(proc.pid, 0)
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return proc.returncode, time.monotonic() - t0, round(rss, 1)


class Command(BaseCommand):
    help = "Measure pages, API calls, imports and jobs at city scale (var/bench/latest.json)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="city", choices=["small", "city", "province"])
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="NAME",
            help="only the benchmarks whose name contains NAME (repeatable)",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="bench database (erased and rebuilt when stale); default: "
            "var/bench/<scale>.sqlite3",
        )
        parser.add_argument("--rebuild", action="store_true", help="rebuild the bench database")
        parser.add_argument(
            "--specs", default="", help="folder of bench_*.py specs (default: benchmarks/)"
        )
        parser.add_argument(
            "--out", default="", help="JSON report (default: var/bench/latest.json)"
        )
        parser.add_argument("--no-pages", action="store_true", help="skip pages and API calls")
        parser.add_argument("--no-imports", action="store_true", help="skip imports")
        parser.add_argument("--no-jobs", action="store_true", help="skip jobs")
        parser.add_argument(
            "--fail-on-error",
            action="store_true",
            help="exit with status 1 when a page could not be measured (a 500 …), an import "
            "crashed or had errors, or a job crashed — never for timings (a smoke run in CI)",
        )
        # Internal: what a child process does (see the module docstring).
        parser.add_argument("--worker", choices=WORKER_MODES, help=argparse_suppress())
        parser.add_argument("--name", default="", help=argparse_suppress())
        parser.add_argument("--file", default="", help=argparse_suppress())
        parser.add_argument("--result", default="", help=argparse_suppress())
        parser.add_argument("--fingerprint", default="", help=argparse_suppress())

    # --- the parent ----------------------------------------------------------------

    def handle(self, *args, **o):
        specs_dir = Path(o["specs"]) if o["specs"] else settings.ROOT_DIR / "benchmarks"
        if o["worker"]:
            return self.worker(o, specs_dir)
        if not specs_dir.is_dir():
            raise CommandError(f"没有找到基准测试目录：{specs_dir}")
        bench_dir = Path(settings.VAR_DIR) / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        default_file = (bench_dir / f"{o['scale']}.sqlite3").resolve()
        url = o["database_url"] or f"sqlite:///{default_file}"
        self.guard(url)
        vendor = "sqlite" if url.startswith("sqlite") else urlsplit(url).scheme
        self.env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0"}
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "jiaoyan.settings")
        self.base = [sys.executable, "-m", "jiaoyan", "bench", "--specs", str(specs_dir)]
        self.base += ["--scale", o["scale"]]

        specs = bench.load_specs(specs_dir).for_scale(o["scale"]).select(o["only"])
        self.stdout.write(
            f"基准测试：规模 {o['scale']}，数据库 {_redact(url)}，规格 {', '.join(specs.modules)}"
        )
        marker = self.ensure_database(url, bench_dir, o)
        # Pages are measured as in production (DEBUG off): static files from the manifest.
        if not settings.DEBUG:
            _run_child(
                [sys.executable, "-m", "jiaoyan", "collectstatic", "--noinput", "-v0"], self.env
            )
        report: dict = {
            "scale": o["scale"],
            "database": vendor,
            "repeat": o["repeat"],
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": bench.env_summary(),
            "targets": {
                "page_p95_ms": bench.PAGE_TARGET_MS,
                "province_page_p95_ms": bench.PROVINCE_TARGET_MS,
                "import_seconds": bench.IMPORT_TARGET_SECONDS,
                "import_rss_mb": bench.IMPORT_TARGET_RSS_MB,
                "web_rss_mb": bench.WEB_TARGET_RSS_MB,
            },
            "pages": [],
            "imports": [],
            "jobs": [],
        }
        fp = marker["fingerprint"] + "-" + marker.get("stamp", "")
        report["reference"] = {"start_ms": self.child("reference", []).get("ms")}
        if specs.pages and not o["no_pages"]:
            target = f"p95 目标 ≤ {bench.PAGE_TARGET_MS:.0f} ms"
            if o["scale"] == "province":
                target += f"；全省报表（{bench.PROVINCE_USER}）≤ {bench.PROVINCE_TARGET_MS:.0f} ms"
            self.stdout.write(f"\n页面与接口（{target}）")
            self.stdout.write(bench.page_header())
            extra = ["--repeat", str(o["repeat"])]
            for word in o["only"]:
                extra += ["--only", word]
            out = self.child("pages", [*extra, "--fingerprint", fp])
            report["pages"] = out.get("pages", [])
            report["web_peak_rss_mb"] = out.get("peak_rss_mb")
            report["web_peak_private_mb"] = out.get("private_peak_mb")
        timed_header = False
        if specs.imports and not o["no_imports"]:
            self.stdout.write(
                "\n导入与任务                                           用时    峰值内存"
            )
            timed_header = True
            for spec in specs.imports:
                made = self.child("make-import", ["--name", spec.name, "--fingerprint", fp])
                if made.get("error"):
                    rows = bench.import_rows(spec, o["scale"])
                    r = {"name": spec.name, "rows": rows, "error": made["error"]}
                else:
                    r = self.child("import", ["--name", spec.name, "--file", made["file"]])
                    r.setdefault("name", spec.name)
                self.stdout.write(bench.format_timed(r))
                report["imports"].append(r)
        if not o["no_jobs"]:
            if not timed_header:
                self.stdout.write(
                    "\n任务                                                 用时    峰值内存"
                )
            demo = {
                "name": f"demo --scale {o['scale']}",
                "seconds": marker.get("demo_seconds"),
                "peak_rss_mb": marker.get("demo_peak_rss_mb"),
                "reused": not marker.get("built_now", False),
                "ok": None,
            }
            if demo["seconds"] is not None and (not o["only"] or specs.jobs):
                self.stdout.write(bench.format_timed(demo))
                report["jobs"].append(demo)
            for spec in specs.jobs:
                r = self.child("job", ["--name", spec.name, "--fingerprint", fp])
                r.setdefault("name", spec.name)
                self.stdout.write(bench.format_timed(r))
                report["jobs"].append(r)

        report["machine"]["load_at_end"] = bench.load_average()
        report["reference"]["end_ms"] = self.child("reference", []).get("ms")
        bench.relate(report)
        peaks = [report.get("web_peak_rss_mb") or 0]
        peaks += [r.get("peak_rss_mb") or 0 for r in report["imports"] + report["jobs"]]
        report["peak_rss_mb"] = max(peaks)
        self.summary(report)
        out_path = Path(o["out"]) if o["out"] else bench_dir / "latest.json"
        out_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        self.stdout.write(f"结果已写入 {out_path}")
        if o["fail_on_error"] and (found := bench.errors(report)):
            raise CommandError(
                f"基准测试出错 {len(found)} 处（不计用时）：\n  " + "\n  ".join(found)
            )

    def guard(self, url: str) -> None:
        """Refuse to use the developer's own database as the bench database."""
        import dj_database_url

        mine = settings.DATABASES["default"]
        theirs = dj_database_url.parse(url)
        same = (
            str(mine.get("NAME")) == str(theirs.get("NAME"))
            and mine.get("ENGINE") == theirs.get("ENGINE")
            and (mine.get("HOST") or "") == (theirs.get("HOST") or "")
        )
        if same:
            raise CommandError(
                "基准测试会清空并重建它使用的数据库，不能使用当前的 DATABASE_URL；"
                "请用 --database-url 指定另一个数据库。"
            )

    def ensure_database(self, url: str, bench_dir: Path, o) -> dict:
        fingerprint = demo_fingerprint(o["scale"], o["seed"])
        record = build_record(o["scale"], o["seed"])
        is_sqlite = url.startswith("sqlite")
        if is_sqlite:
            db_file = Path(urlsplit(url).path)
            marker_path = db_file.with_name(db_file.name + ".marker.json")
        else:
            key = hashlib.sha256(url.encode()).hexdigest()[:12]
            marker_path = bench_dir / f"marker-{key}.json"
        marker = json.loads(marker_path.read_text()) if marker_path.exists() else {}
        reason = ""
        if o["rebuild"]:
            reason = "--rebuild"
        elif is_sqlite and not db_file.exists():
            reason = "数据库不存在"
        elif marker.get("fingerprint") != fingerprint:
            if only_new_migrations(marker, record):
                return self.migrate_forward(marker, marker_path, fingerprint, record)
            reason = "演示数据或迁移已变化" if marker else "没有构建记录"
        else:
            probe = self.child("probe", [])
            if probe.get("stamp") != marker.get("stamp"):
                reason = "数据库内容与构建记录不一致"
        if not reason:
            self.stdout.write(f"沿用基准数据库（构建于 {marker.get('built_at', '?')}）")
            return marker
        self.stdout.write(f"构建基准数据库（{reason}）…")
        if is_sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db_file) + suffix).unlink(missing_ok=True)
        else:
            created = self.child("createdb", [])
            if created.get("error"):
                raise CommandError(f"无法连接或创建数据库：{created['error']}")
        marker_path.unlink(missing_ok=True)
        jiaoyan = [sys.executable, "-m", "jiaoyan"]
        status, migrate_s, _rss = _run_child([*jiaoyan, "migrate", "--noinput", "-v0"], self.env)
        if status:
            raise CommandError("migrate 失败")
        demo = [*jiaoyan, "demo", "--scale", o["scale"], "--seed", str(o["seed"]), "--force"]
        status, demo_s, demo_rss = _run_child(demo, self.env)
        if status:
            raise CommandError("demo 失败")
        probe = self.child("probe", [])
        marker = {
            "fingerprint": fingerprint,
            "build": record,
            "scale": o["scale"],
            "seed": o["seed"],
            "database": _redact(url),
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "stamp": probe.get("stamp"),
            "migrate_seconds": round(migrate_s, 2),
            "demo_seconds": round(demo_s, 2),
            "demo_peak_rss_mb": demo_rss,
        }
        marker_path.write_text(json.dumps(marker, ensure_ascii=False, indent=2) + "\n")
        return {**marker, "built_now": True}

    def migrate_forward(self, marker: dict, marker_path: Path, fingerprint: str, record):
        """Apply the migrations added since the bench database was built (the data stays)."""
        self.stdout.write("基准数据库之后新增了迁移：执行 migrate，沿用数据…")
        jiaoyan = [sys.executable, "-m", "jiaoyan"]
        status, migrate_s, _rss = _run_child([*jiaoyan, "migrate", "--noinput", "-v0"], self.env)
        if status:
            raise CommandError("migrate 失败")
        probe = self.child("probe", [])
        marker = {
            **marker,
            "fingerprint": fingerprint,
            "build": record,
            "stamp": probe.get("stamp"),
            "migrated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "migrate_forward_seconds": round(migrate_s, 2),
        }
        marker_path.write_text(json.dumps(marker, ensure_ascii=False, indent=2) + "\n")
        return marker

    def child(self, mode: str, extra: list[str]) -> dict:
        """Run one worker process against the bench database; return its JSON result."""
        fd, result_path = tempfile.mkstemp(prefix="jiaoyan-bench-", suffix=".json")
        os.close(fd)
        try:
            cmd = [*self.base, "--worker", mode, "--result", result_path, *extra]
            status, _seconds, rss = _run_child(cmd, self.env)
            text = Path(result_path).read_text()
            data = json.loads(text) if text.strip() else {}
        finally:
            Path(result_path).unlink(missing_ok=True)
        if status and not data.get("error"):
            data["error"] = f"worker {mode} exited with status {status}"
        data.setdefault("process_peak_rss_mb", rss)
        return data

    def summary(self, report: dict) -> None:
        pages = report["pages"]
        bad = [p for p in pages if not p.get("ok") and not p.get("skipped")]
        timed = [r for r in report["imports"] + report["jobs"] if r.get("ok") is False]
        web = report.get("web_peak_rss_mb")
        self.stdout.write("")
        if pages:
            worst = max(
                (p for p in pages if "p95_ms" in p), key=lambda p: p["p95_ms"], default=None
            )
            line = f"页面与接口 {len(pages)} 个，未达标 {len(bad)} 个"
            skipped = sum(1 for p in pages if p.get("skipped"))
            if skipped:
                line += f"，跳过 {skipped} 个（本版本尚无此页）"
            if worst:
                line += f"；最慢 p95 {worst['p95_ms']} ms（{worst['name']}）"
            self.stdout.write(line)
        private = report.get("web_peak_private_mb")
        if private is not None:
            # The target is what each web process adds: its private memory. Its RSS also
            # counts the database file's mapped pages, shared by all processes (the file
            # cache, counted once however many processes run): shown, not judged.
            mark = "✓" if private <= bench.WEB_TARGET_RSS_MB else "✗"
            self.stdout.write(
                f"{mark} 测量页面的进程峰值私有内存 {private} MB"
                f"（目标 < {bench.WEB_TARGET_RSS_MB:.0f} MB）；RSS 峰值 {web} MB，"
                "含各进程共享的数据库文件映射页"
            )
        elif web is not None:
            mark = "✓" if web <= bench.WEB_TARGET_RSS_MB else "✗"
            self.stdout.write(
                f"{mark} 测量页面的进程峰值内存 {web} MB（目标 < {bench.WEB_TARGET_RSS_MB:.0f} MB）"
            )
        self.stdout.write(f"所有进程的峰值内存 {report['peak_rss_mb']} MB")
        ref = report.get("reference") or {}
        if ref.get("mean_ms"):
            self.stdout.write(
                f"参考工作量：开始 {ref.get('start_ms')} ms，结束 {ref.get('end_ms')} ms"
                f"（各项的 *_ref 为其倍数，可跨机器、跨日期比较）"
            )
        load = report["machine"].get("load")
        cpus = report["machine"].get("cpus") or 1
        if report["machine"].get("overloaded"):
            end = (report["machine"].get("load_at_end") or ["?"])[0]
            self.stdout.write(
                self.style.WARNING(
                    f"注意：机器负载 {load[0] if load else '?'} → {end}（{cpus} 核），"
                    "超过核数，其他程序占用 CPU，计时偏高。"
                )
            )
        if bad or timed:
            names = ", ".join(r["name"] for r in bad + timed)
            self.stdout.write(self.style.WARNING(f"未达标：{names}"))
        else:
            self.stdout.write(self.style.SUCCESS("全部达标。"))

    # --- the child processes ---------------------------------------------------------

    def worker(self, o, specs_dir: Path) -> None:
        result: dict = {}
        try:
            result = self._work(o, specs_dir)
        except Exception as e:
            import traceback

            traceback.print_exc()
            result = {"error": f"{type(e).__name__}: {e}"}
        finally:
            result.setdefault("peak_rss_mb", bench.peak_rss_mb())
            Path(o["result"]).write_text(json.dumps(result, ensure_ascii=False, default=str))

    def _work(self, o, specs_dir: Path) -> dict:
        mode = o["worker"]
        if mode == "probe":
            return probe_database()
        if mode == "createdb":
            return create_database()
        ctx = bench.BenchContext(
            scale=o["scale"], var_dir=Path(settings.VAR_DIR), fingerprint=o["fingerprint"]
        )
        specs = bench.load_specs(specs_dir).for_scale(o["scale"])
        if mode == "pages":
            import jiaoyan.wsgi  # noqa: F401  (start as the web process does: see wsgi.py)

            pages = specs.select(o["only"]).pages
            measured, private = bench.run_pages(
                ctx, pages, repeat=o["repeat"], log=self.stdout.write
            )
            return {"pages": measured, "private_peak_mb": private}
        if mode == "reference":
            return {"ms": bench.reference_ms()}
        if mode == "make-import":
            spec = next(i for i in specs.imports if i.name == o["name"])
            return {"file": str(cached_import_file(ctx, spec))}
        if mode == "import":
            spec = next(i for i in specs.imports if i.name == o["name"])
            path = Path(o["file"])
            rows = bench.import_rows(spec, o["scale"])
            return bench.run_import(ctx, spec, path.read_bytes(), path.name, rows=rows)
        if mode == "job":
            spec = next(j for j in specs.jobs if j.name == o["name"])
            return bench.run_job(ctx, spec)
        raise CommandError(mode)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def probe_database() -> dict:
    """What identifies the data in the bench database (compared with the marker)."""
    from django.db import DatabaseError
    from django.db.models import Max

    from jiaoyan.orgs.models import OrgUnit
    from jiaoyan.people.models import Person, User

    try:
        people = Person.objects.aggregate(n=Max("id"), at=Max("created_at"))
        units = OrgUnit.objects.count()
        users = User.objects.filter(username__in=bench.DEMO_USERS).count()
    except DatabaseError as e:
        return {"stamp": None, "error": str(e)}
    at = people["at"].isoformat() if people["at"] else ""
    return {"stamp": f"{units}:{people['n']}:{users}:{at}"}


def create_database() -> dict:
    """Create the bench database (PostgreSQL) when it does not exist yet."""
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
        return {"created": False}
    except DatabaseError:
        pass
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    return {"created": True}


def cached_import_file(ctx: bench.BenchContext, spec: bench.Import) -> Path:
    """The generated sheet of ``spec``, made once per bench database."""
    folder = ctx.var_dir / "bench" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    slug = hashlib.sha256(spec.name.encode()).hexdigest()[:8]
    key = hashlib.sha256(ctx.fingerprint.encode()).hexdigest()[:12]
    rows = bench.import_rows(spec, ctx.scale)
    for made in folder.glob(f"{slug}-{rows}-{key}.*"):
        return made
    for old in folder.glob(f"{slug}-*"):
        old.unlink()
    data, filename = spec.make(ctx, rows)
    path = folder / f"{slug}-{rows}-{key}{Path(filename).suffix or '.xlsx'}"
    path.write_bytes(data)
    return path
