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

from .models import (
    Application,
    Resource,
    ResourceDayStat,
    ResourceEvent,
    StatFact,
    Status,
)

#: Seconds in a tenth of a day: the buckets of the review turnaround.
TENTH_OF_A_DAY = 8640
BATCH = 2000

#: (unit, fact, day, status, kind, subject, key): one row of the table.
Key = tuple[int, str, dt.date, str, str, int, int]
COLUMNS = ("org_unit_id", "fact", "day", "status", "kind", "subject", "key")


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


def add(delta: Counter[Key] | dict[Key, int], *, using: str | None = None) -> int:
    """Add ``delta`` (key → count, negative to take away) to the table, one upsert per
    row; rows that fall to zero are removed. How many rows were touched."""
    changes = [(k, v) for k, v in delta.items() if v]
    if not changes:
        return 0
    db = using or router.db_for_write(ResourceDayStat)
    conn = connections[db]
    qn = conn.ops.quote_name
    table = qn(ResourceDayStat._meta.db_table)
    cols = ", ".join(qn(c) for c in (*COLUMNS, "n"))
    key = ", ".join(qn(c) for c in COLUMNS)
    n = qn("n")
    sql = (
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * (len(COLUMNS) + 1))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}"
    )
    day = ResourceDayStat._meta.get_field("day")
    rows = [(*k[:2], day.get_db_prep_save(k[2], conn), *k[3:], v) for k, v in changes]
    with conn.cursor() as cursor:
        cursor.executemany(sql, rows)
    gone = {k[0] for k, v in changes if v < 0}
    if gone:
        ResourceDayStat.objects.using(db).filter(org_unit_id__in=gone, n__lte=0).delete()
    return len(changes)


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
    return {"resources": len(ids), "rows": written}


def differences() -> dict[Key, tuple[int, int]]:
    """Where the table differs from a recomputation (key → (kept, recomputed)); empty
    when it is right. Reads everything: for checks and tests, not for pages."""
    db = router.db_for_read(ResourceDayStat)
    ids = list(Resource.objects.using(db).order_by("pk").values_list("pk", flat=True))
    want: Counter[Key] = Counter()
    for start in range(0, len(ids), BATCH):
        want.update(contributions(ids[start : start + BATCH], using=db))
    have: Counter[Key] = Counter()
    for row in ResourceDayStat.objects.using(db).values_list(*COLUMNS, "n"):
        have[tuple(row[:-1])] += row[-1]
    keys = {k for k, v in want.items() if v} | {k for k, v in have.items() if v}
    return {k: (have[k], want[k]) for k in keys if have[k] != want[k]}
