"""Training fixtures: a programme of 临渭区's teacher development centre (the district
researcher organises it) with sessions, in the test world of tests/conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jiaoyan.hours.models import HoursCategory
from jiaoyan.training import services
from jiaoyan.training.models import Programme

TZ = timezone.get_fixed_timezone(480)
DAY1 = dt.datetime(2025, 4, 10, 9, 0, tzinfo=TZ)


def make_programme(
    w,
    *,
    sessions=(Decimal("3"), Decimal("3")),
    actor="district_researcher",
    unit="linwei_institute",
    open_it=True,
    **kwargs,
) -> Programme:
    data = {
        "title": "临渭区初中数学骨干教师研修班",
        "cohorts": ["teacher", "principal"],
        "tier": "key",
        "format": "face",
        "mode": "open",
        "min_attendance": 75,
    }
    data.update(kwargs)
    p = services.create_programme(actor=w.users[actor], org_unit=w.units[unit].pk, **data)
    for n, hours in enumerate(sessions):
        start = DAY1 + dt.timedelta(days=7 * n)
        services.add_session(
            actor=w.users[actor],
            programme=p,
            title=f"第{n + 1}讲",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            hours=hours,
            place="临渭区教师发展中心报告厅",
        )
    if open_it:
        services.open_programme(actor=w.users[actor], programme=p)
    p.refresh_from_db()
    return p


@pytest.fixture
def category(world):
    return HoursCategory.objects.create(
        org_unit=world.units["linwei_bureau"], code="XK", name="学科教学"
    )
