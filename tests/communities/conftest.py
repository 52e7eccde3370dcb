"""Fixtures of the communities tests: a teacher studio of 临渭区 owned by its institute
(hosted by the teacher of 临渭区第一初级中学), and helpers for held activities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.activities import codes
from jiaoyan.activities import services as activity_services
from jiaoyan.activities.models import Activity
from jiaoyan.communities import services
from jiaoyan.communities.models import Kind

YEAR = timezone.localdate().year
START = dt.date(YEAR - 1, 9, 1)
END = dt.date(YEAR + 2, 8, 31)


def rule_codes(error) -> set[str]:
    """The rule a ServiceError names (``code=`` of the service)."""
    return {error.rule}


def make_studio(
    w, *, actor=None, code="MS-LW-001", leader="teacher", unit="linwei_institute", **kw
):
    return services.create_community(
        actor=actor or w.users["district_researcher"],
        kind=kw.pop("kind", Kind.STUDIO),
        org_unit=w.units[unit],
        name=kw.pop("name", "张老师初中数学名师工作室"),
        code=code,
        start_on=kw.pop("start_on", START),
        end_on=kw.pop("end_on", END),
        goals="打造区域初中数学教学共同体",
        leader=w.people[leader] if leader else None,
        **kw,
    )


@pytest.fixture
def studio(world):
    return make_studio(world)


def held_activity(w, community, *, people=("teacher",), actor=None, **kw):
    """An activity organised for ``community`` in which ``people`` checked in."""
    actor = actor or w.users["district_researcher"]
    start = timezone.now() - dt.timedelta(minutes=20)
    args = {
        "title": "工作室示范课",
        "kind": Activity.Kind.DEMONSTRATION,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "mode": Activity.Mode.ONSITE,
        "hours": 2,
        "venue_name": "报告厅",
        "venue_address": "临渭区人民路1号",
    }
    args.update(kw)
    a = activity_services.create_activity(
        actor=actor, org_unit=w.units["linwei_institute"], community=community, **args
    )
    persons = [w.people[p] for p in people]
    activity_services.invite(actor=actor, activity=a, person_ids=[p.pk for p in persons])
    activity_services.publish_activity(actor=actor, activity=a)
    activity_services.start_activity(actor=actor, activity=a)
    venue = a.venues.get(is_main=True)
    for p in persons:
        if p.user_id:
            code, _until = codes.current_code(venue)
            activity_services.check_in(actor=p.user, activity=a, code=code)
        else:
            part = a.participations.get(person=p)
            activity_services.mark_attendance(actor=actor, activity=a, marks={part.pk: "present"})
    return Activity.objects.get(pk=a.pk)
