"""Versions of data, for figures kept in the cache (one of each mechanism, in core).

A figure that is costly to compute from many rows (a city's coverage: every membership
grouped by member) and whose inputs change seldom is kept in the cache under the
*versions* of those inputs, not for a while:

* every write to an input calls :func:`bump` with the input's key inside its transaction
  (``"communities.members"`` when a membership or a community changes,
  ``"orgs.schools"`` when a school's location or weak flag or a unit's place in the tree
  changes, ``"people.units"`` when a person changes unit) — a rolled-back write bumps
  nothing;
* a reader calls :func:`kept` with the keys its figure is computed from: one query reads
  their versions, and the figure is computed again whenever one of them moved, so what
  is shown is always what the rows say now (never "up to N minutes old").

A new version is a random number, not a count: a database restored or rebuilt never
brings back a version a process has kept figures under. Time is not an input: a figure
that depends on the day names the day among its ``parts``.

Data kept *in tables* from an input (a summary rolled up under the units' tree) reacts
to a new version of it with :func:`on_bump`: the function is called by every
:func:`bump` of the key, in the writer's transaction — e.g. ``core.jobs.on_change``
starts a rebuild job when the transaction commits — so the writer need not know who
depends on its data (``orgs`` moves a unit; ``resources`` rebuilds its month table).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import router

from . import lists
from .models import Stamp

# A backstop only (a kept figure is right while its versions are unchanged): the cache
# does not keep figures of past days or of data replaced wholesale for ever.
KEEP_SECONDS = 3600

_listeners: dict[str, list[Callable[[], None]]] = {}


def on_bump(key: str, listener: Callable[[], None]) -> None:
    """Call ``listener()`` after each :func:`bump` of ``key``, in the bumping write's
    transaction (declared once, at import time: ``core.jobs.on_change``)."""
    found = _listeners.setdefault(key, [])
    if listener not in found:
        found.append(listener)


def bump(*keys: str) -> None:
    """A new version of each of ``keys`` (in the caller's transaction)."""
    db = router.db_for_write(Stamp)
    for key in keys:
        value = secrets.randbits(62)
        if not Stamp.objects.using(db).filter(key=key).update(value=value):
            Stamp.objects.using(db).update_or_create(key=key, defaults={"value": value})
    for key in dict.fromkeys(keys):
        for listener in _listeners.get(key, ()):
            listener()


def versions(keys: Iterable[str], using: str | None = None) -> tuple[int, ...]:
    """The current version of each of ``keys`` (0: never changed), in one query."""
    keys = list(keys)
    qs = Stamp.objects.using(using) if using else Stamp.objects
    found = dict(qs.filter(key__in=keys).values_list("key", "value"))
    return tuple(found.get(k, 0) for k in keys)


def kept(
    name: str,
    parts: Iterable[Any],
    keys: Iterable[str],
    compute: Callable[[], Any],
    *,
    using: str | None = None,
) -> Any:
    """``compute()``, kept in the cache under ``name``, ``parts`` (what the figure is of:
    a unit, a day …) and the versions of ``keys``; computed again when any of them
    changed."""
    stamp = versions(keys, using)
    # Hashed (core.lists.cache_key): parts are any values (lists, paths, dates), and a
    # cache such as memcached refuses keys with spaces or over 250 characters.
    cache_key = lists.cache_key(f"stamped:{name}", *parts, *stamp)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, KEEP_SECONDS)
    return value
