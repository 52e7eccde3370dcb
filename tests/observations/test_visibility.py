"""Who sees which observation (through visible_to and the model's hooks, never a view)."""

from jiaoyan.core.scope import can
from jiaoyan.observations import services
from jiaoyan.observations.models import LiaisonAssignment, Observation, TeacherTermStat
from jiaoyan.observations.queries import observations_for
from tests.conftest import make_person

from .conftest import observe


def _sees(user, obs) -> bool:
    return observations_for(user).filter(pk=obs.pk).exists() and can(user, "view", obs)


def test_an_observation_belongs_to_the_teachers_school(world, rubric):
    obs = observe(world, rubric, observer="district_researcher")
    for name in ("principal", "district_researcher", "city_admin", "teacher"):
        assert _sees(world.users[name], obs), name
    for name in ("counsellor", "outsider"):
        assert not _sees(world.users[name], obs), name


def test_a_teacher_sees_only_their_own_submitted_observations(world, rubric, give_teacher_account):
    mine = observe(world, rubric)
    other_user = give_teacher_account("teacher_b")
    theirs = observe(
        world,
        rubric,
        observer="district_researcher",
        teacher="teacher_b",
        subject="语文",
        stage="primary",
    )
    draft = observe(world, rubric, submit=False)
    teacher = world.users["teacher"]
    assert _sees(teacher, mine)
    assert not _sees(teacher, theirs)
    assert not _sees(teacher, draft)
    assert _sees(other_user, theirs) and not _sees(other_user, mine)
    assert set(observations_for(teacher).values_list("pk", flat=True)) == {mine.pk}


def test_an_account_made_later_sees_earlier_observations(world, rubric, give_teacher_account):
    obs = observe(
        world,
        rubric,
        observer="district_researcher",
        teacher="teacher_b",
        subject="语文",
        stage="primary",
    )
    user = give_teacher_account("teacher_b")
    assert _sees(user, obs)


def test_the_observers_unit_sees_what_its_people_wrote(world, rubric):
    """A city researcher (city institute) observes in 华州区: the observer sees it, and so
    do the other people of the city institute; 临渭区 does not."""
    city_researcher = make_person(
        "R900",
        "市教研员",
        world.units["city_institute"],
        role="researcher",
        scope=world.units["city"],
        username="city_researcher",
        subjects=["数学"],
        stages=["primary"],
    )
    obs = observe(
        world,
        rubric,
        observer=city_researcher.user,
        teacher="teacher_c",
        stage="primary",
        kind=Observation.Kind.INSPECTION,
    )
    assert _sees(city_researcher.user, obs)
    assert _sees(world.users["outsider"], obs)  # 华州区 owns it
    assert not _sees(world.users["district_researcher"], obs)
    assert not _sees(world.users["principal"], obs)


def test_cross_district_observer_keeps_sight_of_what_they_wrote(world, rubric):
    la = services.assign_liaison(
        actor=world.users["city_admin"],
        researcher=world.people["district_researcher"],
        school=world.schools["school_c"].org_unit,
    )
    assert (
        LiaisonAssignment.objects.visible_to(world.users["district_researcher"])
        .filter(pk=la.pk)
        .exists()
    )
    # A liaison school of another district: the researcher may observe there …
    obs = observe(
        world, rubric, observer="district_researcher", teacher="teacher_c", stage="primary"
    )
    assert _sees(world.users["district_researcher"], obs)
    # … sees the school's other observations and its coverage figures …
    other = observe(world, rubric, observer="outsider", teacher="teacher_c", stage="primary")
    assert _sees(world.users["district_researcher"], other)
    assert (
        TeacherTermStat.objects.visible_to(world.users["district_researcher"])
        .filter(teacher=world.people["teacher_c"])
        .exists()
    )
    # … and the observer's own district (临渭区) sees what its researcher wrote there.
    linwei_admin = make_person(
        "A201",
        "临渭区管理员",
        world.units["linwei_bureau"],
        role="bureau_admin",
        username="linwei_admin",
    )
    assert _sees(linwei_admin.user, obs)
    assert not _sees(linwei_admin.user, other)
    assert not _sees(world.users["principal"], other)
    # Once the assignment ends, only what they wrote stays visible.
    services.end_liaison(actor=world.users["city_admin"], assignment=la)
    assert _sees(world.users["district_researcher"], obs)
    assert not _sees(world.users["district_researcher"], other)


