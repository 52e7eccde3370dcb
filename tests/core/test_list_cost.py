"""The cost of a list does not grow with its table (``core.lists``): counts stop at a
threshold and a longer list's count is kept for a while; deep pages read their ids first.
The thresholds are lowered here so that a handful of rows stands for a city's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiaoyan.core import lists
from jiaoyan.core.lists import ListRows, list_count
from jiaoyan.people.models import Person
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_thresholds(monkeypatch):
    monkeypatch.setattr(lists, "EXACT_COUNT_UP_TO", 3)
    monkeypatch.setattr(lists, "IDS_FIRST_FROM", 4)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(world):
    school = world.units["renmin"]
    for i in range(12):
        make_person(f"LC{i:03d}", f"列表{i:02d}", school)
    return Person.objects.filter(staff_no__startswith="LC")


def test_a_short_list_is_counted_exactly_every_time(world, staff, small_thresholds):
    few = staff.filter(staff_no__in=["LC000", "LC001"])
    with CaptureQueriesContext(connection) as q:
        assert list_count(few) == 2
    assert len(q.captured_queries) == 1
    make_person("LC999", "列表新", world.units["renmin"])
    assert list_count(staff.filter(staff_no__in=["LC000", "LC001", "LC999"])) == 3


def test_a_long_list_is_counted_once_and_kept_for_a_while(world, staff, small_thresholds):
    assert list_count(staff) == 12
    with CaptureQueriesContext(connection) as q:
        assert list_count(staff.order_by("-name")) == 12  # another sort, same rows
    assert len(q.captured_queries) == 0
    make_person("LC100", "列表加", world.units["renmin"])
    assert list_count(staff) == 12  # the kept figure …
    later = timezone.now() + timedelta(seconds=lists.COUNT_CACHE_SECONDS + 1)
    with time_machine.travel(later):
        assert list_count(staff) == 13  # … until it expires
    # Another filter is another count.
    assert list_count(staff.exclude(staff_no="LC000")) == 12


def test_deep_pages_read_ids_first_and_give_the_same_rows(staff, small_thresholds):
    ordered = staff.select_related("org_unit").order_by("name", "pk")
    expected = list(ordered)
    rows = ListRows(ordered)
    assert len(rows) == 12
    assert list(rows[0:3]) == expected[0:3]
    with CaptureQueriesContext(connection) as q:
        deep = rows[5:10]
        names = [p.org_unit.name for p in deep]  # related rows came with them
    assert deep == expected[5:10]
    assert names == [p.org_unit.name for p in expected[5:10]]
    assert len(q.captured_queries) == 2  # the ids, then the rows
    assert rows[50:60] == []


def test_the_page_paginator_and_the_api_agree_on_deep_pages(
    world, staff, small_thresholds, rf, api_for
):
    from jiaoyan.core.lists import paginate

    ordered = staff.order_by("staff_no", "pk")
    request = rf.get("/", {"page": "2", "size": "10"})
    page = paginate(request, ordered)
    assert page.paginator.count == 12
    assert [p.staff_no for p in page] == ["LC010", "LC011"]
    api = api_for(world.city_admin)
    first = api.get("/api/v1/people?q=列表&limit=5&offset=0").json()
    deep = api.get("/api/v1/people?q=列表&limit=5&offset=5").json()
    assert first["count"] == deep["count"] == 12
    ids = [p["id"] for p in first["items"] + deep["items"]]
    assert len(set(ids)) == 10


def test_a_long_lists_unit_groups_are_kept_for_both_directions(world, staff, small_thresholds):
    """The people list ordered by unit counts its rows per unit once (kept like a count);
    the same groups serve the list sorted either way."""
    from jiaoyan.core.lists import UnitRanges

    for i in range(3):
        make_person(f"LCH{i}", f"华州{i}", world.units["huazhou"])
    asc = Person.objects.filter(staff_no__startswith="LC").order_by("org_unit__path", "name")
    desc = asc.order_by("-org_unit__path", "name")
    up, down = UnitRanges.for_queryset(asc), UnitRanges.for_queryset(desc)
    assert up.count() == down.count() == 15
    assert len(up.groups) == 2
    with CaptureQueriesContext(connection) as q:
        assert UnitRanges.for_queryset(asc).count() == 15
    assert len(q.captured_queries) == 0
    assert [p for _u, p, _n in up.groups] == sorted(p for _u, p, _n in down.groups)
    assert [p for _u, p, _n in down.groups] == sorted((p for _u, p, _n in up.groups), reverse=True)


def test_a_figure_kept_for_a_day_is_not_read_the_next(staff, small_thresholds):
    from jiaoyan.core.lists import kept

    calls = []

    def figure():
        calls.append(1)
        return len(calls) * 100

    assert kept("test", staff, figure, rows=lambda v: v, also=("2026-12-06",)) == 100
    assert kept("test", staff, figure, rows=lambda v: v, also=("2026-12-06",)) == 100
    assert kept("test", staff, figure, rows=lambda v: v, also=("2026-12-07",)) == 200
