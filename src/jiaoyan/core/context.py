"""The request (or command, or task) a write happens in, kept in a ContextVar for audit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class WriteContext:
    request_id: str
    source: str  # web, api, cli, task, system


_current: ContextVar[WriteContext | None] = ContextVar("jiaoyan_write_context", default=None)


def current() -> WriteContext:
    ctx = _current.get()
    return ctx if ctx is not None else WriteContext(request_id="", source="system")


@contextmanager
def write_context(source: str, request_id: str | None = None) -> Iterator[WriteContext]:
    ctx = WriteContext(request_id=request_id or uuid.uuid4().hex, source=source)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