def test_liaison_rules(world):
    import pytest
    from django.core.exceptions import PermissionDenied

    from jiaoyan.core.errors import ServiceError

    with pytest.raises(PermissionDenied):
        services.assign_liaison(
            actor=world.users["outsider"],
            researcher=world.people["district_researcher"],
            school=world.schools["school_a"].org_unit,
        )
    with pytest.raises(ServiceError) as e:
        services.assign_liaison(
            actor=world.users["city_admin"],
            researcher=world.people["teacher"],
            school=world.schools["school_a"].org_unit,
        )
    assert "没有在岗的教研员角色" in e.value.text
    services.assign_liaison(
        actor=world.users["city_admin"],
        researcher=world.people["district_researcher"],
        school=world.schools["school_a"].org_unit,
    )
    with pytest.raises(ServiceError) as e:
        services.assign_liaison(
            actor=world.users["city_admin"],
            researcher=world.people["district_researcher"],
            school=world.schools["school_a"].org_unit,
        )
    assert "已经是" in e.value.text
    with pytest.raises(ServiceError):
        services.assign_liaison(
            actor=world.users["city_admin"],
            researcher=world.people["district_researcher"],
            school=world.units["renmin"],
        )


def test_the_lists_fast_count_is_exact(world, rubric, give_teacher_account):
    """The unfiltered list counts from the pre-aggregated table plus the rows visible
    beyond the scope; it must equal counting the visible rows."""
    from jiaoyan.observations.queries import visible_count

    observe(world, rubric)
    observe(world, rubric, submit=False)
    observe(world, rubric, observer="district_researcher", submit=False)
    give_teacher_account("teacher_b")
    observe(
        world,
        rubric,
        observer="district_researcher",
        teacher="teacher_b",
        subject="语文",
        stage="primary",
    )
    services.assign_liaison(
        actor=world.users["city_admin"],
        researcher=world.people["district_researcher"],
        school=world.schools["school_c"].org_unit,
    )
    observe(world, rubric, observer="district_researcher", teacher="teacher_c", stage="primary")
    observe(world, rubric, observer="outsider", teacher="teacher_c", stage="primary")
    for user in world.users.values():
        assert visible_count(user) == observations_for(user).count(), user.username


def _seen_by_the_rule_before_the_share(user) -> set[int]:
    """Who saw which observation before liaison visibility became the unit share
    ``"liaison"``, written out row by row from plain data (the rule as it stood: the
    subtree of an observing role, a grant to the user or to a unit in their scope, what
    they wrote, the submitted observations of their own lessons, and — researchers — the
    observations of their active liaison schools; drafts only to their observer)."""
    from django.contrib.contenttypes.models import ContentType

    from jiaoyan.core.models import ScopeGrant
    from jiaoyan.core.scope import user_scopes
    from jiaoyan.observations.models import OBSERVERS
    from jiaoyan.people.models import Person

    submitted = Observation.Status.SUBMITTED
    every = list(Observation.objects.all())
    if user.is_superuser:
        return {o.pk for o in every if o.status == submitted or o.observer_id == user.pk}
    scopes = user_scopes(user)
    observing = [s.path for s in scopes if s.role in OBSERVERS]
    anywhere = [s.path for s in scopes]
    ct = ContentType.objects.get_for_model(Observation)
    granted = {
        g.object_id
        for g in ScopeGrant.objects.filter(content_type=ct).select_related("unit")
        if g.user_id == user.pk or (g.unit and any(g.unit.path.startswith(p) for p in anywhere))
    }
    mine = set(Person.objects.filter(user_id=user.pk).values_list("pk", flat=True))
    liaison = set()
    if "researcher" in {s.role for s in scopes}:
        liaison = set(
            LiaisonAssignment.objects.filter(
                researcher__user_id=user.pk, is_active=True
            ).values_list("school_id", flat=True)
        )
    seen = set()
    for o in every:
        visible = (
            any(o.unit_path.startswith(p) for p in observing)
            or o.pk in granted
            or o.observer_id == user.pk
            or (o.status == submitted and o.teacher_id in mine)
            or o.org_unit_id in liaison
        )
        if visible and (o.status == submitted or o.observer_id == user.pk):
            seen.add(o.pk)
    return seen


