"""Materialised paths of the org-unit tree, and the one lookup that reads them.

A unit's path is the ids from the root down, each followed by a slash: ``/1/5/23/``.
The subtree of a unit is every row whose path starts with the unit's path. ``path__under``
turns that into a prefix match each database can answer from an ordinary index:
``LIKE 'p%'`` on PostgreSQL (index with ``varchar_pattern_ops``) and ``GLOB 'p*'`` on SQLite
(binary collation). Paths contain only digits and slashes, so neither needs escaping.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models import Lookup

PATH_RE = re.compile(r"^/(?:\d+/)*$")


class PathField(models.CharField):
    """A materialised tree path; supports ``__under`` (the subtree of a path)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)


@PathField.register_lookup
class Under(Lookup):
    lookup_name = "under"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefix = self.rhs
        if not isinstance(prefix, str) or not PATH_RE.match(prefix):
            raise ValueError(f"not a tree path: {prefix!r}")
        if connection.vendor == "sqlite":
            return f"{lhs} GLOB %s", [*lhs_params, prefix + "*"]
        return f"{lhs} LIKE %s", [*lhs_params, prefix + "%"]


def is_under(path: str, ancestor_path: str) -> bool:
    """True when ``path`` is ``ancestor_path`` or below it."""
    return bool(path) and path.startswith(ancestor_path)


def minimal_paths(paths: set[str] | list[str]) -> list[str]:
    """Drop every path that lies under another one in the set."""
    result: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(q) for q in result):
            result.append(p)
    return result


# --- the nearest setting above a unit ------------------------------------------------------

#: Unit kinds that stand for their region when they set something for the units below
#: (a bureau's or an institute's settings apply to the region they hang under).
OFFICE_KINDS = ("bureau", "institute")


def path_ids(path: str) -> list[int]:
    """The unit ids on ``path``, from the root down."""
    return [int(p) for p in path.strip("/").split("/") if p]


def region_id(unit_id: int, kind: str, parent_id: int | None) -> int:
    """The region a setting's unit stands for (a bureau or institute: its region)."""
    return parent_id if kind in OFFICE_KINDS and parent_id else unit_id


def nearest(by_region: dict[int, Any], path: str) -> Any:
    """The value of the nearest region on ``path`` (itself included) that has one: what a
    bureau above sets for a unit (communities' policies, hours' credit rules). None when no
    region on the way up has one."""
    for uid in reversed(path_ids(path)):
        if uid in by_region:
            return by_region[uid]
    return None
