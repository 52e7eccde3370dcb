"""Query-count pins of the pages issue 12's speed work changed: coverage, the upward
report, the assessment ranking, a workspace and the list read a fixed number of queries
whatever the number of communities, members, activities and observations (grouped in the
database, never a query or a Python pass per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.communities import services
from jiaoyan.communities.models import Community, Membership

from .conftest import END, START, YEAR, held_activity

pytestmark = pytest.mark.usefixtures("chinese")

PAGES = (
    "/communities/coverage/",
    "/communities/report/",
    f"/communities/assessment/?year={YEAR}&kind=studio",
    "/communities/",
    "/api/v1/communities/coverage",
)


def _counts(client, urls) -> dict[str, int]:
    out = {}
    for url in urls:
        client.get(url)  # warm the caches of the first request
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200, url
        out[url] = len(q.captured_queries)
    return out


def _more(world, n: int, start: int) -> None:
    unit = world.units["linwei_institute"]
    for i in range(start, start + n):
        c = Community.objects.create(
            kind="studio",
            level="county",
            org_unit=unit,
            name=f"工作室{i}",
            code=f"MS-LW-{i + 100}",
            start_on=START,
            end_on=END,
            leader=world.people["teacher_b"],
        )
        for p in ("teacher_b", "teacher", "principal"):
            Membership.objects.create(community=c, person=world.people[p], joined_on=START)


def test_region_pages_read_a_fixed_number_of_queries(world, studio, client_for):
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    held_activity(world, studio)
    client = client_for(world.users["district_researcher"])
    few = _counts(client, PAGES)
    _more(world, 12, 0)
    held_activity(world, studio, title="第二次")
    many = _counts(client, PAGES)
    assert many == few
    # The pins themselves: a regression that adds a query per kind or per row shows here.
    assert few["/communities/coverage/"] <= 16
    assert few["/communities/report/"] <= 18
    assert few[f"/communities/assessment/?year={YEAR}&kind=studio"] <= 12


def test_workspace_reads_a_fixed_number_of_queries(world, studio, client_for):
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    client = client_for(world.users["district_researcher"])
    url = f"/communities/{studio.pk}/"
    few = _counts(client, [url])
    for p in ("teacher_b", "principal", "counsellor"):
        services.add_member(
            actor=world.users["district_researcher"], community=studio, person=world.people[p]
        )
    held_activity(world, studio)
    held_activity(world, studio, title="第二次", mode="online")
    assert _counts(client, [url]) == few
    # The tasks and the points share one read of the year's activities and observations;
    # the feed reuses the members, activities and files the page read.
    assert few[url] <= 19


def test_memberships_keep_their_communitys_kind_and_level(world, studio):
    """The coverage groups memberships by their own copy of the community's kind and
    level (no join): a membership added by the services, or created directly, has it."""
    from django.db.models import F, Q

    m = services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["teacher_b"],
        joined_on=START,
    )
    m.refresh_from_db()
    assert studio.level
    assert (m.kind, m.level) == (studio.kind, studio.level)
    other = Membership.objects.create(
        community=Community.objects.get(pk=studio.pk),
        person=world.people["principal"],
        joined_on=START,
    )
    other.refresh_from_db()
    assert (other.kind, other.level) == ("studio", studio.level)
    differ = Q(~Q(kind=F("community__kind"))) | Q(~Q(level=F("community__level")))
    assert not Membership.objects.filter(differ).exists()
