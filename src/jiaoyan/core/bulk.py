"""Bulk writes for imports: one prepared statement, executed for many rows.

Django's ``bulk_update`` writes one ``UPDATE … SET f = CASE WHEN pk=1 THEN … END`` per
batch, whose compilation grows with rows × fields (seconds for tens of thousands of rows),
and ``bulk_create`` compiles a multi-row INSERT per batch and reads back every new id.
When neither the ids nor any expression is needed — audit rows, many-to-many links,
changed columns of rows already loaded — these send one statement with ``executemany``,
which both SQLite and psycopg run as a prepared statement per batch. They write what the
ORM would write (each field's ``pre_save`` and ``get_db_prep_save``), send no signals,
and run in the caller's transaction.

For derived rows (an exam's analysis: tens of thousands of plain numbers) there is a
faster path still: :func:`insert_dicts` sends the values as they are (JSON adapted, nothing
else prepared), and :func:`rows_with_json` reads many JSON values with one parse instead
of one per row.

On PostgreSQL every INSERT here is a ``COPY … FROM STDIN`` instead (psycopg 3's
``cursor.copy``): the rows stream in one command, with no statement per row; SQLite keeps
its ``executemany``. Where the new rows' ids are needed (other rows point at them),
:func:`bulk_create` takes them in one block from the table's sequence first
(:func:`take_ids`: ``nextval`` over ``generate_series`` on PostgreSQL, the
``sqlite_sequence`` row on SQLite), so they are the ids the ORM's ``bulk_create`` would
have given, in the same order, and the rows still go in by COPY. After loading a large
share of a table, :func:`analyze` refreshes the planner's statistics.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import IntegrityError, connections, models, router
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone


def _connection(model: type[models.Model]):
    return connections[router.db_for_write(model)]


def execute_batches(
    conn, sql: str, rows: Sequence, batch_size: int, params: Callable[[Any], Sequence]
) -> None:
    """Run ``sql`` once per row (its parameters: ``params(row)``), a batch at a time."""
    with conn.cursor() as cursor:
        for i in range(0, len(rows), batch_size):
            cursor.executemany(sql, [params(row) for row in rows[i : i + batch_size]])


def _insert(
    conn,
    model: type[models.Model],
    fields: Sequence[models.Field],
    rows: Sequence,
    batch_size: int,
    params: Callable[[Any], Sequence],
) -> int:
    """INSERT one row of ``fields`` per row (its values: ``params(row)``); how many."""
    return insert_into(
        conn, model._meta.db_table, [f.column for f in fields], rows, batch_size, params
    )


def insert_into(
    conn,
    table: str,
    columns: Sequence[str],
    rows: Sequence,
    batch_size: int,
    params: Callable[[Any], Sequence],
) -> int:
    """INSERT into ``table``'s ``columns`` one row per row (its values: ``params(row)``,
    ready for the driver); how many. PostgreSQL: one COPY for all of them; SQLite:
    ``executemany`` by batches. The way in of every insert here (and of the bench's
    measure of the least an import could take)."""
    qn = conn.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor, cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(params(row))
        return len(rows)
    sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    execute_batches(conn, sql, rows, batch_size, params)
    return len(rows)


_sole_writer: contextvars.ContextVar[bool] = contextvars.ContextVar("sole_writer", default=False)


@contextlib.contextmanager
def sole_writer() -> Iterator[None]:
    """Declare that nothing else writes to the database meanwhile (the demo filling a
    flushed database in one transaction): :func:`take_ids` then reserves a block of ids
    with one ``setval`` instead of one ``nextval`` per id."""
    token = _sole_writer.set(True)
    try:
        yield
    finally:
        _sole_writer.reset(token)


def take_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` new ids of ``model``'s table, ascending, reserved as its own INSERTs would
    take them (nobody else gets them): from the sequence on PostgreSQL, by moving the
    ``sqlite_sequence`` mark on SQLite (tables of Django's AUTOINCREMENT keys)."""
    if n <= 0:
        return []
    conn = _connection(model)
    meta = model._meta
    table = meta.db_table
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            seq = "pg_get_serial_sequence(%s, %s)"
            args = [conn.ops.quote_name(table), meta.pk.column]
            if _sole_writer.get():
                # One call for the block (nextval costs ~10 µs each): safe only when no
                # other session takes ids meanwhile.
                cursor.execute(f"SELECT setval({seq}, nextval({seq}) + %s - 1)", [*args, *args, n])
                last = cursor.fetchone()[0]
                return list(range(last - n + 1, last + 1))
            cursor.execute(f"SELECT nextval({seq}) FROM generate_series(1, %s)", [*args, n])
            return sorted(r[0] for r in cursor.fetchall())
        qn = conn.ops.quote_name
        cursor.execute(f"SELECT MAX({qn(meta.pk.column)}) FROM {qn(table)}")
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row and row[0] else 0)
        if row:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + n, table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start + n]
            )
    return list(range(start + 1, start + n + 1))


