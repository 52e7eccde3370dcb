"""Profiles, duties, liaison schools per term, residencies and visits, exit and exchange:
the rules and their Chinese refusals (nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.roles import Role
from jiaoyan.observations.models import LiaisonAssignment
from jiaoyan.people.models import Person, RoleAssignment
from jiaoyan.researchers import queries, services
from jiaoyan.researchers.models import ResearcherProfile, Residency, RoleChange, Visit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def test_profile_of_a_researcher(world, profile):
    assert profile.org_unit == world.units["linwei_institute"]
    assert [s.name for s in profile.subjects.all()] == ["数学"]
    assert profile.status == ResearcherProfile.Status.ACTIVE
    # She sees her own profile; the outsider (华州区) does not.
    assert queries.profiles_for(world.users["district_researcher"]).filter(pk=profile.pk).exists()
    assert not queries.profiles_for(world.users["outsider"]).filter(pk=profile.pk).exists()


def test_profile_refused_for_a_teacher_and_twice(world, profile):
    with pytest.raises(ServiceError, match="没有在岗的教研员角色"):
        services.create_profile(
            actor=world.users["city_admin"],
            person=world.people["teacher"],
            org_unit=world.units["linwei_institute"],
        )
    with pytest.raises(ServiceError, match="已有"):
        services.create_profile(
            actor=world.users["city_admin"],
            person=world.people["district_researcher"],
            org_unit=world.units["linwei_institute"],
        )
    assert ResearcherProfile.objects.count() == 1


def test_part_time_names_a_school(world, profile):
    with pytest.raises(ServiceError, match="学校"):
        services.update_profile(
            actor=world.users["city_admin"], profile=profile, data={"employment": "part_time"}
        )
    services.update_profile(
        actor=world.users["city_admin"],
        profile=profile,
        data={"employment": "part_time", "school": world.schools["school_a"].org_unit},
        expected_version=1,
    )
    profile.refresh_from_db()
    assert profile.employment == "part_time" and profile.version == 2


def test_duties_per_year(world, profile):
    services.set_duties(
        actor=world.users["city_admin"], profile=profile, year=2025, text="初中数学"
    )
    services.set_duties(
        actor=world.users["city_admin"], profile=profile, year=2025, text="初中数学教研"
    )
    assert [(d.year, d.text) for d in profile.duties.all()] == [(2025, "初中数学教研")]
    with pytest.raises(PermissionDenied):
        services.set_duties(
            actor=world.users["district_researcher"], profile=profile, year=2025, text="x"
        )


def test_liaison_schools_for_a_term_and_a_school_sees_them(world, profile):
    a, b = world.schools["school_a"].org_unit, world.schools["school_b"].org_unit
    made = services.assign_liaison_schools(
        actor=world.users["city_admin"],
        profile=profile,
        schools=[a, b],
        start_date=dt.date(2025, 2, 1),
        end_date=dt.date(2025, 7, 31),
    )
    assert {la.school_id for la in made} == {a.pk, b.pk}
    # The one record of 联点联校 is observations' (its liaison share reads it).
    principal_sees = LiaisonAssignment.objects.visible_to(world.users["principal"])
    assert list(principal_sees.values_list("researcher__name", flat=True)) == ["韩梅"]


def test_liaison_schools_all_or_none(world, profile):
    a, c = world.schools["school_a"].org_unit, world.schools["school_c"].org_unit
    services.assign_liaison_schools(
        actor=world.users["city_admin"],
        profile=profile,
        schools=[a],
        start_date=dt.date(2025, 2, 1),
    )
    with pytest.raises(ServiceError, match="已经是"):
        services.assign_liaison_schools(
            actor=world.users["city_admin"],
            profile=profile,
            schools=[world.schools["school_b"].org_unit, a],
            start_date=dt.date(2025, 2, 1),
        )
    assert LiaisonAssignment.objects.count() == 1
    # A school outside the bureau's scope: 华州区's bureau may not assign 临渭区's researcher
    # to its school through a 临渭区 school either — each school needs the bureau's scope.
    with pytest.raises(PermissionDenied):
        services.assign_liaison_schools(
            actor=world.users["outsider"],
            profile=profile,
            schools=[c, world.schools["school_b"].org_unit],
            start_date=dt.date(2025, 2, 1),
        )
    assert LiaisonAssignment.objects.count() == 1


def test_residency_dates_do_not_overlap(world, profile, residency):
    with pytest.raises(ServiceError, match="重叠"):
        services.create_residency(
            actor=world.users["district_researcher"],
            profile=profile,
            school=world.schools["school_a"].org_unit,
            start_date=dt.date(2025, 3, 28),
            end_date=dt.date(2025, 4, 10),
            goals="另一所学校",
        )
    with pytest.raises(ServiceError, match="早于"):
        services.create_residency(
            actor=world.users["district_researcher"],
            profile=profile,
            school=world.schools["school_a"].org_unit,
            start_date=dt.date(2025, 5, 10),
            end_date=dt.date(2025, 5, 1),
            goals="日期颠倒",
        )
    assert Residency.objects.count() == 1
    services.create_residency(
        actor=world.users["district_researcher"],
        profile=profile,
        school=world.schools["school_a"].org_unit,
        start_date=dt.date(2025, 3, 29),
        end_date=dt.date(2025, 4, 10),
        goals="紧接着的一段",
    )
    assert Residency.objects.count() == 2


def test_visits_inside_the_residency_link_activities(world, profile, residency):
    from tests.researchers.helpers import activity_at

    act = activity_at(world, dt.date(2025, 3, 12), host=world.people["district_researcher"])
    v = services.log_visit(
        actor=world.users["district_researcher"],
        residency=residency,
        kind="lesson_prep",
        activity=act,
    )
    assert v.date == dt.date(2025, 3, 12) and v.school == residency.school
    with pytest.raises(ServiceError, match="之外"):
        services.log_visit(
            actor=world.users["district_researcher"],
            residency=residency,
            kind="observed",
            date=dt.date(2025, 4, 2),
        )
    assert Visit.objects.count() == 1


def test_summary_after_the_end(world, profile):
    r = services.create_residency(
        actor=world.users["district_researcher"],
        profile=profile,
        school=world.schools["school_b"].org_unit,
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2025, 7, 15),
        goals="期末复习指导",
    )
    with pytest.raises(ServiceError, match="结束"):
        services.summarise_residency(
            actor=world.users["district_researcher"], residency=r, summary="好"
        )
    r.end_date = dt.date(2025, 6, 20)
    r.save(update_fields=["end_date"])
    services.summarise_residency(
        actor=world.users["district_researcher"], residency=r, summary="完成目标"
    )
    r.refresh_from_db()
    assert r.summary == "完成目标" and r.summarised_at is not None


def test_the_school_sees_the_visits_to_it_and_nothing_else(world, profile, residency):
    from tests.conftest import make_person

    v = services.log_visit(
        actor=world.users["district_researcher"],
        residency=residency,
        kind="met_principal",
        date=dt.date(2025, 3, 5),
    )
    head_b = make_person(
        "T201", "二小校长", residency.school, role="principal", username="principal_b"
    ).user
    assert list(Visit.objects.visible_to(head_b)) == [v]
    assert not Residency.objects.visible_to(head_b).exists()
    assert not ResearcherProfile.objects.visible_to(head_b).exists()
    # Another school's principal sees none of it.
    assert not Visit.objects.visible_to(world.users["principal"]).exists()


def test_exit_keeps_the_history(world, profile):
    services.assign_liaison_schools(
        actor=world.users["city_admin"],
        profile=profile,
        schools=[world.schools["school_a"].org_unit],
        start_date=dt.date(2025, 2, 1),
    )
    change = services.exit_researcher(
        actor=world.users["city_admin"], profile=profile, reason="retirement", note="到龄退休"
    )
    profile.refresh_from_db()
    assert profile.status == "exited" and profile.exited_on == dt.date(2025, 6, 30)
    assert change.kind == RoleChange.Kind.EXIT
    person = world.people["district_researcher"]
    assert not RoleAssignment.objects.filter(
        person=person, role=Role.RESEARCHER, is_active=True
    ).exists()
    assert not LiaisonAssignment.objects.filter(researcher=person, is_active=True).exists()
    with pytest.raises(ServiceError, match="已经退出"):
        services.exit_researcher(actor=world.users["city_admin"], profile=profile, reason="request")
    assert RoleChange.objects.count() == 1


def test_exchange_to_another_institute(world, profile):
    change = services.exchange_researcher(
        actor=world.users["city_admin"],
        profile=profile,
        to_unit=world.units["city_institute"],
        reason="transfer",
    )
    profile.refresh_from_db()
    person = Person.objects.get(pk=profile.person_id)
    assert profile.org_unit == world.units["city_institute"] == person.org_unit
    ra = RoleAssignment.objects.get(person=person, role=Role.RESEARCHER, is_active=True)
    assert ra.org_unit == world.units["city"]
    assert [s.name for s in ra.subjects.all()] == ["数学"]
    assert (
        change.org_unit == world.units["linwei_institute"]
        and change.to_unit == world.units["city_institute"]
    )
    with pytest.raises(ServiceError, match="教研机构"):
        services.exchange_researcher(
            actor=world.users["city_admin"],
            profile=profile,
            to_unit=world.schools["school_a"].org_unit,
            reason="transfer",
        )


def test_metrics_serving_and_liaison_reach(world, profile, residency):
    from jiaoyan.core import metrics

    services.assign_liaison_schools(
        actor=world.users["city_admin"],
        profile=profile,
        schools=[world.schools["school_a"].org_unit, world.schools["school_b"].org_unit],
        start_date=dt.date(2025, 2, 1),
    )
    services.log_visit(
        actor=world.users["district_researcher"],
        residency=residency,
        kind="guidance",
        date=dt.date(2025, 3, 4),
    )
    period = metrics.Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    values = {
        v.metric.key: v.value
        for v in metrics.compute_many(
            ["researchers.serving", "researchers.liaison_reach"], world.units["linwei"], period
        )
    }
    assert values == {"researchers.serving": 1, "researchers.liaison_reach": 50.0}
