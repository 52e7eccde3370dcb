"""Query counts of every list and detail page and API list: pinned to a fixed number, and
the same with the test world's few rows as with more rows than a page holds (no N+1).

When a page legitimately needs one more query, raise its pin here; when a count grows
with the rows, fix the view or query instead.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.core import audit
from jiaoyan.core.models import AuditLog, ImportJob, Job, Notification
from jiaoyan.people.models import Honour, Person, RoleAssignment
from tests.support import bulk_people, bulk_schools

MANY = 60  # more than a page (25) holds

# page -> the most queries it may issue, whatever the number of rows
PINS = {
    "home": 16,  # the city admin's panels; every role's home: tests/core/test_home.py
    "tree": 9,
    "unit_list": 8,
    "school_list": 10,
    "person_list": 14,
    "import_list": 7,
    "audit_list": 7,
    "notification_list": 7,
    "unit_detail": 11,
    "school_detail": 11,
    "person_detail": 15,  # + the class teacher assignments of school staff
    "api_org_units": 4,
    "api_schools": 5,
    "api_people": 8,
    "api_person": 7,
    "api_school": 4,
}


def measure(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return len(ctx.captured_queries)


def add_rows(world, n: int = MANY, tag: str = "M") -> None:
    """``n`` more schools, people (with roles, subjects, honours), audit rows, imports and
    notifications; ``tag`` keeps codes apart between calls."""
    renmin, school_b = world.units["renmin"], world.school_b
    schools = bulk_schools(renmin, n, prefix=f"{ord(tag)}")
    bulk_people(school_b.org_unit, n, prefix=f"{tag}P")
    bulk_people(world.school_a.org_unit, max(1, n // 10), prefix=f"{tag}Q")
    # History of the objects whose pages we open, and of many others.
    ct_school = ContentType.objects.get_for_model(type(world.school_a))
    logs = [
        audit.build(
            world.city_admin,
            s,
            AuditLog.Action.UPDATE,
            {"student_count": [i, i + 1]},
            unit_path=s.org_unit.path,
            content_type=ct_school,
        )
        for i, s in enumerate(schools)
    ]
    for target in (world.school_a, world.units["renmin"], world.people["teacher"]):
        logs += [
            audit.build(
                world.city_admin,
                target,
                AuditLog.Action.UPDATE,
                {"address": ["旧", f"新{i}"], "name": ["甲", "乙"]},
                unit_path=world.units["renmin"].path,
            )
            for i in range(n)
        ]
    AuditLog.objects.bulk_create(logs)
    # Import jobs by several users (each with a person, or not), and notifications.
    creators = [world.city_admin, world.principal, world.outsider, world.superuser]
    jobs = Job.objects.bulk_create(
        [
            Job(
                kind="core.import",
                created_by=creators[i % len(creators)],
                org_unit=world.units["city"],
                status="succeeded",
                result={"rows": 3, "created": 3, "errors": []},
            )
            for i in range(n)
        ]
    )
    ImportJob.objects.bulk_create(
        [
            ImportJob(
                job=job,
                kind="schools",
                original_name=f"学校{tag}{i}.xlsx",
                file=f"imports/{tag}{i}.xlsx",
            )
            for i, job in enumerate(jobs)
        ]
    )
    Notification.objects.bulk_create(
        [Notification(recipient=world.city_admin, title=f"通知{tag}{i}") for i in range(n)]
    )
    # The teacher gains role rows and honours (detail page and API object). With many rows
    # the new roles are ended ones: an active new role would change what the teacher's home
    # shows (each role's home differs), which is not "more rows".
    teacher = world.people["teacher"]
    roles = [("counsellor", True)] if n < MANY else [("principal", False), ("counsellor", False)]
    titles = ["key_teacher"] if n < MANY else ["master_teacher", "subject_leader"]
    for role, active in roles:
        RoleAssignment.objects.create(
            person=teacher, role=role, org_unit=world.school_a.org_unit, is_active=active
        )
    Honour.objects.bulk_create(
        [Honour(person=teacher, title=t, level="county", year=2020) for t in titles]
    )


def add_few(world) -> None:
    """A couple of rows in every list, so "few rows" is never "no rows"."""
    add_rows(world, 2, "F")


def pages(world) -> dict[str, str]:
    return {
        "home": "/",
        "tree": "/orgs/",
        "unit_list": "/orgs/units/",
        "school_list": "/orgs/schools/",
        "person_list": "/people/",
        "import_list": "/imports/",
        "audit_list": "/audit/",
        "notification_list": "/notifications/",
        "unit_detail": f"/orgs/units/{world.units['renmin'].pk}/",
        "school_detail": f"/orgs/schools/{world.school_a.pk}/",
        "person_detail": f"/people/{world.people['teacher'].pk}/",
        "api_org_units": "/api/v1/org-units?limit=100",
        "api_schools": "/api/v1/schools?limit=100",
        "api_people": "/api/v1/people?limit=100",
        "api_person": f"/api/v1/people/{world.people['teacher'].pk}",
        "api_school": f"/api/v1/schools/{world.school_a.pk}",
    }


@pytest.mark.parametrize("name", sorted(PINS))
def test_queries_are_pinned_and_do_not_grow(world, client_for, name, django_assert_max_num_queries):
    client = client_for(world.city_admin)
    url = pages(world)[name]
    if name.startswith("api_"):
        from jiaoyan.people.services import create_token

        _t, raw = create_token(actor=world.city_admin, name="q")
        from django.test import Client

        client = Client(headers={"Authorization": f"Bearer {raw}"})
    add_few(world)
    client.get(url)  # warm caches (content types, sessions) as a running site has them
    few = measure(client, url)
    add_rows(world)
    client.get(url)
    many = measure(client, url)
    assert many == few, f"{name}: {few} queries with few rows, {many} with {MANY}+ rows"
    with django_assert_max_num_queries(PINS[name]):
        client.get(url)


@pytest.mark.parametrize("who", ["district_researcher", "principal", "teacher"])
def test_other_roles_lists_do_not_grow(world, client_for, who):
    client = client_for(world.users[who])
    urls = ["/", "/orgs/", "/orgs/schools/", "/people/", "/orgs/units/"]
    add_few(world)
    for url in urls:
        client.get(url)
    few = {url: measure(client, url) for url in urls}
    add_rows(world)
    many = {url: measure(client, url) for url in urls}
    assert many == few


def test_filtered_and_sorted_lists_do_not_grow(world, client_for):
    client = client_for(world.city_admin)
    linwei = world.units["linwei"].pk
    urls = [
        f"/orgs/schools/?within={linwei}&sort=-students&stage=2",
        f"/people/?within={linwei}&role=teacher&sort=name",
        "/people/?subject=1&honour=key_teacher",
        "/orgs/units/?kind=school&sort=-name",
        "/orgs/schools/?page=2",
        "/people/?page=3",
    ]
    add_few(world)
    for url in urls:
        client.get(url)
    few = {url: measure(client, url) for url in urls}
    add_rows(world)
    many = {url: measure(client, url) for url in urls}
    assert many == few


def test_tree_children_fragment_does_not_grow(world, client_for):
    client = client_for(world.city_admin)
    url = f"/orgs/units/{world.units['renmin'].pk}/children/"
    add_few(world)
    client.get(url)
    few = measure(client, url)
    add_rows(world)
    assert measure(client, url) == few <= 8


def test_the_rows_are_there(world):
    add_few(world)
    add_rows(world)
    assert Person.objects.count() > MANY and ImportJob.objects.count() > MANY


def test_people_without_active_roles_do_not_grow(world, api_for, client_for):
    """People who left keep their rows but hold no active role: no query per such row."""
    api = api_for(world.city_admin)
    client = client_for(world.city_admin)
    urls = ["/api/v1/people?status=retired&limit=100", "/people/?status=retired"]

    def retire(prefix, n):
        people = bulk_people(world.school_b.org_unit, n, prefix=prefix)
        Person.objects.filter(pk__in=[p.pk for p in people]).update(status="retired")
        RoleAssignment.objects.filter(person__in=people).update(is_active=False)

    retire("ZR", 2)
    for url in urls:
        (api if url.startswith("/api/") else client).get(url)
    few = [measure(api if u.startswith("/api/") else client, u) for u in urls]
    retire("ZS", MANY)
    many = [measure(api if u.startswith("/api/") else client, u) for u in urls]
    assert many == few
