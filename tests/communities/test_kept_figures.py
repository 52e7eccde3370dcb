"""The coverage's participants are kept in the cache under the versions of their inputs
(core.stamps): every write to a membership, a community, a school's flags or a person's
unit moves the figures at once, and a new day is computed again. The ranking is computed
from the records on every read: a new held activity, a check-in and an edited points table
move it at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiaoyan.activities import codes
from jiaoyan.activities import services as activity_services
from jiaoyan.activities.models import Activity
from jiaoyan.communities import queries, services
from jiaoyan.communities.models import PointItem
from jiaoyan.orgs import services as org_services
from jiaoyan.people import services as people_services

from .conftest import START, YEAR, held_activity, make_studio

pytestmark = pytest.mark.usefixtures("chinese")


def _studios(world) -> dict:
    data = queries.coverage(world.units["linwei"])
    return next(k for k in data["kinds"] if k.kind == "studio").as_dict()


def _grouped(captured) -> int:
    """How many times the memberships were grouped (the costly statement)."""
    return sum(1 for q in captured.captured_queries if "WITH g AS" in q["sql"])


def test_the_figures_are_kept_until_a_membership_changes(world, studio):
    first = _studios(world)
    assert (first["participants"], first["rural"]) == (1, 0)
    with CaptureQueriesContext(connection) as q:
        assert _studios(world) == first
    assert _grouped(q) == 0  # kept: nothing changed
    services.add_member(
        actor=world.users["district_researcher"], community=studio, person=world.people["teacher_b"]
    )
    with CaptureQueriesContext(connection) as q:
        now = _studios(world)
    assert _grouped(q) == 1
    # 刘老师 teaches at a rural school: one participant more, and one rural.
    assert (now["participants"], now["rural"], now["rural_or_weak"]) == (2, 1, 1)
    assert now["share"] == 50.0


def test_a_member_who_left_drops_out(world, studio):
    m = services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=START,
    )
    assert _studios(world)["participants"] == 2
    services.end_membership(
        actor=world.users["district_researcher"],
        membership=m,
        left_on=timezone.localdate() - dt.timedelta(days=1),
    )
    assert _studios(world)["participants"] == 1


def test_a_membership_import_moves_the_figures(world, studio):
    from jiaoyan.communities.sheets import MembershipSheet
    from jiaoyan.core.sheets import run_import

    from .test_import import _xlsx

    assert _studios(world)["participants"] == 1
    data = _xlsx([["MS-LW-001", "T101", "成员", START.isoformat()]])
    result = run_import(MembershipSheet(actor=world.users["district_researcher"]), data, "m.xlsx")
    assert result.ok and result.created == 1, [str(e) for e in result.errors]
    got = _studios(world)
    assert (got["participants"], got["rural"]) == (2, 1)


def test_a_new_community_counts_at_once(world, studio):
    assert _studios(world)["communities"] == 1
    make_studio(world, code="MS-LW-002", name="第二工作室", leader="teacher_b")
    got = _studios(world)
    assert (got["communities"], got["participants"], got["rural"]) == (2, 2, 1)


def test_a_person_moving_and_a_school_flagged_move_the_shares(world, studio):
    services.add_member(
        actor=world.users["district_researcher"], community=studio, person=world.people["teacher_b"]
    )
    assert (_studios(world)["rural"], _studios(world)["weak"]) == (1, 0)
    # 刘老师 moves from the rural school to 临渭区第一初级中学 (urban).
    people_services.transfer_person(
        actor=world.users["city_admin"],
        person=world.people["teacher_b"],
        to_unit=world.schools["school_a"].org_unit,
    )
    assert (_studios(world)["rural"], _studios(world)["weak"]) == (0, 0)
    # Her new school is flagged weak: both members are now from a weak school.
    org_services.update_school(
        actor=world.users["city_admin"], school=world.schools["school_a"], data={"is_weak": True}
    )
    got = _studios(world)
    assert (got["weak"], got["rural_or_weak"], got["share"]) == (2, 2, 100.0)


def test_the_next_day_is_computed_again(world, studio):
    today = timezone.localdate()
    m = services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=START,
    )
    services.end_membership(actor=world.users["district_researcher"], membership=m, left_on=today)
    noon = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    with time_machine.travel(noon, tick=False):
        assert _studios(world)["participants"] == 2  # she left today: still a member today
    with time_machine.travel(noon + dt.timedelta(days=1), tick=False):
        assert _studios(world)["participants"] == 1


def test_the_page_and_the_api_follow_a_change(world, studio, client_for, api_for):
    client = client_for(world.users["district_researcher"])
    api = api_for(world.users["district_researcher"])
    assert 'data-participants="1"' in client.get("/communities/coverage/").content.decode()
    services.add_member(
        actor=world.users["district_researcher"], community=studio, person=world.people["teacher_b"]
    )
    assert 'data-participants="2"' in client.get("/communities/coverage/").content.decode()
    kinds = api.get("/api/v1/communities/coverage").json()["kinds"]
    assert next(k for k in kinds if k["kind"] == "studio")["participants"] == 2


# --- the ranking: always from the records ---------------------------------------------------


def _ranking(world) -> dict[str, Decimal]:
    rows = queries.ranking(queries.visible_communities(world.users["district_researcher"]), YEAR)
    return {r["community"].code: r["score"].total for r in rows}


def test_the_ranking_follows_activities_check_ins_and_the_points_table(world, studio):
    second = make_studio(world, code="MS-LW-002", name="第二工作室", leader="teacher_b")
    assert _ranking(world) == {"MS-LW-001": 0, "MS-LW-002": 0}
    held_activity(world, studio)  # a county demonstration: 3 points
    assert _ranking(world) == {"MS-LW-001": Decimal("3"), "MS-LW-002": 0}
    # An activity of the second studio counts once someone checks in.
    actor = world.users["district_researcher"]
    start = timezone.now() - dt.timedelta(minutes=20)
    a = activity_services.create_activity(
        actor=actor,
        org_unit=world.units["linwei_institute"],
        community=second,
        title="集体备课",
        kind=Activity.Kind.LESSON_PREP,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venue_name="会议室",
        venue_address="临渭区人民路1号",
    )
    activity_services.invite(actor=actor, activity=a, person_ids=[world.people["teacher"].pk])
    activity_services.publish_activity(actor=actor, activity=a)
    activity_services.start_activity(actor=actor, activity=a)
    assert _ranking(world)["MS-LW-002"] == 0  # held by nobody yet
    code, _until = codes.current_code(a.venues.get(is_main=True))
    activity_services.check_in(actor=world.users["teacher"], activity=a, code=code)
    assert _ranking(world)["MS-LW-002"] == Decimal("1")  # any other activity: 1 point
    # The bureau edits its table: a county demonstration is worth 4.5 now.
    services.save_point_rule(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        item=PointItem.DEMONSTRATION,
        level="county",
        points="4.5",
    )
    rows = queries.ranking(queries.visible_communities(actor), YEAR)
    assert (rows[0]["rank"], rows[0]["community"].code) == (1, "MS-LW-001")
    assert rows[0]["score"].total == Decimal("4.5")


def test_the_ranking_follows_members_observations(world, studio):
    """Members' observations are counted once per change (kept under the versions of the
    submitted observations and the memberships)."""
    from jiaoyan.observations.models import Rubric
    from tests.observations.conftest import observe

    m = services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["principal"],
        joined_on=START,
    )
    held_activity(world, studio)
    assert _ranking(world)["MS-LW-001"] == Decimal("3")
    builtin = Rubric.objects.get(org_unit__isnull=True)
    today = timezone.localdate()
    observe(world, builtin, observer="principal", teacher="teacher", date=today)
    assert _ranking(world)["MS-LW-001"] == Decimal("3.5")  # a member's lesson observed: 0.5
    observe(world, builtin, observer="principal", teacher="teacher", date=today, submit=False)
    assert _ranking(world)["MS-LW-001"] == Decimal("3.5")  # a draft counts nothing
    # She left yesterday: today's observation is no longer a member's.
    services.end_membership(
        actor=world.users["district_researcher"],
        membership=m,
        left_on=today - dt.timedelta(days=1),
    )
    assert _ranking(world)["MS-LW-001"] == Decimal("3")
