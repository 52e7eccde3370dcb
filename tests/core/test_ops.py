"""Operations endpoints: /healthz (no account, no secrets), /metrics (Prometheus text, only
to the configured networks) and JSON log lines carrying the request id."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from jiaoyan.core import context
from jiaoyan.core.logs import JsonFormatter
from jiaoyan.core.models import Job


def test_healthz_answers_without_an_account_and_names_no_secret(world):
    resp = Client().get("/healthz")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    body = resp.json()
    checks = body["checks"]
    assert set(checks) == {"database", "replica", "workers", "disk"}
    assert checks["database"]["ok"] and checks["database"]["ms"] >= 0
    if "replica" not in settings.DATABASES:
        assert checks["replica"] == {"configured": False, "ok": True}
    assert checks["disk"]["free_bytes"] > 0
    text = resp.content.decode()
    assert settings.SECRET_KEY not in text
    assert str(settings.DATABASES["default"]["NAME"]) not in text
    assert "Cache-Control" in resp and "no-cache" in resp["Cache-Control"]


def test_healthz_reports_idle_workers_as_degraded_but_serving(world):
    body = Client().get("/healthz").json()
    assert body["status"] == "degraded"  # no sweep has ever run in this database
    assert body["checks"]["workers"]["ok"] is False
    sweep = Job.objects.create(
        kind="core.sweep",
        status=Job.Status.SUCCEEDED,
        started_at=timezone.now() - dt.timedelta(seconds=30),
        finished_at=timezone.now() - dt.timedelta(seconds=29),
    )
    body = Client().get("/healthz").json()
    assert body["checks"]["workers"]["ok"] is True
    assert body["checks"]["workers"]["last_sweep_seconds_ago"] <= 60
    Job.objects.filter(pk=sweep.pk).update(finished_at=timezone.now() - dt.timedelta(hours=1))
    assert Client().get("/healthz").json()["checks"]["workers"]["ok"] is False


def test_metrics_only_for_the_configured_networks(world, client_for):
    client_for(world.users["teacher"]).get("/")
    Job.objects.create(kind="quality.analysis", status=Job.Status.QUEUED)
    resp = Client().get("/metrics")
    assert resp.status_code == 200
    text = resp.content.decode()
    assert 'jiaoyan_requests_total{method="GET",status="2xx",view="home"}' in text
    assert "jiaoyan_request_seconds_bucket" in text
    assert 'jiaoyan_jobs{kind="quality.analysis",status="queued"} 1.0' in text
    outside = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert outside.status_code == 404 and b"jiaoyan_" not in outside.content


def test_metrics_name_views_not_paths(world, client_for):
    client = client_for(world.users["city_admin"])
    for unit in list(world.units.values())[:3]:
        client.get(f"/orgs/units/{unit.pk}/")
    text = Client().get("/metrics").content.decode()
    assert "/orgs/units/" not in text


@pytest.mark.parametrize("inside", [True, False])
def test_json_log_lines_carry_the_request_id(inside):
    record = logging.LogRecord("jiaoyan.x", logging.WARNING, __file__, 1, "导入 %s 行", (12,), None)
    if inside:
        with context.write_context("web", "abc123abc123abc123abc123abc123ab"):
            line = JsonFormatter().format(record)
    else:
        line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "导入 12 行" and data["level"] == "WARNING"
    assert data["request_id"] == ("abc123abc123abc123abc123abc123ab" if inside else "")
    assert "\n" not in line


RACE = """
import django, threading
django.setup()
from jiaoyan.core.ops import _Requests
start, made, errors = threading.Barrier(32), [], []
def first_request():
    start.wait()
    try:
        made.append(_Requests.get())
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=first_request) for _ in range(32)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(errors), len({id(m) for m in made}))
"""


@pytest.mark.parametrize("attempt", range(3))
def test_the_request_figures_are_made_once_when_a_worker_s_threads_start_together(attempt):
    """A gunicorn worker's threads meet the figures with their first requests at once (the
    load test found 500s: two threads registering the same series)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiaoyan.settings"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", RACE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["0", "1"]
