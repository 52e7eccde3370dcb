"""The researchers pages: the list (a fixed number of queries with more rows than a page
holds), the profile with its forms, a residency with a visit logged through the page,
the coverage page (one liaison school untouched) and exit through the page."""

from __future__ import annotations

import datetime as dt

import pytest

from jiaoyan.core.roles import Role
from jiaoyan.people.models import Person, RoleAssignment
from jiaoyan.researchers import services
from jiaoyan.researchers.models import ResearcherProfile, Visit
from tests.conftest import make_school
from tests.observations.conftest import observe
from tests.researchers.helpers import activity_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]


def _many_profiles(world, n: int) -> None:
    unit = world.units["linwei_institute"]
    people = Person.objects.bulk_create(
        Person(staff_no=f"RX{i:03d}", name=f"教研员{i}", org_unit=unit) for i in range(n)
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(person=p, role=Role.RESEARCHER, org_unit=world.units["linwei"])
        for p in people
    )
    ResearcherProfile.objects.bulk_create(
        ResearcherProfile(person=p, org_unit=unit, since=dt.date(2020, 9, 1)) for p in people
    )


def test_the_list_costs_the_same_whatever_the_rows(
    world, client_for, django_assert_max_num_queries
):
    _many_profiles(world, 40)
    c = client_for(world.users["city_admin"])
    c.get("/researchers/")  # warm the per-process caches (nav, scopes)
    with django_assert_max_num_queries(14) as small:
        page = c.get("/researchers/")
    assert (
        page.status_code == 200 and page.content.decode().count('data-testid="profile-row"') == 25
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        big = c.get("/researchers/?size=100")
    assert big.content.decode().count('data-testid="profile-row"') == 40
    xlsx = c.get("/researchers/?export=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    # A teacher sees no researcher's record.
    t = client_for(world.users["teacher"]).get("/researchers/")
    assert 'data-testid="profile-row"' not in t.content.decode()


def test_profile_page_and_the_owner(world, client_for, profile):
    admin = client_for(world.users["city_admin"])
    page = admin.get(f"/researchers/{profile.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="liaison-form"' in body
    assert (
        client_for(world.users["district_researcher"])
        .get(f"/researchers/{profile.pk}/")
        .status_code
        == 200
    )
    assert (
        client_for(world.users["principal"]).get(f"/researchers/{profile.pk}/").status_code == 404
    )


def test_new_profile_through_the_form(world, client_for):
    admin = client_for(world.users["city_admin"])
    assert admin.get("/researchers/new/").status_code == 200
    r = admin.post(
        "/researchers/new/",
        {
            "person": world.people["district_researcher"].pk,
            "org_unit": world.units["linwei_institute"].pk,
            "employment": "full_time",
        },
    )
    assert r.status_code == 302
    assert ResearcherProfile.objects.filter(person=world.people["district_researcher"]).exists()
    # A teacher is not among the choices: the form refuses, nothing is written.
    r = admin.post(
        "/researchers/new/",
        {
            "person": world.people["teacher"].pk,
            "org_unit": world.units["linwei_institute"].pk,
            "employment": "full_time",
        },
    )
    assert r.status_code == 200 and ResearcherProfile.objects.count() == 1


def test_a_visit_logged_on_the_page_links_an_activity(world, client_for, profile, residency):
    act = activity_at(world, dt.date(2025, 3, 14), host=world.people["district_researcher"])
    her = client_for(world.users["district_researcher"])
    r = her.post(
        f"/researchers/residencies/{residency.pk}/visits/",
        {"kind": "lesson_prep", "activity": act.pk, "note": "指导集体备课"},
    )
    assert r.status_code == 302
    v = Visit.objects.get()
    assert v.activity == act and v.date == dt.date(2025, 3, 14)
    page = her.get(f"/researchers/residencies/{residency.pk}/")
    assert act.title in page.content.decode()
    # A date outside the residency: the message, nothing written.
    r = her.post(
        f"/researchers/residencies/{residency.pk}/visits/",
        {"kind": "observed", "date": "2025-05-01"},
        follow=True,
    )
    assert "驻校期" in r.content.decode() and Visit.objects.count() == 1


def test_coverage_shows_the_untouched_school(
    world, client_for, profile, django_assert_max_num_queries
):
    from jiaoyan.observations.models import Rubric

    admin = world.users["city_admin"]
    d = make_school(
        "6105020005", "临渭区第五中学", world.units["renmin"], kind="junior", stages=("junior",)
    ).org_unit
    services.assign_liaison_schools(
        actor=admin,
        profile=profile,
        schools=[world.schools["school_a"].org_unit, world.schools["school_b"].org_unit, d],
        start_date=dt.date(2025, 2, 1),
    )
    observe(
        world,
        Rubric.objects.get(org_unit__isnull=True),
        observer="district_researcher",
        date=dt.date(2025, 4, 1),
    )
    r = services.create_residency(
        actor=world.users["district_researcher"],
        profile=profile,
        school=world.schools["school_b"].org_unit,
        start_date=dt.date(2025, 5, 5),
        end_date=dt.date(2025, 5, 30),
        goals="蹲点",
    )
    services.log_visit(
        actor=world.users["district_researcher"],
        residency=r,
        kind="guidance",
        date=dt.date(2025, 5, 6),
    )
    c = client_for(admin)
    c.get("/researchers/coverage/")
    with django_assert_max_num_queries(16):
        page = c.get("/researchers/coverage/?term=2024-2025-2")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="untouched-count">1<' in body
    assert body.count('data-testid="untouched-school"') == 1 and "临渭区第五中学" in body
    xlsx = c.get("/researchers/coverage/?term=2024-2025-2&export=xlsx")
    assert xlsx.status_code == 200
    # The outsider's coverage has none of it.
    other = client_for(world.users["outsider"]).get("/researchers/coverage/?term=2024-2025-2")
    assert "临渭区第五中学" not in other.content.decode()


def test_exit_through_the_page(world, client_for, profile):
    admin = client_for(world.users["city_admin"])
    r = admin.post(f"/researchers/{profile.pk}/exit/", {"reason": "retirement", "note": "退休"})
    assert r.status_code == 302
    profile.refresh_from_db()
    assert profile.status == "exited"
    page = admin.get(f"/researchers/{profile.pk}/")
    assert "退休" in page.content.decode()
    # Not for the researcher herself.
    r = client_for(world.users["district_researcher"]).post(
        f"/researchers/{profile.pk}/exit/", {"reason": "request"}
    )
    assert r.status_code in (302, 403)
    assert ResearcherProfile.objects.get(pk=profile.pk).changes.count() == 1


def test_unknown_school_in_the_residency_form(world, client_for, profile):
    her = client_for(world.users["district_researcher"])
    r = her.post(
        f"/researchers/{profile.pk}/residencies/",
        {
            "school": world.schools["school_c"].org_unit.pk,
            "start_date": "2025-04-01",
            "end_date": "2025-04-10",
            "goals": "x",
        },
        follow=True,
    )
    assert r.status_code == 200
    from jiaoyan.researchers.models import Residency

    assert not Residency.objects.exists()


def test_a_school_sees_its_liaison_researchers(world, client_for, profile):
    services.assign_liaison_schools(
        actor=world.users["city_admin"],
        profile=profile,
        schools=[world.schools["school_a"].org_unit],
        start_date=dt.date(2025, 2, 1),
    )
    body = client_for(world.users["principal"]).get("/researchers/").content.decode()
    assert body.count('data-testid="school-liaison"') == 1 and "韩梅" in body
    assert 'data-testid="profile-row"' not in body
