"""Operations: ``/healthz`` (is this process, its database, the replica, the workers and
the disk fit to serve), ``/metrics`` (Prometheus text) and JSON log lines.

- **Health** needs no account and names no secret: each check says ``ok`` and a figure
  (milliseconds, seconds of lag, bytes free). The answer is 200 while the site can serve —
  a lagging replica or an idle scheduler is ``degraded`` (reads fall back to the primary;
  jobs wait) — and 503 when the primary database does not answer.
- **Metrics** are served only to the addresses in ``METRICS_ALLOWED`` (CIDRs; the
  loopback by default), so a scraper on the host or the cluster reads them and the
  internet does not. Request counts and latencies are per view (the URL pattern's name,
  never the path: ids would make a series per object); job queue depth, recent job
  durations and import speed are read from the job table when scraped. Under gunicorn
  several processes serve: with ``PROMETHEUS_MULTIPROC_DIR`` set (``jiaoyan serve``
  does) their figures are summed.
- **Logs**: :class:`jiaoyan.core.logs.JsonFormatter` writes one JSON object a line with
  the request id, so a log line, an audit row and the proxy's access log meet.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .middleware import client_ip

log = logging.getLogger(__name__)

#: The scheduler starts a sweep every minute: none finished for this long means no
#: worker or no scheduler is running.
WORKER_QUIET = dt.timedelta(minutes=5)
#: Free disk under this (for media and, on SQLite, the database) is a warning.
DISK_LOW_BYTES = 1024**3


# --- health ----------------------------------------------------------------------------


def _ping(alias: str) -> float:
    started = time.perf_counter()
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return round((time.perf_counter() - started) * 1000, 1)


def _database() -> dict[str, Any]:
    try:
        return {"ok": True, "ms": _ping("default"), "vendor": connections["default"].vendor}
    except DatabaseError:
        log.exception("health: the database does not answer")
        return {"ok": False}


def _replica() -> dict[str, Any]:
    """The read replica, where one is configured (``DATABASE_REPLICA_URL``)."""
    if "replica" not in settings.DATABASES:
        return {"configured": False, "ok": True}
    from .dbrouter import replica_state

    state = replica_state(fresh=True)
    return {"configured": True, "ok": state.usable, "lag_seconds": state.lag_seconds}


def _workers() -> dict[str, Any]:
    from .models import Job

    last = (
        Job.objects.filter(kind="core.sweep", status=Job.Status.SUCCEEDED)
        .order_by("-created_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    queued = Job.objects.filter(status=Job.Status.QUEUED)
    oldest = queued.order_by("created_at").values_list("created_at", flat=True).first()
    now = timezone.now()
    age = None if last is None else round((now - last).total_seconds())
    return {
        "ok": age is not None and age <= WORKER_QUIET.total_seconds(),
        "last_sweep_seconds_ago": age,
        "queued": queued.count(),
        "oldest_queued_seconds": None if oldest is None else round((now - oldest).total_seconds()),
    }


def _disk() -> dict[str, Any]:
    root = str(settings.MEDIA_ROOT) if os.path.isdir(str(settings.MEDIA_ROOT)) else "."
    free = shutil.disk_usage(root).free
    return {"ok": free >= DISK_LOW_BYTES, "free_bytes": free}


def health() -> dict[str, Any]:
    checks = {"database": _database()}
    if checks["database"]["ok"]:
        checks["replica"] = _replica()
        checks["workers"] = _workers()
    checks["disk"] = _disk()
    if not checks["database"]["ok"]:
        status = "fail"
    elif all(c["ok"] for c in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    return {"status": status, "checks": checks, "time": timezone.now().isoformat()}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health()
    return JsonResponse(report, status=503 if report["status"] == "fail" else 200)


# --- metrics ---------------------------------------------------------------------------


def _registry():
    from prometheus_client import CollectorRegistry, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return registry


class _Requests:
    """The per-process request figures (created once, on first use — under a lock: the
    threads of a gunicorn worker meet here with their first requests)."""

    _made = None
    _lock = threading.Lock()

    @classmethod
    def get(cls):
        if cls._made is not None:
            return cls._made
        with cls._lock:
            if cls._made is not None:
                return cls._made
            from prometheus_client import Counter, Histogram

            cls._made = (
                Counter(
                    "jiaoyan_requests_total",
                    "Requests answered, by view, method and status class",
                    ["view", "method", "status"],
                ),
                Histogram(
                    "jiaoyan_request_seconds",
                    "Server time per request, by view",
                    ["view"],
                    buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10),
                ),
            )
            return cls._made


class MetricsMiddleware:
    """Counts and times every request under its view's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match.route) if match is not None else "unmatched"
        counter, histogram = _Requests.get()
        counter.labels(view, request.method, f"{response.status_code // 100}xx").inc()
        histogram.labels(view).observe(time.perf_counter() - started)
        return response


class _JobCollector:
    """Job figures read from the table when scraped (the same in every process)."""

    def collect(self) -> Iterator:
        from prometheus_client.core import GaugeMetricFamily

        from .models import ImportJob, Job

        depth = GaugeMetricFamily(
            "jiaoyan_jobs", "Jobs queued or running, by kind and status", labels=["kind", "status"]
        )
        rows = (
            Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
            .values("kind", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            depth.add_metric([row["kind"], row["status"]], row["n"])
        yield depth

        since = timezone.now() - dt.timedelta(hours=1)
        recent = Job.objects.filter(
            finished_at__gte=since, started_at__isnull=False, status__in=list(Job.FINISHED)
        ).values_list("kind", "status", "started_at", "finished_at")[:5000]
        durations: dict[tuple[str, str], list[float]] = {}
        for kind, status, started, finished in recent:
            durations.setdefault((kind, status), []).append((finished - started).total_seconds())
        took = GaugeMetricFamily(
            "jiaoyan_job_seconds_max_1h",
            "Longest run of the jobs finished in the last hour, by kind and status",
            labels=["kind", "status"],
        )
        count = GaugeMetricFamily(
            "jiaoyan_jobs_finished_1h",
            "Jobs finished in the last hour, by kind and status",
            labels=["kind", "status"],
        )
        for (kind, status), values in sorted(durations.items()):
            took.add_metric([kind, status], max(values))
            count.add_metric([kind, status], len(values))
        yield took
        yield count

        speed = GaugeMetricFamily(
            "jiaoyan_import_rows_per_second",
            "Rows per second of the latest successful import of each kind in the last day",
            labels=["kind"],
        )
        latest: dict[str, float] = {}
        imports = (
            ImportJob.objects.filter(
                job__status=Job.Status.SUCCEEDED,
                job__finished_at__gte=timezone.now() - dt.timedelta(days=1),
            )
            .order_by("-job__finished_at")
            .values_list("kind", "job__result")[:200]
        )
        for kind, result in imports:
            if kind in latest or not isinstance(result, dict):
                continue
            seconds = result.get("seconds") or {}
            total = sum(v for v in seconds.values() if isinstance(v, int | float))
            if result.get("rows") and total > 0:
                latest[kind] = result["rows"] / total
        for kind, value in sorted(latest.items()):
            speed.add_metric([kind], round(value, 1))
        yield speed


def _allowed(request: HttpRequest) -> bool:
    address = client_ip(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(status=404)
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from prometheus_client.registry import CollectorRegistry

    _Requests.get()
    jobs = CollectorRegistry(auto_describe=False)
    jobs.register(_JobCollector())
    body = generate_latest(_registry()) + generate_latest(jobs)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
