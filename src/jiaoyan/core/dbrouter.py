"""The read replica: heavy read-only pages read from ``DATABASE_REPLICA_URL``, everything
else from the primary.

Which reads go to the replica is decided per request, never per model: only GET requests
to a view marked :func:`replica_reads` (reports, statistics, analyses) or asking for a
list's ``?export=``, by a browser that has not written within ``REPLICA_PIN_SECONDS``
(read-your-writes: after a POST the next pages read the primary, which has the write for
certain), and only while the replica answers and lags less than ``REPLICA_MAX_LAG``
seconds. Writes, migrations and every other read go to the primary; without a replica
configured the router changes nothing. A replica that is down or lagging makes reads fall
back to the primary and ``/healthz`` say so; nothing fails for the user.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "jy_wrote"
_STATE_SECONDS = 5.0  # how long one measurement of the replica's state is trusted
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

_local = threading.local()


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reads(view: Callable) -> Callable:
    """Mark a read-only view whose reads may come from the replica."""
    view.reads_from_replica = True
    return view


@contextlib.contextmanager
def reading_replica(on: bool = True):
    """Within the block (one request's view), reads go to the replica if it is usable."""
    before = getattr(_local, "on", False)
    _local.on = on
    try:
        yield
    finally:
        _local.on = before


# --- the replica's state ---------------------------------------------------------------


@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    lag_seconds: float | None
    checked_at: float


_state: ReplicaState | None = None
_state_lock = threading.Lock()

_LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    " THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"
    " END"
)


def _measure() -> ReplicaState:
    conn = connections[REPLICA]
    try:
        with conn.cursor() as cursor:
            if conn.vendor == "postgresql":
                cursor.execute(_LAG_SQL)
                in_recovery, lag = cursor.fetchone()
                lag = float(lag) if in_recovery else 0.0
            else:
                cursor.execute("SELECT 1")
                lag = 0.0
    except Exception:  # down, refused, forbidden: every failure means "read the primary"
        log.warning("the read replica does not answer; reading the primary", exc_info=True)
        with contextlib.suppress(Exception):
            conn.close()
        return ReplicaState(False, None, time.monotonic())
    usable = lag <= settings.REPLICA_MAX_LAG
    if not usable:
        log.warning("the read replica lags %.1f s; reading the primary", lag)
    return ReplicaState(usable, round(lag, 3), time.monotonic())


def replica_state(*, fresh: bool = False) -> ReplicaState:
    """The replica's state, measured at most every few seconds per process."""
    global _state
    if not configured():
        return ReplicaState(False, None, time.monotonic())
    with _state_lock:
        if fresh or _state is None or time.monotonic() - _state.checked_at > _STATE_SECONDS:
            _state = _measure()
        return _state


def forget_state() -> None:
    """Measure again at the next read (tests, and after settings change)."""
    global _state
    with _state_lock:
        _state = None


# --- the router and the middleware ------------------------------------------------------


class ReplicaRouter:
    def db_for_read(self, model, **hints: Any) -> str | None:
        if getattr(_local, "on", False) and configured() and replica_state().usable:
            return REPLICA
        return None

    def db_for_write(self, model, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA


def _pinned(request) -> bool:
    try:
        until = float(request.COOKIES.get(PIN_COOKIE, 0))
    except (TypeError, ValueError):
        return False
    return until > time.time()


class ReplicaMiddleware:
    """Turns replica reads on for a marked view's GET, and pins a browser that has just
    written to the primary for ``REPLICA_PIN_SECONDS``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if configured() and request.method not in _SAFE and response.status_code < 500:
            response.set_cookie(
                PIN_COOKIE,
                str(int(time.time() + settings.REPLICA_PIN_SECONDS) + 1),
                max_age=settings.REPLICA_PIN_SECONDS + 1,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not configured() or request.method not in _SAFE or _pinned(request):
            return None
        if getattr(view_func, "reads_from_replica", False) or request.GET.get("export"):
            _ = getattr(request, "user", None) and request.user.pk  # the session: primary
            return _ReplicaView(view_func)(request, *view_args, **view_kwargs)
        return None


class _ReplicaView:
    def __init__(self, view):
        self.view = view

    def __call__(self, request, *args, **kwargs):
        with reading_replica():
            response = self.view(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                response = render()  # a TemplateResponse reads while it renders
            return response
