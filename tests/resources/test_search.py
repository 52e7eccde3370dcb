"""Searching the library: the page's and the API's ``q`` find resources by words of their
title, summary, authors, themes and chapter — simplified and traditional alike, two-
character words included — best match first, inside the viewer's scope only, and the
index follows every edit and deletion."""

from __future__ import annotations

import pytest

from jiaoyan.resources import services
from jiaoyan.resources.models import Resource

from .conftest import draft, submitted


def page_titles(response, titles: list[str]) -> list[str]:
    """Which of ``titles`` the list page shows, in the order it shows them."""
    assert response.status_code == 200
    html = response.content.decode()
    found = [(html.index(t), t) for t in titles if t in html]
    return [t for _i, t in sorted(found)]


def api_titles(client, q: str, **params) -> list[str]:
    response = client.get("/api/v1/resources", {"q": q, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return [item["title"] for item in body["items"]]


TITLES = ["勾股定理课件", "函数图像微课", "二次函数复习课", "古诗词鉴赏教学设计"]


@pytest.fixture
def library(world):
    """Four drafts of the math teacher, created in this order (the list's default order
    is newest first): the word 函数 is in one title and, later, in another's summary."""
    made = {
        "勾股定理课件": draft(world, kind="slides", title="勾股定理课件", with_file=False),
        "函数图像微课": draft(world, kind="micro_lesson", title="函数图像微课", with_file=False),
        "二次函数复习课": draft(world, title="二次函数复习课", with_file=False),
        "古诗词鉴赏教学设计": draft(
            world,
            title="古诗词鉴赏教学设计",
            summary="借助函数思想梳理诗词格律",
            themes=["双减"],
            with_file=False,
        ),
    }
    return made


def test_a_traditional_two_character_word_finds_its_simplified_resource(world, client_for, library):
    teacher = client_for(world.users["teacher"])
    page = teacher.get("/resources/mine/", {"q": "課件"})
    assert page_titles(page, TITLES) == ["勾股定理课件"]
    assert api_titles(teacher, "課件") == ["勾股定理课件"]
    assert api_titles(teacher, "雙減") == ["古诗词鉴赏教学设计"]  # a theme


def test_best_matches_come_first_not_the_newest(world, client_for, library):
    teacher = client_for(world.users["teacher"])
    # Newest first without a search: the summary's match was created last.
    assert page_titles(teacher.get("/resources/mine/"), TITLES) == list(reversed(TITLES))
    # Searched: the titles that hold the word rank above the summary that holds it.
    found = api_titles(teacher, "函数")
    assert set(found[:2]) == {"函数图像微课", "二次函数复习课"}
    assert found[2:] == ["古诗词鉴赏教学设计"]
    assert page_titles(teacher.get("/resources/mine/", {"q": "函数"}), TITLES) == found
    # A sort the viewer chooses still wins over relevance.
    by_created = teacher.get("/resources/mine/", {"q": "函数", "sort": "created"})
    assert page_titles(by_created, TITLES) == [
        "函数图像微课",
        "二次函数复习课",
        "古诗词鉴赏教学设计",
    ]
    # Filters narrow the matches.
    assert api_titles(teacher, "函数", kind="micro_lesson") == ["函数图像微课"]


def test_search_stays_inside_the_viewers_scope(world, client_for, library):
    principal = client_for(world.users["principal"])
    outsider = client_for(world.users["outsider"])
    assert api_titles(principal, "课件") == []  # a draft is its authors' only
    submitted_one = submitted(world, title="勾股定理探究课件", with_file=True)
    assert api_titles(principal, "课件") == [submitted_one.title]
    assert page_titles(principal.get("/resources/", {"q": "課件"}), [submitted_one.title]) == [
        submitted_one.title
    ]
    assert api_titles(outsider, "课件") == []
    assert page_titles(outsider.get("/resources/", {"q": "课件"}), [submitted_one.title]) == []


def test_the_index_follows_edits_and_deletions(world, client_for, library):
    teacher = client_for(world.users["teacher"])
    resource = library["勾股定理课件"]
    services.update_resource(
        actor=world.users["teacher"],
        resource=Resource.objects.get(pk=resource.pk),
        data={"title": "相似三角形课件", "summary": "人教版九年级下册"},
    )
    assert api_titles(teacher, "勾股") == []
    assert api_titles(teacher, "三角形") == ["相似三角形课件"]
    services.delete_resource(actor=world.users["teacher"], resource=resource)
    assert api_titles(teacher, "三角形") == []
    # An author's name is searched too.
    assert set(api_titles(teacher, world.people["teacher"].name)) == set(TITLES[1:])


@pytest.mark.parametrize("q", ['"', "*", "NEAR(", "AND OR", "!!!", "的"])
def test_text_with_no_words_finds_nothing_and_never_fails(world, client_for, library, q):
    teacher = client_for(world.users["teacher"])
    assert api_titles(teacher, q) == []
    assert page_titles(teacher.get("/resources/mine/", {"q": q}), TITLES) == []
