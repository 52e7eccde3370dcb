"""The researchers tests' world: 韩梅 (the district researcher of 临渭区教师发展中心) with a
profile kept by the city's bureau admin; the clock stands at 2025-06-30 (second term of
2024–2025), so the dates of 2025 before it have happened."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.researchers import services

NOW = dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def profile(world):
    return services.create_profile(
        actor=world.users["city_admin"],
        person=world.people["district_researcher"],
        org_unit=world.units["linwei_institute"],
        subjects=Subject.objects.filter(name="数学"),
        stages=Stage.objects.filter(code="junior"),
        since=dt.date(2020, 9, 1),
    )


@pytest.fixture
def residency(world, profile):
    return services.create_residency(
        actor=world.users["district_researcher"],
        profile=profile,
        school=world.schools["school_b"].org_unit,
        start_date=dt.date(2025, 3, 3),
        end_date=dt.date(2025, 3, 28),
        goals="指导二小数学组开展单元整体教学",
    )