def bulk_create(model: type[models.Model], objs: Iterable[models.Model], batch_size=2000) -> list:
    """INSERT ``objs`` as the ORM's ``bulk_create`` does (same values, same new ids, in
    order, set on the objects), through :func:`_insert`: the ids are taken first
    (:func:`take_ids`), so the rows need not be read back. No signals, no conflicts
    handling, no multi-table inheritance."""
    objs = list(objs)
    if not objs:
        return objs
    meta = model._meta
    if meta.parents:
        raise ValueError(f"bulk_create: {model.__name__} inherits from another model")
    conn = _connection(model)
    for obj in objs:
        if not obj._is_pk_set():
            obj.pk = meta.pk.get_pk_value_on_save(obj)  # a default (uuid4 …), else None
        # A related object saved after it was assigned: take its id (as the ORM does).
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    new = [obj for obj in objs if not obj._is_pk_set()]
    for obj, pk in zip(new, take_ids(model, len(new)), strict=True):
        obj.pk = pk
    _insert_objects(
        conn, model, [f for f in meta.concrete_fields if not f.generated], objs, batch_size
    )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = conn.alias
    return objs


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """A long bulk load by the database's sole writer (the demo filling a flushed database),
    inside the caller's transaction. On PostgreSQL, ``SET LOCAL`` settings that end with the
    transaction: the one commit need not wait for the WAL flush (a crash loses the whole
    transaction, which a re-run repeats), sorts and index builds get more memory, and —
    when the role may (a superuser) — the foreign keys are not checked by a trigger per
    row queued until the commit (``session_replication_role = replica``; the schema has
    no triggers of its own) but by one anti-join per foreign key when the load is done
    (:func:`check_foreign_keys`), which fails the transaction as the triggers would.
    Ids are taken in blocks (:func:`sole_writer`). SQLite: only the latter."""
    conn = connections["default"]
    deferred_fks = False
    with sole_writer():
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                if cursor.fetchone()[0]:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    deferred_fks = True
        yield
        if deferred_fks:
            with conn.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            check_foreign_keys()


