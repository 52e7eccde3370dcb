"""The pages of communities: every one answers its users, forms go through the services,
lists keep a fixed number of queries, members see their community's workspace and
nobody of another district does."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jiaoyan.communities import services
from jiaoyan.communities.models import Community, Membership

from .conftest import END, START, YEAR, held_activity, make_studio

PAGES = [
    "/communities/",
    "/communities/members/",
    "/communities/assessment/",
    f"/communities/assessment/?year={YEAR}&level=county",
    "/communities/coverage/",
    "/communities/report/",
]


@pytest.mark.parametrize("user", ["city_admin", "district_researcher", "principal", "teacher"])
def test_pages_answer(world, studio, client_for, user):
    client = client_for(world.users[user])
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_exports(world, studio, client_for):
    client = client_for(world.users["district_researcher"])
    for url in [
        "/communities/",
        "/communities/members/",
        "/communities/assessment/",
        "/communities/report/",
    ]:
        resp = client.get(url + "?export=xlsx")
        assert resp.status_code == 200, url
        assert resp["Content-Type"].startswith("application/vnd.openxmlformats"), url


def test_settings_page_for_bureau_admins_only(world, client_for):
    assert client_for(world.users["city_admin"]).get("/communities/settings/").status_code == 200
    resp = client_for(world.users["district_researcher"]).get("/communities/settings/")
    assert resp.status_code == 403


def test_create_studio_through_the_form(world, client_for):
    client = client_for(world.users["district_researcher"])
    assert client.get("/communities/new/").status_code == 200
    resp = client.post(
        "/communities/new/",
        {
            "kind": "studio",
            "org_unit": world.units["linwei_institute"].pk,
            "name": "张老师工作室",
            "code": "ms-lw-100",
            "start_on": START.isoformat(),
            "end_on": END.isoformat(),
            "goals": "",
            "leader": "T002",
            "leading_school": "",
        },
    )
    c = Community.objects.get(code="MS-LW-100")
    assert resp.status_code == 302 and resp["Location"] == c.get_absolute_url()
    assert c.leader == world.people["teacher"]


def test_bad_period_is_shown_on_the_form_and_nothing_written(world, client_for):
    client = client_for(world.users["district_researcher"])
    resp = client.post(
        "/communities/new/",
        {
            "kind": "studio",
            "org_unit": world.units["linwei_institute"].pk,
            "name": "工作室",
            "code": "MS-X",
            "start_on": "2026-09-01",
            "end_on": "2026-08-01",
            "leader": "T002",
        },
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors["end_on"]
    assert not Community.objects.exists()


def test_add_member_and_leave_through_the_workspace(world, studio, client_for):
    client = client_for(world.users["district_researcher"])
    resp = client.post(
        f"/communities/{studio.pk}/members/new/",
        {"member": "T101", "role": "member", "joined_on": START.isoformat()},
    )
    assert resp.status_code == 302
    m = Membership.objects.get(community=studio, person=world.people["teacher_b"])
    resp = client.post(f"/communities/memberships/{m.pk}/leave/", {"left_on": ""})
    assert resp.status_code == 302
    assert Membership.objects.get(pk=m.pk).left_on == timezone.localdate()
    # A rule broken: the message comes back, nothing written.
    resp = client.post(
        f"/communities/{studio.pk}/members/new/",
        {"member": "T101", "role": "member", "joined_on": "2000-01-01"},
    )
    assert Membership.objects.filter(community=studio).count() == 2


def test_members_see_their_workspace(world, studio, client_for):
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["principal"],
    )
    # The teacher leads it, the principal is a member: both see the workspace.
    assert client_for(world.users["teacher"]).get(f"/communities/{studio.pk}/").status_code == 200
    assert client_for(world.users["principal"]).get(f"/communities/{studio.pk}/").status_code == 200
    assert (
        client_for(world.users["counsellor"]).get(f"/communities/{studio.pk}/").status_code == 404
    )
    assert client_for(world.users["outsider"]).get(f"/communities/{studio.pk}/").status_code == 404
    resp = client_for(world.users["outsider"]).post(
        f"/communities/{studio.pk}/members/new/", {"member": "H101", "role": "member"}
    )
    assert resp.status_code == 404
    assert studio.members.count() == 2


def test_workspace_queries_are_bounded(world, client_for, django_assert_max_num_queries):
    studio = make_studio(world)
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    for p in ("teacher_b", "principal", "counsellor"):
        services.add_member(
            actor=world.users["district_researcher"], community=studio, person=world.people[p]
        )
    held_activity(world, studio)
    held_activity(world, studio, title="第二次")
    client = client_for(world.users["district_researcher"])
    with django_assert_max_num_queries(45):
        assert client.get(f"/communities/{studio.pk}/").status_code == 200


def test_list_queries_do_not_grow(world, studio, client_for, django_assert_max_num_queries):
    unit = world.units["linwei_institute"]
    for i in range(30):
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
        Membership.objects.create(community=c, person=world.people["teacher_b"], joined_on=START)
    client = client_for(world.users["district_researcher"])
    for url in (
        "/communities/",
        "/communities/members/",
        "/communities/?page=2",
        "/communities/assessment/",
    ):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200, url
