"""Lists ordered by their rows' unit path are counted and sliced per unit
(``core.lists.UnitRanges``): the pages hold the same rows in the same order as plain
slicing, in the same number of queries, whatever the page size or direction."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.core.lists import UnitOrderedPaginator, UnitRanges
from jiaoyan.people.models import Person, RoleAssignment


@pytest.fixture
def crowd(world):
    """Forty more people spread unevenly over five units."""
    from tests.conftest import make_person

    units = [
        world.school_a.org_unit,
        world.school_b.org_unit,
        world.school_c.org_unit,
        world.units["linwei_institute"],
        world.units["city_bureau"],
    ]
    for i in range(40):
        unit = units[(i * i) % 5]
        make_person(f"Z{i:03d}", f"人{i}", unit, role="teacher", subjects=["数学"])
    return world


ORDERINGS = [
    ("org_unit__path", "staff_no", "pk"),
    ("-org_unit__path", "-staff_no", "-pk"),
    ("org_unit__path", "-name", "pk"),
]


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("size", [1, 7, 10, 100])
def test_pages_match_plain_slicing(crowd, ordering, size):
    qs = Person.objects.visible_to(crowd.users["city_admin"]).order_by(*ordering)
    plain = Paginator(qs, size)
    ranges = UnitRanges.for_queryset(qs)
    assert ranges is not None
    fast = UnitOrderedPaginator(ranges, size)
    assert fast.count == plain.count == qs.count()
    assert fast.num_pages == plain.num_pages
    for number in range(1, plain.num_pages + 1):
        assert [p.pk for p in fast.page(number)] == [p.pk for p in plain.page(number)]


def test_filtered_and_distinct_lists(crowd):
    admin = crowd.users["city_admin"]
    qs = (
        Person.objects.visible_to(admin)
        .filter(roles__role="teacher", roles__subjects__name="数学")
        .distinct()
        .order_by("org_unit__path", "staff_no", "pk")
    )
    ranges = UnitRanges.for_queryset(qs)
    assert ranges.count() == qs.count()
    assert [p.pk for p in ranges.slice(3, 17)] == [p.pk for p in qs[3:17]]
    assert ranges.slice(10_000, 10_010) == []
    narrow = Person.objects.visible_to(crowd.users["teacher"]).order_by("org_unit__path", "pk")
    assert [p.pk for p in UnitRanges.for_queryset(narrow).slice(0, 50)] == [p.pk for p in narrow]


def test_only_unit_path_orderings_qualify(crowd):
    assert UnitRanges.for_queryset(Person.objects.order_by("name")) is None
    assert UnitRanges.for_queryset(Person.objects.order_by("org_unit__name")) is None
    assert (
        UnitRanges.for_queryset(RoleAssignment.objects.order_by("person__org_unit__path")) is None
    )
    assert UnitRanges.for_queryset(Person.objects.all().order_by()) is None


def test_people_page_and_api_use_it_with_the_same_rows(crowd, client_for, api_for):
    admin = crowd.users["city_admin"]
    expected = list(
        Person.objects.visible_to(admin)
        .filter(status="active")
        .order_by("org_unit__path", "staff_no", "pk")
        .values_list("staff_no", flat=True)
    )
    response = api_for(admin).get("/api/v1/people?limit=7&offset=5")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Person.objects.visible_to(admin).count()
    all_rows = list(
        Person.objects.visible_to(admin)
        .order_by("org_unit__path", "staff_no")
        .values_list("staff_no", flat=True)
    )
    assert [p["staff_no"] for p in body["items"]] == all_rows[5:12]

    client = client_for(admin)
    client.get("/people/")  # fills the per-process caches
    with CaptureQueriesContext(connection) as first:
        page2 = client.get("/people/?size=10&page=2")
    assert page2.status_code == 200
    html = page2.content.decode()
    for staff_no in expected[10:20]:
        assert staff_no in html
    with CaptureQueriesContext(connection) as bigger:
        assert client.get("/people/?size=50").status_code == 200
    assert len(bigger.captured_queries) == len(first.captured_queries)
