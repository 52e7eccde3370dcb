"""The statistics' day table (:class:`~.models.ResourceDayStat`): what every resource
contributes to the statistics page, added up per unit, local day and fact — so that a
scope's figures over a period are sums of a few thousand narrow rows, not counts over
the resources, their steps, authors and uses.

What one resource contributes (:func:`contributions`), from its current rows:

* not a draft and submitted: one ``submitted`` on the day of its last submission (with
  its status, kind and subject), one ``authored`` when it has authors, and one ``author``
  per author (``key``: the person);
* published: one ``published`` on the day it was published;
* each decision (a step with a turnaround): one ``decided`` on its day (``key``: the
  turnaround in tenths of a day);
* each use in a lesson: one ``used`` on the use's day.

Every service that changes any of that wraps its write in :func:`tracking` (the
resource's contribution read before and after, the difference added to the table with
``INSERT … ON CONFLICT DO UPDATE SET n = n + …``, so concurrent writers never lose a
count) — in the write's own transaction: a rolled-back write changes nothing. A bulk
load (the demo) or anything that wrote around the services calls :func:`rebuild`
(``jiaoyan resource_stats``, or the job ``resources.rebuild_stats``), which recomputes
the table from the rows with the same :func:`contributions`.

Every change to the day table is added, in the same statement batch, to the month table
(:class:`~.models.ResourceMonthStat`): per unit on the path of the resource's unit (that
unit included), month and fact, the per-author rows left out — so the statistics of a
scope over whole months read the scope's and its children's rows only. It is rolled up
under the units' tree of the moment: the stamp ``resources.month_tree`` holds the
version of ``orgs.units`` it was rolled up under, and while the tree has moved since
(a unit moved, see ``orgs.services.move_unit``) the statistics read the day table alone
(right, slower) until the next rebuild.

Days are local dates (``TIME_ZONE``), the days a :class:`~jiaoyan.core.metrics.Period`
is made of; after changing ``TIME_ZONE``, rebuild.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connections, router, transaction
from django.utils import timezone

from jiaoyan.core import stamps
from jiaoyan.core.models import Stamp
from jiaoyan.core.paths import path_ids
from jiaoyan.orgs.models import OrgUnit

from .models import (
    Application,
    Resource,
    ResourceDayStat,
    ResourceEvent,
    ResourceMonthStat,
    StatFact,
    Status,
)

#: Seconds in a tenth of a day: the buckets of the review turnaround.
TENTH_OF_A_DAY = 8640
BATCH = 2000

#: (unit, fact, day, status, kind, subject, key): one row of the table.
Key = tuple[int, str, dt.date, str, str, int, int]
COLUMNS = ("org_unit_id", "fact", "day", "status", "kind", "subject", "key")
MONTH_COLUMNS = ("org_unit_id", "fact", "month", "status", "kind", "subject", "key")
#: The version of the units' tree (``orgs.units``) the month table was rolled up under.
TREE = "resources.month_tree"
UNITS = "orgs.units"


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def tenths(seconds: int) -> int:
    """A turnaround's bucket: whole tenths of a day (a negative one counts as 0)."""
    return max(0, int(seconds) // TENTH_OF_A_DAY)


def contributions(resource_ids: Iterable[int], *, using: str | None = None) -> Counter[Key]:
    """What the resources ``resource_ids`` contribute to the table now (key → count), in
    four queries (their rows, authors, decisions and uses); a deleted one contributes
    nothing."""
    ids = list(resource_ids)
    out: Counter[Key] = Counter()
    if not ids:
        return out
    db = using or router.db_for_read(Resource)
    units: dict[int, int] = {}
    counted: dict[int, tuple[int, dt.date]] = {}
    for pk, unit, status, kind, subject, submitted, published in (
        Resource.objects.using(db)
        .filter(pk__in=ids)
        .values_list(
            "pk", "org_unit_id", "status", "kind", "subject_id", "submitted_at", "published_at"
        )
    ):
        units[pk] = unit
        if status != Status.DRAFT and submitted is not None:
            day = local_day(submitted)
            counted[pk] = (unit, day)
            out[(unit, StatFact.SUBMITTED, day, status, kind, subject or 0, 0)] += 1
        if status == Status.PUBLISHED and published is not None:
            out[(unit, StatFact.PUBLISHED, local_day(published), "", "", 0, 0)] += 1
    if counted:
        authors: dict[int, set[int]] = defaultdict(set)
        for pk, person in (
            Resource.authors.through.objects.using(db)
            .filter(resource_id__in=list(counted))
            .values_list("resource_id", "person_id")
        ):
            authors[pk].add(person)
        for pk, people in authors.items():
            unit, day = counted[pk]
            out[(unit, StatFact.AUTHORED, day, "", "", 0, 0)] += 1
            for person in people:
                out[(unit, StatFact.AUTHOR, day, "", "", 0, person)] += 1
    for pk, at, seconds in (
        ResourceEvent.objects.using(db)
        .filter(resource_id__in=list(units), turnaround__isnull=False)
        .values_list("resource_id", "created_at", "turnaround")
    ):
        out[(units[pk], StatFact.DECIDED, local_day(at), "", "", 0, tenths(seconds))] += 1
    for pk, day in (
        Application.objects.using(db)
        .filter(resource_id__in=list(units))
        .values_list("resource_id", "day")
    ):
        out[(units[pk], StatFact.USED, day, "", "", 0, 0)] += 1
    return out


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def ancestry(unit_ids: Iterable[int], *, using: str | None = None) -> dict[int, list[int]]:
    """Each unit's path (its ancestors and itself), in one query per thousand units."""
    ids = list(set(unit_ids))
    db = using or router.db_for_read(OrgUnit)
    out: dict[int, list[int]] = {}
    for start in range(0, len(ids), 1000):
        for pk, path in (
            OrgUnit.objects.using(db)
            .filter(pk__in=ids[start : start + 1000])
            .values_list("pk", "path")
        ):
            out[pk] = path_ids(path) or [pk]
    return out


def rolled(day_counts, *, using: str | None = None) -> Counter[Key]:
    """The month table's counts (unit on the path, fact, month, status, kind, subject, key
    → count) that day counts (the day table's keys) add up to."""
    items = [(k, v) for k, v in day_counts.items() if v and k[1] != StatFact.AUTHOR]
    paths = ancestry({k[0] for k, _v in items}, using=using)
    out: Counter[Key] = Counter()
    for (unit, fact, day, status, kind, subject, key), v in items:
        month = month_of(day)
        for above in paths.get(unit, [unit]):
            out[(above, fact, month, status, kind, subject, key)] += v
    return out


def _upsert(model, columns, changes, conn) -> None:
    qn = conn.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(c) for c in (*columns, "n"))
    key = ", ".join(qn(c) for c in columns)
    n = qn("n")
    sql = (
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * (len(columns) + 1))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}"
    )
    date = model._meta.get_field(columns[2])
    rows = [(*k[:2], date.get_db_prep_save(k[2], conn), *k[3:], v) for k, v in changes]
    with conn.cursor() as cursor:
        cursor.executemany(sql, rows)
    gone = {k[0] for k, v in changes if v < 0}
    if gone:
        model.objects.using(conn.alias).filter(org_unit_id__in=gone, n__lte=0).delete()


