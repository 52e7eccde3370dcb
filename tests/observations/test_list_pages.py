"""The observations' list pages as declared lists: a fixed number of queries with more
rows than a page holds, and the liaison list's export re-imports through the liaison
sheet unchanged."""

from __future__ import annotations

import datetime as dt

import pytest

from jiaoyan.core.sheets import run_import
from jiaoyan.observations import services
from jiaoyan.observations.models import ComparisonRound, LiaisonAssignment
from jiaoyan.observations.scoring import parse_rubric_text, structure_text
from jiaoyan.observations.sheets import LiaisonSheet
from jiaoyan.orgs.models import Stage, Subject
from tests.support import read_xlsx

from .test_liaison_sheet import sheet


@pytest.fixture
def liaisons(world):
    """R001 is the liaison of two schools now, and was of school A 30 times before."""
    admin = world.users["city_admin"]
    run_import(
        LiaisonSheet(actor=admin),
        sheet([["R001", "韩梅", "6105020001、6105020002", "2024-09-01", "初中数学"]]),
        "liaison.xlsx",
    )
    active = LiaisonAssignment.objects.get(school__code="6105020001", is_active=True)
    LiaisonAssignment.objects.bulk_create(
        LiaisonAssignment(
            researcher=active.researcher,
            school=active.school,
            start_date=dt.date(2020, 1, 1) + dt.timedelta(days=i),
            end_date=dt.date(2020, 1, 2) + dt.timedelta(days=i),
            is_active=False,
        )
        for i in range(30)
    )
    return world


@pytest.mark.parametrize("query", ["", "q=韩", "all=1"])
def test_liaison_export_reimports_unchanged(liaisons, client_for, query):
    admin = liaisons.users["city_admin"]
    resp = client_for(admin).get(f"/observations/liaisons/?{query}&export=xlsx")
    assert resp.status_code == 200
    rows = read_xlsx(resp.content)
    assert rows[2][:3] == ["R001", "韩梅", "6105020001、6105020002"]
    result = run_import(LiaisonSheet(actor=admin), resp.content, "back.xlsx", dry_run=True)
    assert not result.errors, [str(e) for e in result.errors]
    assert result.unchanged == 1 and result.created == result.updated == 0


def test_liaison_and_round_lists_in_fixed_queries(
    liaisons, client_for, django_assert_max_num_queries
):
    world = liaisons
    ComparisonRound.objects.bulk_create(
        ComparisonRound(
            org_unit=world.units["linwei_institute"],
            topic=f"一元一次方程{i}",
            subject=Subject.objects.get(name="数学"),
            stage=Stage.objects.get(code="junior"),
            date=dt.date(2024, 10, 1) + dt.timedelta(days=i),
        )
        for i in range(30)
    )
    client = client_for(world.users["city_admin"])
    for url, limit in [
        ("/observations/liaisons/?all=1", 10),
        ("/observations/liaisons/?all=1&page=2", 10),
        ("/observations/rounds/", 10),
        ("/observations/rounds/?page=2&q=方程", 10),
    ]:
        client.get(url)
        with django_assert_max_num_queries(limit):
            resp = client.get(url)
        assert resp.status_code == 200, url
    rows = read_xlsx(client.get("/observations/rounds/?export=xlsx").content)
    assert rows[1] == ["日期", "课题", "学段", "学科", "组织单位", "教研活动"] and len(rows) == 32


def test_rubric_list_in_fixed_queries(world, rubric, client_for, django_assert_max_num_queries):
    structure = parse_rubric_text(structure_text(services.version_dimensions(rubric.current)))
    for i in range(12):
        services.create_rubric(
            actor=world.users["city_admin"],
            org_unit=world.units["city"],
            name=f"评价表{i}",
            structure=structure,
        )
    client = client_for(world.users["city_admin"])
    client.get("/observations/rubrics/")
    with django_assert_max_num_queries(9):
        resp = client.get("/observations/rubrics/")
    assert resp.status_code == 200 and "评价表11" in resp.content.decode()
    rows = read_xlsx(client.get("/observations/rubrics/?export=xlsx").content)
    assert rows[0] == ["听课评价表", *[None] * 5] and len(rows) >= 2 + 12
