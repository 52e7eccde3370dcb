"""The benchmark framework behind ``jiaoyan bench`` (DESIGN.md "Quality bar").

The specs live outside the package, in ``benchmarks/bench_<app>.py`` at the repo root
(see ``benchmarks/README.md``). Each module lists what to measure:

* ``PAGES``: :class:`Page` — a page or API call, requested in-process through Django's
  test client as one of the demo accounts; timed ``repeat`` times after a warm-up, with
  its query count (and, with ``grow``, the query count of the same page showing more
  rows, which must be the same: no N+1);
* ``IMPORTS``: :class:`Import` — a generated sheet (``make``) imported by ``run`` inside a
  transaction that is rolled back, so the bench database stays as it was;
* ``JOBS``: :class:`Job` — any other timed work (exports, reports, analytics refreshes),
  also rolled back unless it says otherwise.

Imports and jobs run each in a fresh process, so their peak memory (RSS) is their own.
This module only holds the spec types, the discovery and the measuring loops; the
``bench`` command builds the database and starts the processes.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE_TARGET_MS = 100.0
# At province scale (ten cities) the pages a city's users open keep PAGE_TARGET_MS, measured
# as the same accounts (users of one city inside the province); the province-wide reports
# (pages marked ``province``) are measured once more as the province's account, against this.
PROVINCE_TARGET_MS = 300.0
PROVINCE_USER = "province_admin"
IMPORT_TARGET_SECONDS = 15.0
IMPORT_TARGET_RSS_MB = 500.0
WEB_TARGET_RSS_MB = 300.0
DEFAULT_MAX_QUERIES = 30
DEMO_USERS = ("city_admin", "district_researcher", "principal", "teacher", "counsellor")


# --- the spec types ------------------------------------------------------------------


class Skip(Exception):
    """Raised by a page's ``path`` function when what it measures is not in this build (a
    page another change adds: its URL does not resolve yet). The page is reported as
    skipped, with the message: neither measured nor an error."""


def path_or_skip(viewname: str, *args, query: str = "") -> str:
    """The path of a named URL (with ``?query``), or :class:`Skip` when the name does not
    resolve in this build."""
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse(viewname, args=args)
    except NoReverseMatch:
        raise Skip(f"skipped: the URL {viewname!r} does not resolve in this build") from None
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Page:
    """One page or API call.

    ``path`` is a string or a function of the :class:`BenchContext` that returns one (to
    find a real id in the bench database). ``grow`` is a query string that makes the same
    page show more rows (``size=100``, ``limit=500``); the bench requests it once and
    flags the page when its query count differs. ``province`` marks a region-wide report
    (statistics, coverage, a dashboard): at province scale it is also measured as
    :data:`PROVINCE_USER`, the province-wide report, against :data:`PROVINCE_TARGET_MS`.
    ``cold`` empties the cache before every request: a page that keeps its figures in
    the cache measured as its first viewer finds it (the figures computed).
    """

    name: str
    path: str | Callable[[BenchContext], str]
    user: str = "city_admin"
    grow: str = ""
    target_ms: float = PAGE_TARGET_MS
    max_queries: int = DEFAULT_MAX_QUERIES
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    province: bool = False
    cold: bool = False


@dataclass(frozen=True)
class Import:
    """A bulk import. ``make(ctx, rows)`` returns ``(data, filename)`` — the generated
    sheet, cached on disk per bench database — and ``run(ctx, data, filename)`` imports it
    and returns a dict of figures (``rows``, ``created``, ``errors`` …); it runs inside a
    transaction that the bench rolls back. A dict with ``"phases"`` (name → seconds) is
    shown under the import."""

    name: str
    rows: int
    make: Callable[[BenchContext, int], tuple[bytes, str]]
    run: Callable[[BenchContext, bytes, str], dict[str, Any]]
    target_seconds: float = IMPORT_TARGET_SECONDS
    target_rss_mb: float = IMPORT_TARGET_RSS_MB


@dataclass(frozen=True)
class Job:
    """Timed work that is not a page: an export, a report, a refresh of a table.
    ``run(ctx)`` may return a dict of figures; with ``rollback`` (the default) it runs in
    a transaction that is rolled back."""

    name: str
    run: Callable[[BenchContext], dict[str, Any] | None]
    target_seconds: float | None = None
    target_rss_mb: float | None = None
    rollback: bool = True


@dataclass
class Specs:
    pages: list[Page] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)

    def select(self, only: list[str]) -> Specs:
        """The specs whose name contains one of ``only`` (case-insensitive)."""
        if not only:
            return self
        words = [w.lower() for w in only]

        def keep(name: str) -> bool:
            return any(w in name.lower() for w in words)

        return Specs(
            pages=[p for p in self.pages if keep(p.name)],
            imports=[i for i in self.imports if keep(i.name)],
            jobs=[j for j in self.jobs if keep(j.name)],
            modules=self.modules,
        )

    def for_scale(self, scale: str) -> Specs:
        """At province scale, the ``province`` pages once more as the province's account
        (after the others, with the province target); at other scales the specs as they
        are."""
        if scale != "province":
            return self
        extra = [
            dataclasses.replace(p, user=PROVINCE_USER, target_ms=PROVINCE_TARGET_MS)
            for p in self.pages
            if p.province and p.user != PROVINCE_USER
        ]
        return dataclasses.replace(self, pages=[*self.pages, *extra])


def _from_dict(attr: str, d: dict[str, Any]) -> Page | Import | Job:
    """The plain-dict spec form some modules use (their standalone timing scripts read the
    same lists): pages ``{name, path, user}`` where ``path`` may be ``f(db_alias)``;
    imports ``{name, kind, user, file}`` where ``file(db_alias)`` gives ``(bytes, name)``;
    jobs ``{name, run[, user][, target_seconds]}`` where ``run`` is ``f(ctx)`` or
    ``f(db_alias, user)``."""
    import inspect

    name, user = d["name"], d.get("user", "city_admin")
    if attr == "PAGES":
        path = d["path"]
        return Page(
            name,
            path if isinstance(path, str) else (lambda ctx, f=path: f("default")),
            user=user,
            grow=d.get("grow", ""),
            target_ms=d.get("target_ms", PAGE_TARGET_MS),
            max_queries=d.get("max_queries", DEFAULT_MAX_QUERIES),
            province=d.get("province", False),
        )
    if attr == "IMPORTS":

        def make(ctx, rows, f=d["file"]):
            return f("default")

        def run(ctx, data, filename, kind=d["kind"], username=user):
            from jiaoyan.core.sheets import get_kind, run_import

            result = run_import(get_kind(kind)(actor=ctx.user(username)), data, filename)
            return {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "errors": len(result.errors),
            }

        return Import(
            name,
            d.get("rows", 0),
            make,
            run,
            target_seconds=d.get("target_seconds", IMPORT_TARGET_SECONDS),
        )
    fn = d["run"]
    params = [
        p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty
    ]

    two = len(params) >= 2

    def run_job(ctx, f=fn, two=two, username=user):
        return f("default", ctx.user(username)) if two else f(ctx)

    return Job(name, run_job, target_seconds=d.get("target_seconds"))


def load_specs(directory: Path) -> Specs:
    """Every ``bench_*.py`` in ``directory``: their PAGES, IMPORTS and JOBS, in file order."""
    specs = Specs()
    seen: set[str] = set()
    for path in sorted(directory.glob("bench_*.py")):
        mod_name = f"jiaoyan_benchmarks.{path.stem}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        specs.modules.append(path.stem)
        for attr, bag in (("PAGES", specs.pages), ("IMPORTS", specs.imports), ("JOBS", specs.jobs)):
            for item in getattr(module, attr, []):
                if isinstance(item, dict):
                    item = _from_dict(attr, item)
                # A page may be measured once per account; anything else once.
                key = f"{attr}:{item.name}:{getattr(item, 'user', '')}"
                if key in seen:
                    raise ValueError(f"{path.name}: the benchmark {item.name!r} is listed twice")
                seen.add(key)
                bag.append(item)
    return specs


# --- what specs get to work with -----------------------------------------------------


class BenchContext:
    """Shared by the specs of one process: demo accounts, logged-in clients, a cache."""

    def __init__(self, *, scale: str, var_dir: Path, fingerprint: str = "") -> None:
        self.scale = scale
        self.var_dir = var_dir
        self.fingerprint = fingerprint
        self.cache: dict[str, Any] = {}
        self._users: dict[str, Any] = {}
        self._clients: dict[str, Any] = {}

    def user(self, username: str):
        if username not in self._users:
            from django.contrib.auth import get_user_model

            self._users[username] = get_user_model().objects.get(username=username)
        return self._users[username]

    def client(self, username: str):
        """A test client logged in as ``username`` (a session row, removed by close())."""
        if username not in self._clients:
            from django.test import Client

            client = Client(HTTP_HOST="localhost")
            client.force_login(self.user(username))
            self._clients[username] = client
        return self._clients[username]

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` computed once per process (e.g. an id looked up in the database)."""
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def pk(self, model: str, *, order_by: str = "pk", **filters) -> int:
        """The id of the first ``model`` ("app.Model") row matching ``filters`` (cached)."""
        key = f"pk:{model}:{order_by}:{sorted(filters.items())}"

        def find() -> int:
            from django.apps import apps

            pk = (
                apps.get_model(model)
                ._default_manager.filter(**filters)
                .order_by(order_by)
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                raise LookupError(f"no {model} with {filters}")
            return pk

        return self.once(key, find)

    def person_pk(self, username: str) -> int:
        """The person record of a demo account."""
        return self.pk("people.Person", user__username=username)

    def close(self) -> None:
        for client in self._clients.values():
            client.logout()
        self._clients.clear()


def bench_city_path(db: str = "default") -> str:
    """The path of the city the city's demo accounts work in (``city_admin``'s bureau's
    city): at province scale one city of ten, whose objects the specs look up so that its
    accounts may open them."""
    from jiaoyan.orgs.models import OrgUnit
    from jiaoyan.people.models import Person

    bureau = Person.objects.using(db).get(user__username="city_admin").org_unit
    return OrgUnit.objects.using(db).get(pk=bureau.parent_id).path


# --- measuring -----------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def private_mb() -> float | None:
    """This process's private (anonymous) resident memory now, in MB; None where the
    system does not say (Linux's /proc only).

    RSS also counts the pages of files the process maps — the SQLite database itself,
    mapped up to its ``mmap_size`` (256 MB), and the shared libraries. Those pages are
    the operating system's file cache, shared by every process that reads the same file,
    so N web processes cost N times their private memory plus the file cache once.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("RssAnon:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p50 of 30 values is the 15th, p95 the 29th)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _with_query(path: str, extra: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{extra}"


def measure_page(ctx: BenchContext, spec: Page, *, repeat: int, warmup: int = 3) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result: dict[str, Any] = {"name": spec.name, "user": spec.user, "target_ms": spec.target_ms}
    try:
        path = spec.path(ctx) if callable(spec.path) else spec.path
    except Skip as e:  # what it measures is not in this build
        return {**result, "path": "", "skipped": str(e)}
    except Exception as e:  # a spec that cannot find its object
        return {**result, "path": "", "error": f"path: {type(e).__name__}: {e}"}
    result["path"] = path
    client = ctx.client(spec.user)
    headers = dict(spec.headers)

    def get(p: str):
        if spec.cold:
            cache.clear()
        response = client.get(p, headers=headers)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return response

    response = get(path)
    if response.status_code != spec.status:
        return {**result, "error": f"HTTP {response.status_code} (expected {spec.status})"}
    # Counted on the second request, when the per-process caches (content types …) are
    # filled, as they are for every request but a process's first.
    with CaptureQueriesContext(connection) as captured:
        response = get(path)
    result["queries"] = len(captured.captured_queries)
    result["bytes"] = len(response.content)
    for _ in range(max(0, warmup - 2)):
        get(path)
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        get(path)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    result["p50_ms"] = round(percentile(times, 50), 1)
    result["p95_ms"] = round(percentile(times, 95), 1)
    result["max_ms"] = round(max(times), 1)
    # CPU time of this process: what other work on the machine inflates least (for
    # SQLite it includes the queries; for a database server it does not).
    result["cpu_p50_ms"] = round(percentile(cpu, 50), 1)
    result["cpu_p95_ms"] = round(percentile(cpu, 95), 1)
    if spec.grow:
        with CaptureQueriesContext(connection) as captured:
            grown = get(_with_query(path, spec.grow))
        result["queries_grown"] = len(captured.captured_queries)
        if grown.status_code != spec.status:
            result["error"] = f"{spec.grow}: HTTP {grown.status_code}"
    result["ok"] = page_ok(result, spec)
    return result


def page_ok(result: dict, spec: Page) -> bool:
    if result.get("error"):
        return False
    grown = result.get("queries_grown")
    return (
        result["p95_ms"] <= spec.target_ms
        and result["queries"] <= spec.max_queries
        and (grown is None or grown == result["queries"])
    )


def run_pages(
    ctx: BenchContext, pages: list[Page], *, repeat: int, log=print
) -> tuple[list[dict], float | None]:
    """Each page measured in turn; and the peak of the process's private memory, read
    after each page (Python rarely gives memory back, so the reading after a page is
    close to its peak)."""
    results = []
    peak = private_mb()
    try:
        for spec in pages:
            r = measure_page(ctx, spec, repeat=repeat)
            log(format_page(r))
            results.append(r)
            now = private_mb()
            if now is not None:
                peak = max(peak or 0.0, now)
    finally:
        ctx.close()
    return results, peak


#: At small scale an import's sheet has a tenth of its rows: a smoke test, not a measure.
IMPORT_ROWS_FACTOR = {"small": 0.1}


def import_rows(spec: Import, scale: str) -> int:
    """How many rows ``spec``'s sheet has at ``scale`` (0: the spec's file decides)."""
    factor = IMPORT_ROWS_FACTOR.get(scale, 1.0)
    if not spec.rows or factor == 1.0:
        return spec.rows
    return min(spec.rows, max(100, round(spec.rows * factor)))


def run_import(
    ctx: BenchContext, spec: Import, data: bytes, filename: str, *, rows: int | None = None
) -> dict:
    """Time ``spec``'s import of ``data`` (rolled back), then the physical limit of the
    same file (:func:`physical_limit`) and the import's time as a multiple of it."""
    from django.db import transaction

    result: dict[str, Any] = {"name": spec.name, "rows": spec.rows if rows is None else rows}
    with transaction.atomic():
        t0 = time.perf_counter()
        figures = spec.run(ctx, data, filename) or {}
        result["seconds"] = round(time.perf_counter() - t0, 2)
        transaction.set_rollback(True)
    result.update({k: v for k, v in figures.items() if k != "rows" or v})
    result["peak_rss_mb"] = peak_rss_mb()  # the import's own, before the limit's reading
    try:
        limit = physical_limit(data, filename, figures.get("rows") or result["rows"])
    except Exception as e:
        result["limit_error"] = f"{type(e).__name__}: {e}"
    else:
        result["limit"] = limit
        if limit["seconds"] > 0:
            result["limit_ratio"] = round(result["seconds"] / limit["seconds"], 1)
    result["target_seconds"] = spec.target_seconds
    result["target_rss_mb"] = spec.target_rss_mb
    result["ok"] = (
        not figures.get("errors")
        and result["seconds"] <= spec.target_seconds
        and result["peak_rss_mb"] <= spec.target_rss_mb
    )
    return result


