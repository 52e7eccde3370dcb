"""The outcomes API: create (references resolved, bad input a 400/422 with nothing
written), promotions and adoptions, a round's recommend and withdraw, experts and
scores, the point table and the points ranking."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jiaoyan.outcomes.models import Entry, Outcome, PointRule, Promotion
from tests.outcomes.conftest import make_outcome, set_table

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("chinese")]
JSON = "application/json"


def test_create_list_and_patch(world, api_for):
    api = api_for(world.users["teacher"])
    unit = world.schools["school_a"].org_unit
    r = api.post(
        "/api/v1/outcomes",
        {"org_unit": unit.code, "kind": "case", "title": "案例", "authors": ["T002", "T001"]},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["org_unit"] == unit.pk and len(body["authors"]) == 2
    r = api.post(
        "/api/v1/outcomes", {"org_unit": unit.pk, "kind": "poem", "title": "x"}, content_type=JSON
    )
    assert r.status_code == 422
    r = api.post(
        "/api/v1/outcomes", {"org_unit": unit.pk, "kind": "case", "title": " "}, content_type=JSON
    )
    assert r.status_code == 400 and r.json()["detail"]
    assert Outcome.objects.count() == 1
    r = api.get("/api/v1/outcomes?kind=case")
    assert r.json()["count"] == 1
    r = api.patch(
        f"/api/v1/outcomes/{body['id']}", {"title": "新标题", "version": 1}, content_type=JSON
    )
    assert r.status_code == 200 and r.json()["title"] == "新标题"


def test_promotions_adoptions_and_reach(world, api_for, outcome):
    api = api_for(world.users["city_admin"])
    today = timezone.localdate().isoformat()
    r = api.post(
        f"/api/v1/outcomes/{outcome.pk}/promotions",
        {
            "org_unit": world.units["city"].pk,
            "date": today,
            "event": "巡展",
            "participants": 100,
            "demonstration": True,
        },
        content_type=JSON,
    )
    assert r.status_code == 200, r.content
    assert r.json()["participants"] == 100
    r = api.post(
        f"/api/v1/outcomes/{outcome.pk}/adoptions",
        {"org_unit": world.schools["school_b"].org_unit.pk, "adopted_on": today},
        content_type=JSON,
    )
    assert r.status_code == 200
    r = api.post(
        f"/api/v1/outcomes/{outcome.pk}/adoptions",
        {"org_unit": world.schools["school_b"].org_unit.pk, "adopted_on": today},
        content_type=JSON,
    )
    assert r.status_code == 400
    assert api.get(f"/api/v1/outcomes/{outcome.pk}/promotions").json()["count"] == 1
    assert Promotion.objects.count() == 1


def test_round_flow_and_points(world, api_for, outcome, open_round):
    principal = api_for(world.users["principal"])
    r = principal.post(
        f"/api/v1/selection-rounds/{open_round.pk}/recommend",
        {"outcome": outcome.pk},
        content_type=JSON,
    )
    assert r.status_code == 200, r.content
    entry = r.json()
    assert entry["level"] == "school"
    county = api_for(world.users["district_researcher"])
    r = county.post(
        f"/api/v1/selection-rounds/{open_round.pk}/recommend",
        {"outcome": outcome.pk},
        content_type=JSON,
    )
    top = r.json()
    city = api_for(world.users["city_admin"])
    r = city.post(
        f"/api/v1/selection-entries/{top['id']}/experts", {"expert": "T001"}, content_type=JSON
    )
    assert r.status_code == 400  # the outcome's own unit
    r = city.post(
        f"/api/v1/selection-entries/{top['id']}/experts", {"expert": "H001"}, content_type=JSON
    )
    assert r.status_code == 200
    score = r.json()["id"]
    expert = api_for(world.users["outsider"])
    r = expert.post(f"/api/v1/expert-scores/{score}/score", {"score": 91}, content_type=JSON)
    assert r.status_code == 200 and r.json()["score"] == "91.00"
    assert city.get(f"/api/v1/selection-entries?round={open_round.pk}").json()["count"] == 1
    r = principal.post(f"/api/v1/selection-entries/{entry['id']}/withdraw")
    assert r.status_code == 400
    assert Entry.objects.filter(withdrawn_at__isnull=True).count() == 2
    r = city.post(
        "/api/v1/point-rules",
        {"org_unit": world.units["city_bureau"].code, "code": "demonstration", "points": 3},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    assert PointRule.objects.count() == 1
    r = city.post(
        "/api/v1/point-rules",
        {"org_unit": world.units["city_bureau"].pk, "code": "nope", "points": 3},
        content_type=JSON,
    )
    assert r.status_code == 400


def test_points_ranking(world, api_for):
    set_table(world)
    o = make_outcome(world)
    from jiaoyan.outcomes import services

    services.record_promotion(
        actor=world.users["city_admin"],
        outcome=o,
        org_unit=world.units["city"],
        date=timezone.localdate(),
        event="展示",
        demonstration=True,
    )
    r = api_for(world.users["city_admin"]).get("/api/v1/points?of=persons")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["name"] == "张老师" and row["points"] == "6.0"
    assert row["rules"][0]["rule"] == "demonstration"
    assert api_for(world.users["outsider"]).get("/api/v1/points").json()["count"] == 0
    assert api_for(world.users["city_admin"]).get("/api/v1/points?year=1").status_code == 422
