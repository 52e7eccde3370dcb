"""Writes to hours records. Callers (the module that owns the source) decide who earned
what; these functions keep the records exactly in step with that decision: crediting is
idempotent per (person, source), and a person no longer entitled loses the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import HoursRecord


def sync_for_source(
    source: models.Model,
    *,
    person_ids: Iterable[int],
    hours: Decimal | Mapping[int, Decimal],
    date: dt.date,
    title: str,
    kind: str,
    credited_by_id: int | None = None,
    category_id: int | None = None,
) -> tuple[int, int]:
    """Make the records of ``source`` be exactly one per person in ``person_ids``.

    ``hours`` is one value for everybody, or a mapping person id -> hours (a training
    programme crediting the hours of the sessions each person attended). Run inside the
    caller's transaction (after its permission check and audit). Returns (created,
    removed). Hours, a title, a date or a category changed since the last call are
    updated.
    """
    ct = ContentType.objects.get_for_model(type(source))
    wanted = set(person_ids)
    per_person = hours if isinstance(hours, Mapping) else None

    def hours_of(pid: int) -> Decimal:
        return per_person[pid] if per_person is not None else hours  # type: ignore[return-value]

    existing = HoursRecord.objects.filter(source_type=ct, source_id=source.pk)
    have = set(existing.values_list("person_id", flat=True))
    removed = 0
    gone = have - wanted
    if gone:
        removed, _ = existing.filter(person_id__in=gone).delete()
    kept = have & wanted
    groups: dict[Decimal, list[int]] = {}
    for pid in kept:
        groups.setdefault(hours_of(pid), []).append(pid)
    for value, ids in groups.items():
        existing.filter(person_id__in=ids).exclude(
            hours=value, title=title[:200], date=date, category_id=category_id
        ).update(hours=value, title=title[:200], date=date, category_id=category_id)
    new = [
        HoursRecord(
            person_id=pid,
            hours=hours_of(pid),
            kind=kind,
            date=date,
            title=title[:200],
            source_type=ct,
            source_id=source.pk,
            credited_by_id=credited_by_id,
            category_id=category_id,
        )
        for pid in sorted(wanted - have)
    ]
    HoursRecord.objects.bulk_create(new, batch_size=2000)
    return len(new), removed


def revoke_for_source(source: models.Model) -> int:
    ct = ContentType.objects.get_for_model(type(source))
    n, _ = HoursRecord.objects.filter(source_type=ct, source_id=source.pk).delete()
    return n