def physical_limit(data: bytes, filename: str, rows: int = 0) -> dict:
    """The least any import of this file could take on this machine and database, measured
    in the same run as the import: reading it with the spreadsheet reader the imports use
    (a workbook in a child process, as theirs) plus one plain bulk insert of its last
    ``rows`` rows (all when 0), every cell as text, into a scratch table — rolled back.
    Seconds of each, and of both."""
    from django.db import connection, transaction

    from .bulk import insert_into
    from .tabular import read_rows

    t0 = time.perf_counter()
    table, _sheet = read_rows(data, filename)
    read = time.perf_counter() - t0
    body = table[-rows:] if rows else table
    width = max((len(r) for r in body), default=0) or 1
    values = [[None if v is None else str(v) for v in [*r, *[None] * width][:width]] for r in body]
    qn = connection.ops.quote_name
    columns = ", ".join(f"{qn(f'c{i}')} text" for i in range(width))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE bench_limit ({columns})")
        t0 = time.perf_counter()
        # The imports' own way in (COPY on PostgreSQL, executemany on SQLite).
        names = [f"c{i}" for i in range(width)]
        insert_into(connection, "bench_limit", names, values, 2000, lambda row: row)
        insert = time.perf_counter() - t0
        transaction.set_rollback(True)
    return {
        "rows": len(values),
        "columns": width,
        "read_seconds": round(read, 4),
        "insert_seconds": round(insert, 4),
        "seconds": round(read + insert, 4),
    }


