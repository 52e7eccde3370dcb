"""The activities' list pages as declared lists: a fixed number of queries with more rows
than a page holds, and the attendance list's export (any venue, any filter) re-imports
through the attendance sheet unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from jiaoyan.activities import services
from jiaoyan.activities.sheets import AttendanceSheet
from jiaoyan.core.sheets import run_import
from jiaoyan.people.models import Person
from tests.support import read_xlsx

from .conftest import main_venue


@pytest.fixture
def crowded(world, published):
    """The published activity with 60 more teachers of 临渭区第一初级中学 invited (an
    attendance page holds 50), started on its day, two of them marked present."""
    school = world.schools["school_a"].org_unit
    Person.objects.bulk_create(
        Person(staff_no=f"X{i:03d}", name=f"教师{i:03d}", org_unit=school) for i in range(60)
    )
    ids = list(Person.objects.filter(staff_no__startswith="X").values_list("pk", flat=True))
    researcher = world.users["district_researcher"]
    services.invite(actor=researcher, activity=published, person_ids=ids)
    with time_machine.travel(published.starts_at + dt.timedelta(minutes=5)):
        activity = services.start_activity(actor=researcher, activity=published)
        marks = dict.fromkeys(activity.participations.values_list("pk", flat=True)[:2], "present")
        services.mark_attendance(actor=researcher, activity=activity, marks=marks)
    return activity


def test_attendance_pages_in_fixed_queries(
    world, crowded, client_for, django_assert_max_num_queries
):
    client = client_for(world.users["district_researcher"])
    base = f"/activities/{crowded.pk}/attendance/"
    for url in (
        base,
        f"{base}?page=2",
        f"{base}?att=out",
        f"{base}?venue={main_venue(crowded).pk}",
    ):
        client.get(url)
        with django_assert_max_num_queries(30):
            resp = client.get(url)
        assert resp.status_code == 200, url


@pytest.mark.parametrize("query", ["", "att=in", "att=out", "venue=main"])
def test_attendance_export_reimports_unchanged(world, crowded, client_for, query):
    researcher = world.users["district_researcher"]
    query = query.replace("main", str(main_venue(crowded).pk))
    resp = client_for(researcher).get(f"/activities/{crowded.pk}/attendance/?{query}&export=xlsx")
    assert resp.status_code == 200
    rows = read_xlsx(resp.content)
    assert "签到状态" in rows[0] + rows[1]
    result = run_import(
        AttendanceSheet(actor=researcher), resp.content, "签到表.xlsx", dry_run=True
    )
    assert not result.errors, [str(e) for e in result.errors]
    assert result.rows > 0 and result.created == 0 and result.updated == 0
    if query == "att=in":
        assert result.rows == 2


def test_plan_list_in_fixed_queries(world, client_for, django_assert_max_num_queries):
    researcher = world.users["district_researcher"]
    for i in range(30):  # a page holds 25
        services.create_plan(
            actor=researcher,
            org_unit=world.units["linwei_institute"],
            year=2020 + i % 6,
            title=f"研修计划{i:02d}",
        )
    client = client_for(researcher)
    for url in ("/activities/plans/", "/activities/plans/?page=2", "/activities/plans/?q=研修"):
        client.get(url)
        with django_assert_max_num_queries(14):
            resp = client.get(url)
        assert resp.status_code == 200
        assert "研修计划" in resp.content.decode()
    rows = read_xlsx(client.get("/activities/plans/?export=xlsx").content)
    assert rows[1] == ["年度", "单位", "计划名称", "学科", "学段", "状态"] and len(rows) == 32
