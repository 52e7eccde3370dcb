"""The API of using a resource: favourites, ratings, comments and applications (list,
create, delete), the figures on a resource's output, bad input (400 with a Chinese
detail, nothing written) and another district (404)."""

from __future__ import annotations

import json

import pytest

from jiaoyan.resources import use
from jiaoyan.resources.models import Application, Comment, Favourite, Rating, Resource
from tests.resources.test_use import make_colleague, published
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def colleague(world):
    return make_colleague(world)


def _post(api, url, body):
    return api.post(url, data=json.dumps(body), content_type="application/json")


def test_rate_change_and_withdraw_through_the_api(world, colleague, api_for):
    r = published(world)
    api = api_for(colleague)
    for bad in (0, 6, 4.5, "五"):
        resp = _post(api, f"/api/v1/resources/{r.pk}/ratings", {"score": bad})
        assert resp.status_code in (400, 422), (bad, resp.content)
    resp = _post(api, f"/api/v1/resources/{r.pk}/ratings", {"score": 6})
    assert resp.status_code == 400
    assert resp.json()["detail"] == zh("A rating is a whole number from 1 to 5.")
    assert not Rating.objects.exists()
    resp = _post(api, f"/api/v1/resources/{r.pk}/ratings", {"score": 4})
    assert resp.status_code == 201 and resp.json()["score"] == 4
    assert resp.json()["org_unit"] == r.org_unit_id
    resp = _post(api, f"/api/v1/resources/{r.pk}/ratings", {"score": 2})
    assert resp.status_code == 201 and resp.json()["score"] == 2
    rating_id = resp.json()["id"]
    listed = api.get(f"/api/v1/resources/{r.pk}/ratings").json()
    assert listed["count"] == 1 and listed["items"][0]["score"] == 2
    out = api.get(f"/api/v1/resources/{r.pk}").json()
    assert (out["rating_count"], out["rating_average"]) == (1, 2.0)
    # Nobody else sees or withdraws one's rating.
    other = api_for(world.users["principal"])
    assert other.get(f"/api/v1/resources/{r.pk}/ratings").json()["count"] == 0
    assert other.delete(f"/api/v1/resource-ratings/{rating_id}").status_code == 404
    assert api.delete(f"/api/v1/resource-ratings/{rating_id}").status_code == 204
    assert Resource.objects.get(pk=r.pk).rating_count == 0


def test_favourites_comments_and_applications_through_the_api(world, colleague, api_for):
    r = published(world)
    api = api_for(colleague)
    resp = _post(api, f"/api/v1/resources/{r.pk}/favourites", {})
    assert resp.status_code == 201
    fav = resp.json()
    assert api.get("/api/v1/resource-favourites").json()["items"][0]["resource"] == r.pk
    assert api.delete(f"/api/v1/resource-favourites/{fav['id']}").status_code == 204
    assert not Favourite.objects.exists()

    resp = _post(api, f"/api/v1/resources/{r.pk}/comments", {"text": "  "})
    assert resp.status_code == 400 and not Comment.objects.exists()
    resp = _post(api, f"/api/v1/resources/{r.pk}/comments", {"text": "例题选得好"})
    assert resp.status_code == 201 and resp.json()["text"] == "例题选得好"
    listed = api_for(world.users["teacher"]).get(f"/api/v1/resources/{r.pk}/comments").json()
    assert [c["text"] for c in listed["items"]] == ["例题选得好"]

    resp = _post(api, f"/api/v1/resources/{r.pk}/applications", {"note": "八（3）班"})
    assert resp.status_code == 201 and resp.json()["note"] == "八（3）班"
    again = _post(api, f"/api/v1/resources/{r.pk}/applications", {"note": "又用了一次"})
    assert again.status_code == 400 and Application.objects.count() == 1
    author = api_for(world.users["teacher"])
    assert author.get(f"/api/v1/resources/{r.pk}/applications").json()["count"] == 1
    out = author.get(f"/api/v1/resources/{r.pk}").json()
    assert out["use_count"] == 1 and out["view_count"] == 0 and out["download_count"] == 0


def test_another_district_gets_404_and_nothing_is_written(world, api_for):
    r = published(world)
    api = api_for(world.users["outsider"])
    for url, body in (
        (f"/api/v1/resources/{r.pk}/favourites", {}),
        (f"/api/v1/resources/{r.pk}/ratings", {"score": 5}),
        (f"/api/v1/resources/{r.pk}/comments", {"text": "看不见"}),
        (f"/api/v1/resources/{r.pk}/applications", {}),
    ):
        assert _post(api, url, body).status_code == 404, url
        if not url.endswith("favourites"):  # (favourites are listed as one's own)
            assert api.get(url).status_code == 404, url
    c = use.add_comment(actor=world.users["principal"], resource=r, text="校长的评论")
    assert api.delete(f"/api/v1/resource-comments/{c.pk}").status_code == 404
    assert Comment.objects.count() == 1
    assert not (Favourite.objects.exists() or Rating.objects.exists())