def run_job(ctx: BenchContext, spec: Job) -> dict:
    from django.db import transaction

    result: dict[str, Any] = {"name": spec.name}
    t0 = time.perf_counter()
    if spec.rollback:
        with transaction.atomic():
            figures = spec.run(ctx) or {}
            result["seconds"] = round(time.perf_counter() - t0, 2)
            transaction.set_rollback(True)
    else:
        figures = spec.run(ctx) or {}
        result["seconds"] = round(time.perf_counter() - t0, 2)
    ctx.close()
    result.update(figures)
    result["peak_rss_mb"] = peak_rss_mb()
    result["target_seconds"] = spec.target_seconds
    result["target_rss_mb"] = spec.target_rss_mb
    # A job that times steps of its own (one answer, one view counted) says whether they
    # met their target in its figures' "ok".
    result["ok"] = (
        figures.get("ok", True)
        and (spec.target_seconds is None or result["seconds"] <= spec.target_seconds)
        and (spec.target_rss_mb is None or result["peak_rss_mb"] <= spec.target_rss_mb)
    )
    return result


# --- printing ------------------------------------------------------------------------


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("✓" if ok else "✗")


def _pad(text: str, width: int) -> str:
    """Left-justify, counting a CJK character as two columns."""
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - shown)


def format_page(r: dict) -> str:
    name = _pad(r["name"], 30) + " " + _pad(r["user"], 19)
    if r.get("skipped"):
        return f"  – {name} {r['skipped']}"
    if r.get("error"):
        return f"  ✗ {name} {r.get('path', '')}  ERROR {r['error']}"
    q = str(r["queries"])
    if r.get("queries_grown") is not None and r["queries_grown"] != r["queries"]:
        q += f"→{r['queries_grown']}"
    return (
        f"  {_mark(r['ok'])} {name} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
        f"{r['cpu_p95_ms']:8.1f} {q:>7}   {r['path']}"
    )


