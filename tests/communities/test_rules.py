"""The rules of communities (issue 12, "Rules and bad input"): each violation is refused
with its rule's error and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.communities import services
from jiaoyan.communities.models import Community, CommunityTask, Evidence, Kind, Membership
from jiaoyan.core.errors import ServiceError

from .conftest import END, START, YEAR, make_studio, rule_codes

pytestmark = pytest.mark.usefixtures("chinese")


def _counts():
    return (Community.objects.count(), Membership.objects.count(), CommunityTask.objects.count())


def refused(rule, fn, **kw):
    before = _counts()
    with pytest.raises(ServiceError) as e:
        fn(**kw)
    assert rule in rule_codes(e.value), e.value
    assert e.value.text  # a message for people
    assert _counts() == before
    return e.value


def test_create_studio_makes_the_leader_its_first_member(world, studio):
    m = studio.members.get()
    assert (m.person, m.role, m.joined_on) == (world.people["teacher"], "leader", START)
    assert studio.level == "county" and studio.member_count == 1


def test_period_must_be_valid(world):
    refused(
        "period_invalid",
        make_studio,
        w=world,
        start_on=dt.date(YEAR, 9, 1),
        end_on=dt.date(YEAR, 9, 1),
    )


def test_a_person_leads_at_most_one_studio_at_a_level(world, studio):
    e = refused("one_studio_led", make_studio, w=world, code="MS-LW-002")
    assert "张老师" in e.text


def test_the_bureau_may_relax_the_one_studio_rule(world, studio):
    services.save_policy(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        kind=Kind.STUDIO,
        target_share=50,
        max_per_person=2,
        allow_several_leads=True,
    )
    assert make_studio(world, code="MS-LW-002").pk


def test_membership_dates_fit_the_period(world, studio):
    refused(
        "dates_outside_period",
        services.add_member,
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=START - dt.timedelta(days=1),
    )
    m = services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=START,
    )
    with pytest.raises(ServiceError) as e:
        services.end_membership(
            actor=world.users["district_researcher"],
            membership=m,
            left_on=END + dt.timedelta(days=1),
        )
    assert "dates_outside_period" in rule_codes(e.value)
    assert Membership.objects.get(pk=m.pk).left_on is None


def test_a_member_comes_from_the_owning_units_area(world, studio):
    # The city admin sees 华州区's teacher, but only invites across explicitly.
    refused(
        "outside_subtree",
        services.add_member,
        actor=world.users["city_admin"],
        community=studio,
        person=world.people["teacher_c"],
    )
    m = services.add_member(
        actor=world.users["city_admin"],
        community=studio,
        person=world.people["teacher_c"],
        across=True,
    )
    assert m.across


def test_only_the_bureau_invites_across(world, studio):
    # The district researcher may not reach beyond 临渭区 (and cannot even see 华州区's
    # people, so the reference fails before the rule: no secret leaks either way).
    refused(
        "outside_subtree",
        services.add_member,
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_c"],
        across=True,
    )


def test_a_school_is_in_one_consortium_of_a_level(world):
    w = world
    first = services.create_community(
        actor=w.users["district_researcher"],
        kind=Kind.CONSORTIUM,
        org_unit=w.units["linwei_institute"],
        name="临渭区第一初中教育联合体",
        code="MX-LW-001",
        start_on=START,
        end_on=END,
        leading_school=w.schools["school_a"].org_unit,
    )
    services.add_member(
        actor=w.users["district_researcher"], community=first, school=w.schools["school_b"].org_unit
    )
    refused(
        "one_consortium",
        services.create_community,
        actor=w.users["district_researcher"],
        kind=Kind.CONSORTIUM,
        org_unit=w.units["linwei_institute"],
        name="临渭区第二联合体",
        code="MX-LW-002",
        start_on=START,
        end_on=END,
        leading_school=w.schools["school_b"].org_unit,
    )


def test_consortium_members_are_schools(world):
    c = services.create_community(
        actor=world.users["district_researcher"],
        kind=Kind.CONSORTIUM,
        org_unit=world.units["linwei_institute"],
        name="联合体",
        code="MX-LW-009",
        start_on=START,
        end_on=END,
        leading_school=world.schools["school_a"].org_unit,
    )
    refused(
        "member_kind",
        services.add_member,
        actor=world.users["district_researcher"],
        community=c,
        person=world.people["teacher"],
    )


def test_other_district_cannot_change_the_studio(world, studio):
    with pytest.raises(PermissionDenied):
        services.add_member(
            actor=world.users["outsider"], community=studio, person=world.people["teacher_c"]
        )
    with pytest.raises(PermissionDenied):
        services.generate_tasks(actor=world.users["outsider"], community=studio, year=YEAR)


def test_evidence_only_for_evidence_tasks_and_positive(world, studio):
    tasks = services.generate_tasks(
        actor=world.users["district_researcher"], community=studio, year=YEAR
    )
    derived = next(t for t in tasks if t.measure != "evidence")
    manual = next(t for t in tasks if t.measure == "evidence")
    with pytest.raises(ServiceError) as e:
        services.add_evidence(
            actor=world.users["teacher"],
            task=derived,
            date=dt.date(YEAR, 3, 1),
            count=1,
            description="x",
        )
    assert "derived_task" in rule_codes(e.value)
    with pytest.raises(ServiceError):
        services.add_evidence(
            actor=world.users["teacher"],
            task=manual,
            date=dt.date(YEAR, 3, 1),
            count=0,
            description="结题",
        )
    assert not Evidence.objects.exists()
    # The studio's host (a teacher, its leader) enters what the platform cannot see.
    services.add_evidence(
        actor=world.users["teacher"],
        task=manual,
        date=dt.date(YEAR, 3, 1),
        count=1,
        description="市级课题立项",
    )
    assert Evidence.objects.count() == 1


def test_generate_tasks_is_idempotent(world, studio):
    a = services.generate_tasks(
        actor=world.users["district_researcher"], community=studio, year=YEAR
    )
    b = services.generate_tasks(
        actor=world.users["district_researcher"], community=studio, year=YEAR
    )
    assert a and b == []