def test_liaison_visibility_is_what_it_was(world, rubric, give_teacher_account):
    """Everyone sees exactly the observations the rule before the unit share showed —
    through ``visible_to``, ``can``, and the list's fast count — while liaison schools
    are assigned, shared by two researchers, and ended; and a liaison researcher's view
    of the school's coverage follows the same share."""
    from jiaoyan.observations.queries import visible_count

    city_researcher = make_person(
        "R900",
        "市教研员",
        world.units["city_institute"],
        role="researcher",
        scope=world.units["city"],
        username="city_researcher",
        subjects=["数学"],
        stages=["primary"],
    ).user
    town_researcher = make_person(
        "R901",
        "镇教研员",
        world.units["renmin"],
        role="researcher",
        scope=world.units["renmin"],
        username="town_researcher",
        subjects=["数学"],
        stages=["primary"],
    ).user
    world.users["city_researcher"] = city_researcher
    world.users["town_researcher"] = town_researcher
    give_teacher_account("teacher_c")
    observe(world, rubric)
    observe(world, rubric, submit=False)
    observe(world, rubric, observer="outsider", teacher="teacher_c", stage="primary")
    observe(world, rubric, observer="outsider", teacher="teacher_c", stage="primary", submit=False)

    def check(moment: str) -> None:
        for name, user in world.users.items():
            before = _seen_by_the_rule_before_the_share(user)
            assert set(observations_for(user).values_list("pk", flat=True)) == before, (
                moment,
                name,
            )
            assert visible_count(user) == len(before), (moment, name)
            for obs in Observation.objects.all():
                expected = obs.pk in before
                assert can(user, "view", obs) == expected, (moment, name, obs.pk)

    check("no liaison")
    la = services.assign_liaison(
        actor=world.users["city_admin"],
        researcher=world.people["district_researcher"],
        school=world.schools["school_c"].org_unit,
    )
    la_town = services.assign_liaison(
        actor=world.users["city_admin"],
        researcher=town_researcher.person,
        school=world.schools["school_c"].org_unit,
    )
    observe(world, rubric, observer="district_researcher", teacher="teacher_c", stage="primary")
    observe(world, rubric, observer="town_researcher", teacher="teacher_c", stage="primary")
    observe(
        world,
        rubric,
        observer=city_researcher,
        teacher="teacher_c",
        stage="primary",
        submit=False,
    )
    check("two liaison researchers at school_c")
    stats = TeacherTermStat.objects.filter(teacher=world.people["teacher_c"])
    assert stats.visible_to(world.users["district_researcher"]).exists()
    assert stats.visible_to(town_researcher).exists()
    assert not stats.visible_to(world.users["principal"]).exists()
    services.end_liaison(actor=world.users["city_admin"], assignment=la)
    check("the district researcher's assignment ended")
    assert not stats.visible_to(world.users["district_researcher"]).exists()
    assert stats.visible_to(town_researcher).exists()
    services.end_liaison(actor=world.users["city_admin"], assignment=la_town)
    check("every assignment ended")