def add(delta: Counter[Key] | dict[Key, int], *, using: str | None = None) -> int:
    """Add ``delta`` (key → count, negative to take away) to the day table and its months
    to the month table, one upsert per row; rows that fall to zero are removed. How many
    day rows were touched."""
    changes = [(k, v) for k, v in delta.items() if v]
    if not changes:
        return 0
    db = using or router.db_for_write(ResourceDayStat)
    conn = connections[db]
    _upsert(ResourceDayStat, COLUMNS, changes, conn)
    months = [(k, v) for k, v in rolled(dict(changes), using=db).items() if v]
    if months:
        _upsert(ResourceMonthStat, MONTH_COLUMNS, months, conn)
    return len(changes)


def tree_unchanged(*, using: str | None = None) -> bool:
    """Whether the units' tree is the one the month table was rolled up under (one
    query)."""
    now, rolled_under = stamps.versions([UNITS, TREE], using=using)
    return now == rolled_under


@contextmanager
def tracking(*resource_ids: int) -> Iterator[None]:
    """Around a write to resources (their status, dates, kind, subject, authors, steps or
    uses): the table follows, in the write's transaction."""
    ids = [pk for pk in resource_ids if pk is not None]
    with transaction.atomic():
        before = contributions(ids)
        yield
        after = contributions(ids)
        after.subtract(before)
        add(after)


