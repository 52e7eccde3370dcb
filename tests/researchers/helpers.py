"""Rows of the other modules a researcher's year is made of, written as the demo writes
them (in bulk, seeded), for the work-record tests."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from jiaoyan.activities.models import Activity, Participation
from jiaoyan.hours.models import HoursRecord
from jiaoyan.ledger.models import Item
from jiaoyan.ledger.models import Status as ItemStatus


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def activity_at(w, day: dt.date, *, host=None, status=Activity.Status.FINISHED, kind="lesson_prep"):
    return Activity.objects.create(
        title=f"{day:%m月%d日}教研活动",
        kind=kind,
        level="county",
        org_unit=w.units["linwei_institute"],
        host=host,
        starts_at=_at(day),
        ends_at=_at(day, 11),
        start_month=day.year * 100 + day.month,
        status=status,
    )


def build_year(w, profile, *, seed: int = 7) -> dict:
    """A researcher's 2024–2025: activities hosted (some cancelled, some of others),
    participations (present, late, absent), ledger items (done on time, late, open,
    cancelled, due outside the year), hours records; seeded."""
    rng = random.Random(seed)
    person = profile.person
    other = w.people["principal"]
    days = [dt.date(2024, 12, 20) + dt.timedelta(days=3 * i) for i in range(60)]
    acts = []
    for day in days:
        host = person if rng.random() < 0.4 else other
        status = Activity.Status.CANCELLED if rng.random() < 0.15 else Activity.Status.FINISHED
        acts.append(
            activity_at(
                w,
                day,
                host=host,
                status=status,
                kind=rng.choice(["lesson_prep", "lecture", "observation"]),
            )
        )
    Participation.objects.bulk_create(
        Participation(
            activity=a,
            person=person,
            status="registered",
            attendance=rng.choice(["present", "late", "absent", "excused", ""]),
        )
        for a in acts
        if rng.random() < 0.7
    )
    items = []
    for i in range(30):
        due = dt.date(2024, 12, 1) + dt.timedelta(days=rng.randint(0, 240))
        status = rng.choice(list(ItemStatus.values))
        done_at = None
        if status in (ItemStatus.DONE, ItemStatus.VERIFIED):
            done_at = _at(due + dt.timedelta(days=rng.randint(-10, 10)), 15)
        items.append(
            Item(
                org_unit=w.units["linwei_institute"],
                title=f"台账事项{i}",
                number=9000 + i,
                responsible_unit=w.units["linwei_institute"],
                responsible_person=person if rng.random() < 0.8 else other,
                due_on=due,
                status=status,
                done_at=done_at,
            )
        )
    Item.objects.bulk_create(items)
    ct = ContentType.objects.get_for_model(Activity)
    HoursRecord.objects.bulk_create(
        HoursRecord(
            person=person,
            hours=Decimal(rng.choice(["1.5", "2", "3"])),
            kind="activity",
            date=a.starts_at.date(),
            title=a.title,
            source_type=ct,
            source_id=a.pk,
        )
        for a in acts[::4]
    )
    return {"activities": acts}
