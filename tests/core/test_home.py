"""The home page: each named role sees what that role works on, and a panel with nothing
to compare at the viewer's level is not drawn (no school-comparison charts for someone
whose scope is one school).

Asserted on what a user notices: the figures' and panels' test ids, the charts' ids, and
the text in them.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.core import home
from jiaoyan.core.home import HomePanel
from tests.core.test_query_counts import PINS
from tests.support import bulk_people, bulk_schools

SCHOOL_CHARTS = ("chart-location", "chart-kind")
PEOPLE_CHARTS = ("chart-role", "chart-title")

# role -> (test ids and chart ids the home shows, those it must not show)
ADMIN_FIGURES = ("school-count", "people-count", "unit-count")
CHARTS = (*SCHOOL_CHARTS, *PEOPLE_CHARTS)
EXPECTED = {
    "city_admin": (
        [*ADMIN_FIGURES, *CHARTS, "home-coverage", "home-activities"],
        ["home-school", "home-observed", "home-hours"],
    ),
    "district_researcher": (
        [*ADMIN_FIGURES, "home-coverage", "home-activities", "home-hours"],
        [*CHARTS, "home-school", "home-observed"],
    ),
    "principal": (
        ["home-school", "home-coverage", "home-activities", "home-hours"],
        [*ADMIN_FIGURES, *CHARTS, "home-observed"],
    ),
    "teacher": (
        ["home-activities", "home-observed", "home-hours"],
        [*ADMIN_FIGURES, *CHARTS, "home-coverage", "home-school"],
    ),
    "counsellor": (
        ["home-activities", "home-hours"],
        [*ADMIN_FIGURES, *CHARTS, "home-coverage", "home-school", "home-observed"],
    ),
    # The admin of a district with one school: its figures, no chart comparing schools.
    "outsider": (
        [*ADMIN_FIGURES, *PEOPLE_CHARTS, "home-coverage"],
        [*SCHOOL_CHARTS, "home-school", "home-observed", "home-hours"],
    ),
}


def marks(html: str) -> set[str]:
    """The test ids and chart ids on a page."""
    return set(re.findall(r'data-(?:testid|chart)="([^"]+)"', html))


def figure(html: str, testid: str) -> str:
    m = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert m, testid
    return m.group(1).strip()


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_what_it_works_on(world, client_for, role):
    html = client_for(world.users[role]).get("/").content.decode()
    shown, hidden = EXPECTED[role]
    found = marks(html)
    assert set(shown) <= found, f"{role}: missing {sorted(set(shown) - found)}"
    assert not (set(hidden) & found), f"{role}: should not see {sorted(set(hidden) & found)}"


def test_the_figures_are_the_viewers_scope(world, client_for):
    admin = client_for(world.city_admin).get("/").content.decode()
    assert figure(admin, "school-count") == "3" and figure(admin, "people-count") == "8"
    researcher = client_for(world.district_researcher).get("/").content.decode()
    assert figure(researcher, "school-count") == "2"
    outsider = client_for(world.outsider).get("/").content.decode()
    assert figure(outsider, "school-count") == "1" and figure(outsider, "people-count") == "2"


def test_a_principal_sees_their_own_school(world, client_for):
    html = client_for(world.principal).get("/").content.decode()
    assert "临渭区第一初级中学" in html and "临渭区第二小学" not in html
    assert figure(html, "home-school-students") == "900"
    assert f'href="/orgs/schools/{world.school_a.pk}/"' in html


def test_the_greeting_names_the_scope(world, client_for):
    html = client_for(world.district_researcher).get("/").content.decode()
    scope = html[html.index('data-testid="scope"') :][:400]
    assert "临渭区" in scope and "教研员" in scope
    root = client_for(world.superuser).get("/").content.decode()
    assert "系统管理员" in root
    # A superuser is an admin over every unit: the comparison charts are theirs.
    assert {*CHARTS, "school-count"} <= marks(root)


def test_an_account_without_a_role_sees_no_figures(world, client_for):
    from jiaoyan.people.models import User

    nobody = User.objects.create_user(username="nobody", password="x-Password-1")
    html = client_for(nobody).get("/").content.decode()
    assert "school-count" not in marks(html) and "chart-location" not in marks(html)


def test_a_panel_applies_by_role_and_by_level():
    admin_city = home.Seat("bureau_admin", 1, "渭南市", "city", "/61/6105/")
    principal = home.Seat("principal", 2, "一中", "school", "/61/6105/610502/6105020001/")
    school_charts = HomePanel(
        "x",
        "t.html",
        lambda r: {},
        roles=frozenset({"bureau_admin"}),
        levels=home.REGION_LEVELS,
    )
    assert school_charts.applies_to([admin_city])
    assert not school_charts.applies_to([principal])
    # An admin bound to a single school has no schools to compare either.
    assert not school_charts.applies_to([home.Seat("bureau_admin", 2, "一中", "school", "/x/")])
    for_anyone = HomePanel("y", "t.html", lambda r: {})
    assert for_anyone.applies_to([]) and for_anyone.applies_to([principal])
    for_teachers = HomePanel("z", "t.html", lambda r: {}, roles=frozenset({"teacher"}))
    assert not for_teachers.applies_to([]) and not for_teachers.applies_to([admin_city])


def test_a_panel_place_must_be_known():
    with pytest.raises(ValueError):
        home.register(HomePanel("bad", "t.html", lambda r: {}, place="footer"))


# --- query counts --------------------------------------------------------------------------


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


# Queries a role's home may make beyond the pin. A principal: +1, the projects panel's
# one query (their own projects, reviews waiting, and their school's projects at a glance
# as window sums in the same query — projects.queries.my_work); every other panel of
# their home belongs to another app, none of which the panel could read through.
EXTRA = {"principal": 1}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_home_queries_are_pinned_for_each_role(world, client_for, role):
    """No role's home costs more than the pin of the city admin's home (17 before the
    panels were split by role), and the count does not grow with the rows."""
    client = client_for(world.users[role])
    client.get("/")  # content types are cached after the first page
    few = _queries(client)
    for district, tag in (("renmin", "R"), ("huazhou", "H")):
        unit = world.units[district]
        bulk_schools(unit, 30, prefix=f"{ord(tag)}")
        bulk_people(unit, 30, prefix=f"{tag}P")
    bulk_people(world.school_a.org_unit, 30, prefix="AP")
    many = _queries(client)
    assert many <= PINS["home"] + EXTRA.get(role, 0), (role, many)
    assert many == few, (role, few, many)


def test_a_regions_figures_are_kept_for_a_while(world, client_for):
    """The aggregates of a region (counted over every person in scope) are counted once and
    kept for the viewer for ``home.FIGURES_SECONDS``; work lists are read fresh."""
    import datetime as dt

    import time_machine
    from django.utils import timezone

    def people_count(client) -> int:
        html = client.get("/").content.decode()
        m = re.search(r'data-testid="people-count">([\d,]+)<', html)
        return int(m.group(1).replace(",", ""))

    client = client_for(world.users["city_admin"])
    before = people_count(client)
    first = _queries(client)
    bulk_people(world.units["renmin"], 3, prefix="KP")
    assert people_count(client) == before  # kept …
    later = timezone.now() + dt.timedelta(seconds=home.FIGURES_SECONDS + 1)
    with time_machine.travel(later):
        assert people_count(client) == before + 3  # … until it expires
    # Another viewer has their own figures (counted for their own scope).
    other = client_for(world.users["district_researcher"])
    assert people_count(other) < before + 3
    assert first < PINS["home"]