def check_foreign_keys() -> None:
    """Every foreign key of the schema, checked set-wise (PostgreSQL): a value with no row
    it points at raises ``IntegrityError`` naming the constraint and a sample value."""
    conn = connections["default"]
    qn = conn.ops.quote_name
    with conn.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, child.relname, ca.attname, parent.relname, pa.attname
            FROM pg_constraint c
            JOIN pg_class child ON child.oid = c.conrelid
            JOIN pg_class parent ON parent.oid = c.confrelid
            JOIN pg_attribute ca ON ca.attrelid = c.conrelid AND ca.attnum = c.conkey[1]
            JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
              AND c.connamespace = current_schema()::regnamespace
            ORDER BY child.relname, c.conname
            """
        )
        for name, child, column, parent, target in cursor.fetchall():
            cursor.execute(
                f"SELECT c.{qn(column)} FROM {qn(child)} c WHERE c.{qn(column)} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {qn(parent)} p "
                f"WHERE p.{qn(target)} = c.{qn(column)}) LIMIT 1"
            )
            row = cursor.fetchone()
            if row is not None:
                raise IntegrityError(
                    f"{child}.{column}={row[0]!r} points at no {parent} row ({name})"
                )


def analyze(*models_: type[models.Model]) -> None:
    """Refresh the planner's statistics of these models' tables (all of the project's when
    none is given) after a bulk load: PostgreSQL's autovacuum gets there later, SQLite
    keeps none until asked. Named tables only: a bare ``ANALYZE`` on PostgreSQL also takes
    the cluster's shared catalogs, and waits for any other database's session holding
    them."""
    conn = connections["default"] if not models_ else _connection(models_[0])
    if models_:
        tables = [m._meta.db_table for m in models_]
    else:
        tables = sorted(conn.introspection.django_table_names(only_existing=True))
    qn = conn.ops.quote_name
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(qn(t) for t in tables)}")
        else:
            for table in tables:
                cursor.execute(f"ANALYZE {qn(table)}")


def analyze_unanalysed(using: str = "default") -> list[str]:
    """After migrations, on SQLite: ANALYZE every indexed table that holds rows but has no
    statistics — a migration that rebuilds a table (SQLite's way of altering one) drops
    its statistics, and the planner then guesses (the resource library went from 30 to
    180 ms after one). A database never analysed (a new one, a test's) is left as it is;
    PostgreSQL keeps statistics across ALTER TABLE and autovacuum refreshes them. Returns
    the tables analysed."""
    conn = connections[using]
    if conn.vendor != "sqlite":
        return []
    qn = conn.ops.quote_name
    done = []
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return []
        cursor.execute(
            "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name NOT IN (SELECT tbl FROM sqlite_stat1)"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT 1 FROM {qn(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                cursor.execute(f"ANALYZE {qn(table)}")
                done.append(table)
    return done


def bulk_insert(model: type[models.Model], objs: Iterable[models.Model], batch_size=2000) -> int:
    """INSERT ``objs`` (new rows whose ids nobody needs back); returns how many."""
    objs = list(objs)
    if not objs:
        return 0
    conn = _connection(model)
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.generated and not (f.primary_key and isinstance(f, models.AutoField))
    ]
    return _insert_objects(conn, model, fields, objs, batch_size)


def _insert_objects(conn, model, fields, objs, batch_size) -> int:
    """INSERT ``objs``' ``fields`` as the ORM prepares them (``pre_save``, then
    ``get_db_prep_save``)."""
    return _insert(
        conn,
        model,
        fields,
        objs,
        batch_size,
        lambda obj: [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields],
    )


# Column types whose values the driver takes as they are when they are of the column's
# own Python type (int, str, bool, float): no per-value preparation. On PostgreSQL also
# dates, aware datetimes and decimals (psycopg adapts them; Django would pass them on).
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "BooleanField",
        "FloatField",
    }
)
_PLAIN_TYPES_PG = _PLAIN_TYPES | {"DateField", "DateTimeField", "DecimalField"}


def _is_plain(field: models.Field, conn) -> bool:
    while field.is_relation:  # a foreign key holds its target's value
        field = field.target_field
    plain = _PLAIN_TYPES_PG if conn.vendor == "postgresql" else _PLAIN_TYPES
    return field.get_internal_type() in plain


def insert_values(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence], batch_size=5000
) -> int:
    """INSERT many new rows (ids nobody needs back) given as tuples of plain values of
    ``columns`` (field names or attnames, e.g. the two ids of a many-to-many link) — no
    model object per row, and no per-value preparation where the driver needs none: the
    fastest way in for millions of rows (the demo's attendance). The model's other
    columns take their field's default, evaluated once for the call
    (``auto_now``/``auto_now_add``: now).

    Values must be of the column's own Python type (int, str, bool, None, ``Decimal``,
    ``date``, aware ``datetime``, a foreign key's id); columns the backend's driver does
    not take as they are (SQLite's dates, datetimes and decimals, JSON …) still go
    through the field's ``get_db_prep_save``."""
    conn = _connection(model)
    meta = model._meta
    given = [meta.get_field(c) for c in columns]
    rest = [
        f
        for f in meta.concrete_fields
        if not f.generated
        and not (f.primary_key and isinstance(f, models.AutoField))
        and f not in given
    ]
    consts = tuple(
        f.get_db_prep_save(
            timezone.now()
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            conn,
        )
        for f in rest
    )
    prepared = [(i, f) for i, f in enumerate(given) if not _is_plain(f, conn)]

    def params(row: Sequence) -> Sequence:
        if prepared:
            row = list(row)
            for i, f in prepared:
                row[i] = f.get_db_prep_save(row[i], conn)
        return (*row, *consts) if consts else row

    return _insert(conn, model, [*given, *rest], list(rows), batch_size, params)


def bulk_update(
    model: type[models.Model],
    objs: Iterable[models.Model],
    fields: Sequence[str],
    batch_size=2000,
) -> int:
    """UPDATE ``fields`` of ``objs`` (rows with ids) to their current values."""
    objs = list(objs)
    if not objs:
        return 0
    conn = _connection(model)
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    qn = conn.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "
        + ", ".join(f"{qn(f.column)} = %s" for f in concrete)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    execute_batches(
        conn,
        sql,
        objs,
        batch_size,
        lambda obj: (
            [f.get_db_prep_save(getattr(obj, f.attname), conn) for f in concrete]
            + [meta.pk.get_db_prep_save(obj.pk, conn)]
        ),
    )
    return len(objs)


def chunks(seq: Sequence, size: int = 900) -> Iterator[Sequence]:
    """``seq`` in slices of ``size`` (by default few enough values for one statement on
    SQLite, whose limit on a statement's variables is 999 on older builds)."""
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def filter_in(queryset, column: str, values: Iterable, batch_size: int = 900) -> Iterator:
    """The rows of ``queryset`` whose ``column`` is one of ``values``, read in batches."""
    for chunk in chunks(list(values), batch_size):
        yield from queryset.filter(**{f"{column}__in": chunk})


def bulk_delete_in(model: type[models.Model], column: str, values: Sequence, batch_size=900):
    """DELETE the rows whose ``column`` is one of ``values`` (in batches)."""
    for chunk in chunks(list(values), batch_size):
        model._base_manager.filter(**{f"{column}__in": chunk}).delete()


def insert_dicts(
    model: type[models.Model], rows: Iterable[dict[str, Any]], batch_size: int = 5000
) -> int:
    """INSERT ``rows`` (dicts by field attname; missing keys are NULL) of plain values:
    no ``pre_save``, no per-value preparation except JSON. For derived rows only (figures
    computed from other tables), whose values are already what the column holds."""
    conn = _connection(model)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    is_json = [isinstance(f, models.JSONField) for f in fields]
    names = [f.attname for f in fields]
    adapt = conn.ops.adapt_json_value
    return _insert(
        conn,
        model,
        fields,
        list(rows),
        batch_size,
        lambda r: tuple(
            adapt(r.get(n), None) if j and r.get(n) is not None else r.get(n)
            for n, j in zip(names, is_json, strict=True)
        ),
    )


def rows_with_json(queryset, fields: Sequence[str], json_field: str) -> list[tuple]:
    """``values_list(*fields, json_field)`` with the JSON column parsed in one go."""
    raw = list(
        queryset.order_by()
        .annotate(_json_text=Cast(json_field, TextField()))
        .values_list(*fields, "_json_text")
    )
    parsed = json.loads("[" + ",".join(r[-1] if r[-1] is not None else "null" for r in raw) + "]")
    return [(*r[:-1], p) for r, p in zip(raw, parsed, strict=True)]
