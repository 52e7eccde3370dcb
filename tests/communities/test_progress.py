"""Task progress and studio points fall out of the records: activities organised by the
community (held: someone checked in), observations by its members, evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jiaoyan.activities.models import Activity
from jiaoyan.communities import policies, progress, queries, services
from jiaoyan.communities.models import PointItem
from jiaoyan.core.errors import ServiceError
from jiaoyan.observations.models import Rubric
from tests.observations.conftest import observe

from .conftest import YEAR, held_activity

pytestmark = pytest.mark.usefixtures("chinese")


def _progress(studio):
    return {t["task"].name: t["done"] for t in queries.tasks_with_progress(studio, YEAR)}


def _points(studio):
    s = policies.Settings()
    return progress.points([studio], YEAR, lambda c: s.points(c.org_unit.path))[studio.pk]


def test_activity_counts_once_someone_checks_in(world, studio):
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    assert _progress(studio)["示范课"] == 0
    assert _points(studio).total == 0
    held_activity(world, studio, people=("teacher",))
    p = _progress(studio)
    assert p["示范课"] == 1 and p["集体研修活动"] == 1
    score = _points(studio)
    # A county-level demonstration: 3 points in the default table.
    assert score.total == Decimal("3") and score.counts[PointItem.DEMONSTRATION] == 1


def test_a_draft_or_cancelled_activity_does_not_count(world, studio):
    from jiaoyan.activities import services as activity_services

    start = timezone.now() + dt.timedelta(days=1)
    activity_services.create_activity(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        community=studio,
        title="草稿",
        kind=Activity.Kind.DEMONSTRATION,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        venue_name="厅",
        venue_address="路",
    )
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    assert _progress(studio)["示范课"] == 0


def test_bureau_edits_the_points_table_and_points_recompute(world, studio):
    held_activity(world, studio)
    assert _points(studio).total == Decimal("3")
    services.save_point_rule(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        item=PointItem.DEMONSTRATION,
        level="county",
        points="4.5",
    )
    assert _points(studio).total == Decimal("4.5")


def test_a_bureaus_line_replaces_only_that_line_of_the_defaults(world, studio):
    """Setting one line (a county demonstration) leaves every other line as it was: a
    member's observation still earns the default 0.5, a city demonstration 5."""
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["principal"],
        joined_on=dt.date(YEAR, 1, 1) if dt.date(YEAR, 1, 1) >= studio.start_on else None,
    )
    held_activity(world, studio)
    observe(
        world,
        Rubric.objects.get(org_unit__isnull=True),
        observer="principal",
        teacher="teacher",
        date=timezone.localdate(),
    )
    assert _points(studio).total == Decimal("3.5")
    services.save_point_rule(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        item=PointItem.DEMONSTRATION,
        level="county",
        points="4.5",
    )
    assert _points(studio).total == Decimal("5.0")
    table = {(r.item, r.level): r.points for r in policies.Settings().points(studio.org_unit.path)}
    assert table[(PointItem.DEMONSTRATION, "county")] == Decimal("4.5")
    assert table[(PointItem.DEMONSTRATION, "city")] == Decimal("5")
    assert table[(PointItem.OBSERVATION, "")] == Decimal("0.5")
    # A line for any level of an item replaces that item's default lines of every level.
    services.save_point_rule(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        item=PointItem.OBSERVATION,
        level="",
        points="1",
    )
    assert _points(studio).total == Decimal("5.5")


def test_member_observations_count(world, studio):
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["principal"],
        joined_on=dt.date(YEAR, 1, 1) if dt.date(YEAR, 1, 1) >= studio.start_on else None,
    )
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    builtin = Rubric.objects.get(org_unit__isnull=True)
    day = timezone.localdate()
    observe(world, builtin, observer="principal", teacher="teacher", date=day)
    observe(world, builtin, observer="principal", teacher="teacher", date=day, submit=False)
    assert _progress(studio)["成员听评课"] == 1
    assert _points(studio).counts[PointItem.OBSERVATION] == 1


def test_only_its_managers_and_leaders_organise_for_a_community(world, studio):
    from jiaoyan.activities import services as activity_services

    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ServiceError) as e:
        activity_services.create_activity(
            actor=world.users["principal"],
            org_unit=world.schools["school_a"].org_unit,
            community=studio,
            title="校内活动",
            kind=Activity.Kind.LECTURE,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            venue_name="厅",
            venue_address="路",
        )
    assert e.value.field == "community"
    assert not Activity.objects.filter(title="校内活动").exists()
