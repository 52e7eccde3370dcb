"""Fixtures of the activities tests: a drafted activity of 临渭区 (organised by its
teaching-research institute, hosted by the district researcher), times around "now"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.activities import codes, services
from jiaoyan.activities.models import Activity, Venue
from jiaoyan.orgs.models import Subject


@pytest.fixture(autouse=True)
def _no_cached_stats():
    """The stats are cached for a short while; every test starts without."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_activity(w, *, actor=None, unit=None, start_in=dt.timedelta(days=2), **kw) -> Activity:
    start = timezone.now().replace(second=0, microsecond=0) + start_in
    args = {
        "title": "初中数学集体备课",
        "kind": Activity.Kind.LESSON_PREP,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "mode": Activity.Mode.HYBRID,
        "hours": 3,
        "venue_name": "区教师发展中心报告厅",
        "venue_address": "临渭区人民路1号",
        "venue_capacity": 100,
    }
    args.update(kw)
    return services.create_activity(
        actor=actor or w.users["district_researcher"],
        org_unit=unit or w.units["linwei_institute"],
        **args,
    )


def main_venue(activity) -> Venue:
    return activity.venues.get(is_main=True)


@pytest.fixture
def activity(world):
    return make_activity(world)


@pytest.fixture
def published(world):
    """A published activity with a sub-venue at 临渭区第一初级中学; 临渭区's math teachers
    are invited (the teacher, and teacher_c of 华州区 by staff number: beyond the
    researcher's scope, so through the explicit ``beyond_scope`` path)."""
    a = make_activity(world)
    services.add_venue(
        actor=world.users["district_researcher"],
        activity=a,
        name="一中分会场",
        unit=world.schools["school_a"].org_unit,
        address="一中录播教室",
        capacity=30,
    )
    ids, _ = services.resolve_people(
        actor=world.users["district_researcher"],
        units=[world.units["linwei"]],
        subject=Subject.objects.get(name="数学"),
    )
    services.invite(
        actor=world.users["district_researcher"],
        activity=a,
        person_ids=ids,
        beyond_scope=["H101"],
    )
    services.publish_activity(actor=world.users["district_researcher"], activity=a)
    a.refresh_from_db()
    return a


def wrong_code(activity, real: str) -> str:
    """A code that is neither current nor an expired one at any of the activity's venues.

    Each venue remembers its codes of the last 12 hours to say "expired" rather than
    "wrong", so a code picked blindly has a small chance of being one of them.
    """
    venues = list(activity.venues.all())
    for step in range(1, 1000):
        candidate = f"{(int(real) + step) % 10**6:06d}"
        if all(codes.verify(v, candidate) == codes.WRONG for v in venues):
            return candidate
    raise AssertionError("no wrong code found")
