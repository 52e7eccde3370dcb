"""Fixtures of the hours tests: real sources (activities of 临渭区 and of 华州区) and a
helper that credits hours for them through the hours services, as the activities module
does when an activity is finished."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from jiaoyan.activities.models import Activity
from jiaoyan.hours import services
from jiaoyan.hours.models import HoursRecord
from tests.activities.conftest import make_activity
from tests.activities.scope_cases import _activity as huazhou_activity

DAY = dt.date(2026, 3, 18)


def credit(source, people, *, hours="3", date=DAY, title=None, unit=None) -> tuple[int, int]:
    return services.sync_for_source(
        source,
        person_ids=[p.pk for p in people],
        hours=Decimal(hours),
        date=date,
        title=title or source.title,
        kind=HoursRecord.Kind.ACTIVITY,
        credited_by_id=(unit or source.org_unit).pk,
    )


def many_records(person, n: int, *, year: int = 2026) -> None:
    """``n`` records of one person, one per (made-up) activity id, written in one go: the
    query-count pins need more rows than a page holds, not n real activities."""
    ct = ContentType.objects.get_for_model(Activity)
    HoursRecord.objects.bulk_create(
        HoursRecord(
            person=person,
            hours=Decimal("1.5"),
            kind=HoursRecord.Kind.ACTIVITY,
            date=dt.date(year, 1, 1) + dt.timedelta(days=i % 300),
            title=f"第{i}次教研活动",
            source_type=ct,
            source_id=10_000 + i,
        )
        for i in range(n)
    )


@pytest.fixture
def linwei_activity(world):
    return make_activity(world, title="临渭区初中数学集体备课")


@pytest.fixture
def huazhou(world):
    """An activity of 华州区, with hours credited to its teacher (teacher_c)."""
    activity = huazhou_activity(world)
    credit(activity, [world.people["teacher_c"]])
    return activity