def page_header() -> str:
    head = _pad("page", 30) + " " + _pad("user", 19)
    return f"    {head} {'p50 ms':>8} {'p95 ms':>8} {'cpu p95':>8} {'queries':>7}   path"


def format_timed(r: dict) -> str:
    if r.get("error"):
        return f"  ✗ {_pad(r['name'], 50)} ERROR {r['error']}"
    rows = f"{r['rows']:>7,} rows" if r.get("rows") else " " * 12
    rate = f"{r['rows'] / r['seconds']:>8,.0f} rows/s" if r.get("rows") and r["seconds"] else ""
    extra = ""
    if r.get("reused"):
        extra = "  (recorded when the database was built)"
    if r.get("limit_ratio") is not None:
        lim = r["limit"]
        extra += (
            f"  = {r['limit_ratio']}× 物理极限 {lim['seconds']:.2f} s"
            f"（读取 {lim['read_seconds']:.2f} + 插入 {lim['insert_seconds']:.2f}）"
        )
    elif r.get("limit_error"):
        extra += f"  物理极限 ERROR {r['limit_error']}"
    return (
        f"  {_mark(r.get('ok'))} {_pad(r['name'], 50)} {r['seconds']:7.2f} s "
        f"{r.get('peak_rss_mb', 0):7.1f} MB  {rows}{rate}{extra}"
    )


