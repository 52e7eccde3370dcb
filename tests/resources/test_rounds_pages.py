"""The rounds' pages and API: a round per viewer level (quotas used and left), the
candidates → recommend → select buttons, withdrawal, the exports, the honour on the
library and the resource page, bounded query counts; the API's actions."""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest
import time_machine

from jiaoyan.resources import rounds
from jiaoyan.resources.models import Recommendation, RecommendationRound

from .test_rounds import AFTER, DURING, city_round, published

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def during():
    with time_machine.travel(DURING, tick=False) as t:
        yield t


def _cells(resp) -> list:
    book = openpyxl.load_workbook(BytesIO(resp.content), read_only=True)
    return [c for row in book.active.iter_rows(values_only=True) for c in row if c]


def test_a_round_through_the_pages_school_county_city(world, client_for, during):
    w = world
    r = city_round(w)
    res = published(w)
    principal = client_for(w.users["principal"])
    assert r.title in principal.get("/resources/rounds/").content.decode()
    page = principal.get(f"/resources/rounds/{r.pk}/").content.decode()
    assert "临渭区第一初级中学" in page and 'data-testid="quota-row"' in page
    cands = principal.get(f"/resources/rounds/{r.pk}/candidates/").content.decode()
    assert res.title in cands
    resp = principal.post(f"/resources/rounds/{r.pk}/recommend/", {"resource": res.pk})
    assert resp.status_code == 302
    entry = Recommendation.objects.get(round=r, level="school")
    sent = principal.get(f"/resources/rounds/{r.pk}/sent/").content.decode()
    assert res.title in sent and 'data-testid="withdraw"' in sent
    assert res.title not in principal.get(f"/resources/rounds/{r.pk}/candidates/").content.decode()
    # The county selects it from what was recommended to it; the city sees it only then.
    researcher = client_for(w.users["district_researcher"])
    city = client_for(w.users["city_admin"])
    assert res.title not in city.get(f"/resources/rounds/{r.pk}/received/").content.decode()
    received = researcher.get(f"/resources/rounds/{r.pk}/received/").content.decode()
    assert res.title in received and 'data-testid="select"' in received
    researcher.post(
        f"/resources/rounds/{r.pk}/recommend/",
        {"resource": res.pk, "unit": w.units["linwei"].pk, "back": "received"},
    )
    assert res.title in city.get(f"/resources/rounds/{r.pk}/received/").content.decode()
    export = researcher.get(f"/resources/rounds/{r.pk}/received/?export=xlsx")
    assert export.status_code == 200 and res.title in _cells(export)
    city.post(f"/resources/rounds/{r.pk}/recommend/", {"resource": res.pk})
    # Refusals come back as messages, nothing written.
    before = Recommendation.objects.count()
    resp = principal.post(f"/resources/rounds/{r.pk}/recommend/", {"resource": res.pk}, follow=True)
    assert Recommendation.objects.count() == before
    assert f"“{res.title}”在本级已被推荐。" in resp.content.decode()
    # Announced: the honour shows on the library and the resource page.
    during.move_to(AFTER)  # (sessions of three weeks ago have expired: new ones)
    city = client_for(w.users["city_admin"])
    city.post(f"/resources/rounds/{r.pk}/announce/")
    assert RecommendationRound.objects.get(pk=r.pk).announced_at is not None
    teacher = client_for(w.users["teacher"])
    for url in ("/resources/", f"/resources/{res.pk}/"):
        html = teacher.get(url).content.decode()
        assert 'data-testid="honour"' in html, url
    results = city.get(f"/resources/rounds/{r.pk}/results/")
    assert res.title in results.content.decode()
    entry.refresh_from_db()
    assert entry.withdrawn_at is None
    assert list(
        Recommendation.objects.filter(round=r, withdrawn_at__isnull=True)
        .order_by("recommended_at")
        .values_list("level", flat=True)
    ) == ["school", "county", "city"]


def test_withdraw_button_and_another_schools_entry(world, client_for, during):
    w = world
    r = city_round(w)
    entry = rounds.recommend(actor=w.users["principal"], round=r, resource=published(w))
    teacher = client_for(w.users["teacher"])
    resp = teacher.post(f"/resources/rounds/entries/{entry.pk}/withdraw/")
    assert resp.status_code in (403, 404)
    assert Recommendation.objects.get(pk=entry.pk).withdrawn_at is None
    client_for(w.users["principal"]).post(f"/resources/rounds/entries/{entry.pk}/withdraw/")
    assert Recommendation.objects.get(pk=entry.pk).withdrawn_at is not None


