"""THE paginator of the API (``core.api.LimitOffset`` / ``@paginated``): every list takes
``limit``/``offset`` and answers ``{"items": [...], "count": N}``; bad values are a 422
with a JSON ``detail``, never a 500."""

from __future__ import annotations

import pytest

LISTS = [
    "/api/v1/org-units",
    "/api/v1/schools",
    "/api/v1/people",
    "/api/v1/hours?mine=false",
    "/api/v1/plans",
    "/api/v1/activities",
    "/api/v1/participations",
    "/api/v1/exams",
    "/api/v1/observations",
    "/api/v1/observation-rubrics",
    "/api/v1/observation-rounds",
    "/api/v1/liaison-assignments",
    "/api/v1/ledger/items",
    "/api/v1/ledger/supervisions",
]

BAD = [
    "limit=0",
    "limit=-1",
    "limit=501",
    "limit=abc",
    "limit=1.5",
    "offset=-1",
    "offset=abc",
    f"offset={10**12}",
    f"limit={10**30}",
    f"offset={10**30}",
]


def _join(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize("url", LISTS)
def test_every_list_answers_items_and_count(world, api_for, url):
    api = api_for(world.city_admin)
    resp = api.get(_join(url, "limit=2"))
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert set(body) == {"items", "count"} and isinstance(body["count"], int)
    assert len(body["items"]) == min(2, body["count"])
    far = api.get(_join(url, f"limit=2&offset={body['count'] + 5}")).json()
    assert far == {"items": [], "count": body["count"]}


@pytest.mark.parametrize("url", LISTS)
def test_bad_limit_or_offset_is_422_with_detail(world, api_for, url):
    api = api_for(world.city_admin)
    for query in BAD:
        resp = api.get(_join(url, query))
        assert resp.status_code == 422, (query, resp.status_code, resp.content)
        detail = resp.json()["detail"]
        assert detail and detail[0]["loc"][-1] in ("limit", "offset"), (query, detail)


def test_pages_walk_the_whole_list_once(world, api_for):
    api = api_for(world.city_admin)
    total = api.get("/api/v1/org-units?limit=1").json()["count"]
    seen = []
    for offset in range(0, total, 3):
        body = api.get(f"/api/v1/org-units?limit=3&offset={offset}").json()
        assert body["count"] == total
        seen += [u["id"] for u in body["items"]]
    assert len(seen) == total == len(set(seen))


def test_the_quality_lists_take_the_same_page(world, api_for):
    """The exam lists with more than items and count (analysis, value-added, students)
    read the same ``limit``/``offset``: the same bounds, the same 422."""
    api = api_for(world.city_admin)
    exam = api.post(
        "/api/v1/exams",
        {
            "name": "2025年中考",
            "kind": "zhongkao",
            "date": "2025-06-20",
            "grade": 9,
            "stage": "junior",
            "org_unit": world.units["city"].pk,
            "subjects": [{"name": "数学", "full_marks": 120}],
        },
        content_type="application/json",
    )
    assert exam.status_code == 201, exam.content
    school = world.schools["school_a"].pk
    for url in (
        f"/api/v1/exams/{exam.json()['id']}/students?school={school}",
        f"/api/v1/exams/{exam.json()['id']}/analysis?level=school",
    ):
        for query in BAD:
            resp = api.get(_join(url, query))
            assert resp.status_code == 422, (url, query, resp.content)
            assert resp.json()["detail"][0]["loc"][-1] in ("limit", "offset")