def errors(report: dict) -> list[str]:
    """What went wrong in a run, apart from timings and memory (what a smoke run fails
    on): a page that could not be measured or answered another status (a 500), an import
    that crashed or reported errors, a job that crashed, a reference that failed."""
    found = [
        f"{p['name']} ({p.get('user', '')}): {p['error']}"
        for p in report.get("pages", [])
        if p.get("error")
    ]
    for r in report.get("imports", []):
        if r.get("error"):
            found.append(f"{r['name']}: {r['error']}")
        elif r.get("errors"):
            found.append(f"{r['name']}: {r['errors']} rows with errors {r.get('first_errors', '')}")
        if r.get("limit_error"):
            found.append(f"{r['name']} (physical limit): {r['limit_error']}")
    found += [f"{j['name']}: {j['error']}" for j in report.get("jobs", []) if j.get("error")]
    ref = report.get("reference") or {}
    if report.get("reference") is not None and not (ref.get("start_ms") and ref.get("end_ms")):
        found.append("reference workload: not measured")
    return found


# --- the reference workload ----------------------------------------------------------

_REFERENCE_SQL = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 60000) "
    "SELECT SUM(x % 7) FROM n"
)


def reference_once() -> float:
    """One run of a fixed workload (milliseconds): Python work like a page's (building and
    serialising rows of dicts) and database work that touches no table (a recursive
    count), about 50 ms on an idle reference machine. Timings of one run are read as
    multiples of it, so that runs on a faster or a busier machine compare."""
    from django.db import connection

    started = time.perf_counter()
    rows = [{"id": i, "name": f"教师{i}", "score": (i * 37) % 101} for i in range(20000)]
    rows.sort(key=lambda r: (r["score"], r["name"]))
    json.dumps(rows[:5000], ensure_ascii=False)
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCE_SQL)
        cursor.fetchone()
    return (time.perf_counter() - started) * 1000


