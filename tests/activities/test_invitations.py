"""Inviting by unit and by person, venues of one's own unit, open registration with
capacity, declining — and what an invited outsider may see (that activity only)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.activities import services
from jiaoyan.activities.models import Activity, Material, Participation, Venue
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can
from jiaoyan.orgs.models import Subject

from .conftest import main_venue, make_activity


def test_a_districts_math_teachers_are_invited_on_their_own_venue(world, published):
    parts = {p.person_id: p for p in published.participations.select_related("venue")}
    teacher = world.people["teacher"]
    # 临渭区's math teachers: the teacher (school_a); not teacher_b (语文); and teacher_c
    # of 华州区 by staff number, who is put on the main venue.
    assert set(parts) == {teacher.pk, world.people["teacher_c"].pk}
    assert parts[teacher.pk].venue.name == "一中分会场"
    assert parts[world.people["teacher_c"].pk].venue.is_main
    assert parts[teacher.pk].status == "invited"
    assert published.participant_count == 2


def test_invited_people_see_the_activity_and_nothing_else_of_the_organiser(world, published):
    researcher = world.users["district_researcher"]
    other = make_activity(world, title="另一个不邀请的活动")
    services.add_material(
        actor=researcher,
        activity=published,
        phase="before",
        kind="slides",
        title="课件",
        url="https://e.org/s",
    )
    services.add_material(
        actor=researcher,
        activity=other,
        phase="before",
        kind="slides",
        title="别的课件",
        url="https://e.org/t",
    )
    services.invite(actor=researcher, activity=published, person_ids=[world.people["teacher_c"].pk])
    # teacher_c has no account in the test world; give one to check what they see.
    from jiaoyan.people.models import User

    user_c = User.objects.create_user("teacher_c", password="x")
    world.people["teacher_c"].user = user_c
    world.people["teacher_c"].save()
    from jiaoyan.core.scope import grant_many

    grant_many(published, users=[user_c])
    for user in (world.users["teacher"], user_c):
        visible = set(Activity.objects.visible_to(user).values_list("pk", flat=True))
        assert published.pk in visible and other.pk not in visible
        assert set(Venue.objects.visible_to(user).values_list("activity_id", flat=True)) == {
            published.pk
        }
        assert list(Material.objects.visible_to(user).values_list("title", flat=True)) == ["课件"]
        assert not can(user, "change", published)
        # Only their own participation row.
        own = Participation.objects.visible_to(user)
        assert all(p.person.user_id == user.pk for p in own)


def test_invite_by_schools_and_roles(world, activity):
    ids, unknown = services.resolve_people(
        units=[world.schools["school_a"].org_unit, world.schools["school_b"].org_unit],
        roles=["teacher", "principal"],
    )
    names = {p.name for p in world.people.values() if p.pk in ids}
    assert names == {"张老师", "刘老师", "李校长"} and unknown == []
    ids, unknown = services.resolve_people(staff_numbers=["H101", "NOPE"])
    assert ids == [world.people["teacher_c"].pk] and unknown == ["NOPE"]
    with pytest.raises(ServiceError):
        services.invite(actor=world.users["district_researcher"], activity=activity, person_ids=[])


def test_inviting_twice_adds_nobody_twice(world, published):
    ids, _ = services.resolve_people(
        units=[world.units["linwei"]], subject=Subject.objects.get(name="数学")
    )
    n = services.invite(
        actor=world.users["district_researcher"], activity=published, person_ids=ids
    )
    assert n == 0 and published.participations.count() == 2


def test_decline_needs_a_reason_and_frees_the_seat(world, published):
    teacher = world.users["teacher"]
    with pytest.raises(ServiceError):
        services.decline(actor=teacher, activity=published, reason="")
    p = services.decline(actor=teacher, activity=published, reason="当天有公开课")
    assert p.status == "declined" and p.decline_reason == "当天有公开课"
    published.refresh_from_db()
    assert published.participant_count == 1
    # Changing one's mind: confirm again on a venue.
    p = services.register(actor=teacher, activity=published, venue=main_venue(published))
    assert p.status == "registered"
    published.refresh_from_db()
    assert published.participant_count == 2


def test_open_registration_respects_capacity(world):
    researcher = world.users["district_researcher"]
    a = make_activity(world, registration="open", venue_capacity=1)
    ids = [world.people[k].pk for k in ("teacher", "principal")]
    services.invite(actor=researcher, activity=a, person_ids=ids, audience_only=True)
    a = services.publish_activity(actor=researcher, activity=a)
    assert not a.participations.exists()
    venue = main_venue(a)
    services.register(actor=world.users["teacher"], activity=a, venue=venue)
    with pytest.raises(ServiceError, match="满"):
        services.register(actor=world.users["principal"], activity=a, venue=venue)
    assert Participation.objects.filter(activity=a).count() == 1
    # Registering again is harmless.
    services.register(actor=world.users["teacher"], activity=a, venue=venue)
    assert Participation.objects.filter(activity=a).count() == 1


def test_invite_only_activities_refuse_self_registration(world, published):
    # The principal is not invited; he sees the activity (it is in his district? no:
    # the institute's activity is above his school) — so he cannot even reach it.
    with pytest.raises(PermissionDenied):
        services.register(
            actor=world.users["principal"], activity=published, venue=main_venue(published)
        )
    services.invite(
        actor=world.users["district_researcher"],
        activity=published,
        person_ids=[world.people["principal"].pk],
        audience_only=False,
    )
    services.register(
        actor=world.users["principal"], activity=published, venue=main_venue(published)
    )


def test_audience_only_needs_open_registration(world, activity):
    with pytest.raises(ServiceError):
        services.invite(
            actor=world.users["district_researcher"],
            activity=activity,
            person_ids=[world.people["teacher"].pk],
            audience_only=True,
        )
