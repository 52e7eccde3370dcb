"""Two bulk paths the city-scale analysis needs (DESIGN.md: a city exam recomputed in
≤ 10 s): inserting tens of thousands of plain rows with one prepared statement
(``executemany``) instead of the ORM's per-value preparation, and reading many JSON
score lists with one parse instead of one per row. Both run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import TextField
from django.db.models.functions import Cast


def bulk_insert(
    model: type[models.Model], rows: Iterable[dict[str, Any]], batch: int = 5000
) -> int:
    """Insert ``rows`` (dicts by field attname; missing keys are NULL) into ``model``'s
    table. No signals, no returned ids: for derived rows only."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    is_json = [isinstance(f, models.JSONField) for f in fields]
    names = [f.attname for f in fields]
    adapt = connection.ops.adapt_json_value
    data = [
        tuple(
            adapt(r.get(n), None) if j and r.get(n) is not None else r.get(n)
            for n, j in zip(names, is_json, strict=True)
        )
        for r in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(data), batch):
            cursor.executemany(sql, data[i : i + batch])
    return len(data)


def rows_with_json(queryset, fields: Sequence[str], json_field: str) -> list[tuple]:
    """``values_list(*fields, json_field)`` with the JSON column parsed in one go."""
    raw = list(
        queryset.order_by()
        .annotate(_json_text=Cast(json_field, TextField()))
        .values_list(*fields, "_json_text")
    )
    parsed = json.loads("[" + ",".join(r[-1] if r[-1] is not None else "null" for r in raw) + "]")
    return [(*r[:-1], p) for r, p in zip(raw, parsed, strict=True)]