def used(unit_id: int, day: dt.date, sign: int) -> None:
    """A use in a lesson of a resource of ``unit_id`` recorded (+1) or withdrawn (−1)."""
    add({(unit_id, StatFact.USED, day, "", "", 0, 0): sign})


# --- rebuilding ------------------------------------------------------------------------------


@transaction.atomic
def rebuild(*, progress=None) -> dict[str, int]:
    """Recompute the whole table from the resources, their authors, decisions and uses
    (after a bulk load, or to repair it); how many resources were read and rows written."""
    from jiaoyan.core import bulk

    db = router.db_for_write(ResourceDayStat)
    ids = list(Resource.objects.using(db).order_by("pk").values_list("pk", flat=True))
    total: Counter[Key] = Counter()
    for start in range(0, len(ids), BATCH):
        total.update(contributions(ids[start : start + BATCH], using=db))
        if progress is not None:
            progress("counting", min(start + BATCH, len(ids)), len(ids))
    ResourceDayStat.objects.using(db).all().delete()
    rows = [(*k, v) for k, v in sorted(total.items()) if v]
    written = bulk.insert_values(ResourceDayStat, [*COLUMNS, "n"], rows, batch_size=5000)
    ResourceMonthStat.objects.using(db).all().delete()
    months = [(*k, v) for k, v in sorted(rolled(total, using=db).items()) if v]
    in_months = bulk.insert_values(
        ResourceMonthStat, [*MONTH_COLUMNS, "n"], months, batch_size=5000
    )
    (tree,) = stamps.versions([UNITS], using=db)
    Stamp.objects.using(db).update_or_create(key=TREE, defaults={"value": tree})
    return {"resources": len(ids), "rows": written, "month_rows": in_months}


def differences() -> dict[tuple, tuple[int, int]]:
    """Where the day table or the month table differs from a recomputation (key → (kept,
    recomputed), the key led by ``"day"`` or ``"month"``); empty when they are right.
    Reads everything: for checks and tests, not for pages."""
    db = router.db_for_read(ResourceDayStat)
    ids = list(Resource.objects.using(db).order_by("pk").values_list("pk", flat=True))
    want: Counter[Key] = Counter()
    for start in range(0, len(ids), BATCH):
        want.update(contributions(ids[start : start + BATCH], using=db))
    have: Counter[Key] = Counter()
    for row in ResourceDayStat.objects.using(db).values_list(*COLUMNS, "n"):
        have[tuple(row[:-1])] += row[-1]
    keys = {k for k, v in want.items() if v} | {k for k, v in have.items() if v}
    out: dict[tuple, tuple[int, int]] = {
        ("day", *k): (have[k], want[k]) for k in keys if have[k] != want[k]
    }
    want_months = rolled(want, using=db)
    have_months: Counter[Key] = Counter()
    for row in ResourceMonthStat.objects.using(db).values_list(*MONTH_COLUMNS, "n"):
        have_months[tuple(row[:-1])] += row[-1]
    keys = {k for k, v in want_months.items() if v} | {k for k, v in have_months.items() if v}
    out.update(
        {
            ("month", *k): (have_months[k], want_months[k])
            for k in keys
            if have_months[k] != want_months[k]
        }
    )
    return out