def reference_ms(runs: int = 7) -> float:
    """The median of ``runs`` runs of :func:`reference_once` (after one warm-up)."""
    reference_once()
    return round(statistics.median(reference_once() for _ in range(runs)), 2)


def relate(report: dict) -> None:
    """Add each figure as a multiple of the run's reference workload (``*_ref``), and mark
    the run ``overloaded`` when the load exceeded the cores at its start or end."""
    ref = report.get("reference") or {}
    measured = [v for v in (ref.get("start_ms"), ref.get("end_ms")) if v]
    base = statistics.mean(measured) if measured else 0
    if base:
        ref["mean_ms"] = round(base, 2)
        for page in report.get("pages", []):
            for key in ("p50_ms", "p95_ms"):
                if isinstance(page.get(key), int | float):
                    page[key.replace("_ms", "_ref")] = round(page[key] / base, 2)
        for timed in report.get("imports", []) + report.get("jobs", []):
            if isinstance(timed.get("seconds"), int | float):
                timed["seconds_ref"] = round(timed["seconds"] * 1000 / base, 1)
    machine = report.get("machine", {})
    cpus = machine.get("cpus") or 1
    loads = [(machine.get(k) or [0])[0] for k in ("load", "load_at_end")]
    machine["overloaded"] = max(loads) > cpus


def env_summary() -> dict:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load": load_average()}


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages: other work on the machine skews the timings."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None