def test_a_new_round_through_its_form(world, client_for):
    w = world
    admin = client_for(w.users["city_admin"])
    assert admin.get("/resources/rounds/new/").status_code == 200
    resp = admin.post(
        "/resources/rounds/new/",
        {
            "org_unit": w.units["city_bureau"].pk,
            "title": "2027 优课",
            "kinds": ["micro_lesson", "slides"],
            "opens_on": "2027-03-01",
            "closes_on": "2027-03-31",
            "school_quota": 2,
            "county_quota": 5,
            "city_quota": 10,
        },
    )
    assert resp.status_code == 302
    r = RecommendationRound.objects.get(title="2027 优课")
    assert (r.kinds, r.school_quota) == (["micro_lesson", "slides"], 2)
    assert client_for(w.users["teacher"]).get("/resources/rounds/new/").status_code == 403
    bad = admin.post(
        "/resources/rounds/new/",
        {
            "org_unit": w.units["city_bureau"].pk,
            "title": "倒置",
            "kinds": ["slides"],
            "opens_on": "2027-03-31",
            "closes_on": "2027-03-01",
            "school_quota": 1,
            "county_quota": 1,
            "city_quota": 1,
        },
    )
    assert bad.status_code == 200
    assert not RecommendationRound.objects.filter(title="倒置").exists()


def test_round_lists_query_counts_do_not_grow(
    world, client_for, during, django_assert_max_num_queries
):
    w = world
    r = city_round(w, school_quota=40)
    researcher = client_for(w.users["district_researcher"])
    principal = client_for(w.users["principal"])
    pages = (
        (principal, f"/resources/rounds/{r.pk}/sent/"),
        (researcher, f"/resources/rounds/{r.pk}/received/"),
        (principal, f"/resources/rounds/{r.pk}/candidates/"),
        (principal, f"/resources/rounds/{r.pk}/"),
        (principal, "/resources/rounds/"),
        (client_for(w.users["teacher"]), "/resources/"),
    )

    def add(n, start):
        for i in range(start, start + n):
            res = published(w, title=f"资源{i}")
            if i % 2:  # half recommended, half waiting among the candidates
                rounds.recommend(actor=w.users["principal"], round=r, resource=res)

    add(4, 0)
    counts = {}
    for client, url in pages:
        with django_assert_max_num_queries(25) as q:
            assert client.get(url).status_code == 200, url
        counts[url] = len(q.captured_queries)
    add(60, 4)
    for client, url in pages:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200, url


def test_the_api_recommends_withdraws_and_announces(world, api_for, during):
    w = world
    r = city_round(w)
    res = published(w)
    principal = api_for(w.users["principal"])
    resp = principal.post(
        f"/api/v1/recommendation-rounds/{r.pk}/recommend",
        {"resource": res.pk, "note": "推荐"},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["level"], body["to_unit"], body["org_unit"]) == (
        "school",
        w.units["linwei"].pk,
        w.schools["school_a"].org_unit.pk,
    )
    again = principal.post(
        f"/api/v1/recommendation-rounds/{r.pk}/recommend",
        {"resource": res.pk},
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["detail"]
    listed = principal.get(f"/api/v1/recommendations?round={r.pk}").json()
    assert listed["count"] == 1
    withdrawn = principal.post(f"/api/v1/recommendations/{body['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    assert (
        principal.get(f"/api/v1/recommendations?round={r.pk}&withdrawn=false").json()["count"] == 0
    )
    city = api_for(w.users["city_admin"])
    early = city.post(f"/api/v1/recommendation-rounds/{r.pk}/announce")
    assert early.status_code == 400
    during.move_to(AFTER)
    city = api_for(w.users["city_admin"])
    done = city.post(f"/api/v1/recommendation-rounds/{r.pk}/announce")
    assert done.status_code == 200 and done.json()["phase"] == "announced"
    made = city.post(
        "/api/v1/recommendation-rounds",
        {
            "org_unit": w.units["city_bureau"].code,
            "title": "2027 优课",
            "kinds": ["slides"],
            "opens_on": "2027-03-01",
            "closes_on": "2027-03-31",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["school_quota"] == 3
