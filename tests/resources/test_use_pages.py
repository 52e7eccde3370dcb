"""Using a resource through its page: a colleague opens a published resource (the view is
counted once a day), keeps it in favourites, rates it, comments and records using it in
a lesson; the author reads who used it, and their figures on "my resources" and the home
page; bad input and other districts change nothing; query counts stay fixed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jiaoyan.resources import use
from jiaoyan.resources.models import (
    Application,
    Comment,
    Favourite,
    Rating,
    Resource,
    ResourceHit,
)
from tests.conftest import make_person
from tests.resources.test_use import make_colleague, published
from tests.support import zh

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def colleague(world):
    return make_colleague(world)


def _text(resp) -> str:
    return resp.content.decode()


def test_a_colleague_uses_a_published_resource_and_the_author_sees_it(world, colleague, client_for):
    r = published(world)
    reader = client_for(colleague)
    page = reader.get(r.get_absolute_url())
    assert page.status_code == 200
    html = _text(page)
    assert 'data-testid="use"' in html and 'data-testid="rating-form"' in html
    assert 'data-testid="applications"' not in html  # who used it: for authors, managers
    reader.get(r.get_absolute_url())
    assert ResourceHit.objects.filter(resource=r).count() == 1  # once a day per person

    assert reader.post(f"/resources/{r.pk}/favourite/").status_code == 302
    assert Favourite.objects.filter(resource=r, user=colleague).exists()
    assert reader.post(f"/resources/{r.pk}/rate/", {"score": "4"}).status_code == 302
    assert (
        reader.post(f"/resources/{r.pk}/comments/", {"text": "分层练习很实用"}).status_code == 302
    )
    resp = reader.post(
        f"/resources/{r.pk}/used/", {"day": timezone.localdate().isoformat(), "note": "九（1）班"}
    )
    assert resp.status_code == 302
    page = _text(reader.get(r.get_absolute_url()))
    assert 'data-testid="unfavourite"' in page and "分层练习很实用" in page
    assert 'data-testid="my-uses"' in page

    # My favourites lists it.
    fav = _text(reader.get("/resources/favourites/"))
    assert r.title in fav and 'data-testid="favourite-row"' in fav
    f = Favourite.objects.get(user=colleague)
    resp = reader.post(f"/resources/favourites/{f.pk}/remove/", {"back": "favourites"})
    assert resp.status_code == 302 and resp["Location"] == "/resources/favourites/"
    assert not Favourite.objects.exists()
    assert (
        client_for(world.users["principal"]).post(f"/resources/{r.pk}/favourite/").status_code
        == 302
    )

    # The author reads who used it, cannot rate it, and sees the figures once counted.
    author = client_for(world.users["teacher"])
    html = _text(author.get(r.get_absolute_url()))
    assert 'data-testid="applications"' in html and "九（1）班" in html
    assert 'data-testid="rating-form"' not in html
    use.aggregate_hits()
    mine = _text(author.get("/resources/mine/"))
    assert 'data-testid="row-views">2<' in mine  # the colleague's view and the author's
    assert 'data-testid="row-uses">1<' in mine
    home = _text(author.get("/"))
    assert 'data-testid="home-resource-figures"' in home


def test_a_bad_rating_is_a_message_and_nothing_is_written(world, colleague, client_for):
    r = published(world)
    reader = client_for(colleague)
    for bad in ("6", "0", "-2"):
        resp = reader.post(f"/resources/{r.pk}/rate/", {"score": bad}, follow=True)
        assert resp.status_code == 200
        assert zh("A rating is a whole number from 1 to 5.") in _text(resp), bad
    resp = reader.post(f"/resources/{r.pk}/rate/", {"score": "abc"}, follow=True)
    assert resp.status_code == 200  # the form's own message: a whole number
    assert not Rating.objects.exists()
    assert Resource.objects.get(pk=r.pk).rating_count == 0
    # The author is told why, not given a form.
    resp = client_for(world.users["teacher"]).post(
        f"/resources/{r.pk}/rate/", {"score": "5"}, follow=True
    )
    assert zh("You cannot rate your own resource.") in _text(resp)
    assert not Rating.objects.exists()


def test_another_district_gets_404_and_writes_nothing(world, client_for):
    r = published(world)
    outsider = client_for(world.users["outsider"])
    assert outsider.get(r.get_absolute_url()).status_code == 404
    for url, data in (
        (f"/resources/{r.pk}/favourite/", {}),
        (f"/resources/{r.pk}/rate/", {"score": "5"}),
        (f"/resources/{r.pk}/comments/", {"text": "看不见也评论"}),
        (f"/resources/{r.pk}/used/", {"note": ""}),
    ):
        assert outsider.post(url, data).status_code == 404, url
    assert not (
        Favourite.objects.exists()
        or Rating.objects.exists()
        or Comment.objects.exists()
        or Application.objects.exists()
        or ResourceHit.objects.exists()
    )


def test_a_manager_removes_any_comment_a_reader_only_their_own(world, colleague, client_for):
    r = published(world)
    c = use.add_comment(actor=colleague, resource=r, text="有一处公式写错了")
    other = make_person(
        "T203", "吴老师", world.schools["school_a"].org_unit, role="teacher", username="other"
    ).user
    page = _text(client_for(other).get(r.get_absolute_url()))
    assert "有一处公式写错了" in page and 'data-testid="delete-comment"' not in page
    assert client_for(other).post(f"/resources/comments/{c.pk}/remove/").status_code == 403
    principal = client_for(world.users["principal"])
    assert 'data-testid="delete-comment"' in _text(principal.get(r.get_absolute_url()))
    assert principal.post(f"/resources/comments/{c.pk}/remove/").status_code == 302
    assert not Comment.objects.exists()


def test_a_file_download_is_counted(world, colleague, client_for):
    r = published(world)
    f = r.files.first()
    resp = client_for(colleague).get(f"/resources/files/{f.pk}/")
    assert resp.status_code == 200
    b"".join(resp.streaming_content)
    use.aggregate_hits()
    assert Resource.objects.get(pk=r.pk).download_count == 1


def test_the_resource_page_and_favourites_keep_their_query_counts(
    world, colleague, client_for, django_assert_max_num_queries
):
    r = published(world)
    readers = [
        make_person(
            f"T3{i:02d}",
            f"读者{i}",
            world.schools["school_a"].org_unit,
            role="teacher",
            username=f"reader{i}",
        ).user
        for i in range(8)
    ]
    for i, u in enumerate(readers):
        use.add_comment(actor=u, resource=r, text=f"评论{i}")
        use.record_use(actor=u, resource=r, note=f"第{i}次")
        use.rate(actor=u, resource=r, score=1 + i % 5)
    author = client_for(world.users["teacher"])
    author.get(r.get_absolute_url())
    with django_assert_max_num_queries(40):
        assert author.get(r.get_absolute_url()).status_code == 200
    # 30 favourites: more than a page holds.
    unit = world.schools["school_a"].org_unit
    for i in range(30):
        other = Resource.objects.create(
            org_unit=unit,
            kind="slides",
            title=f"已发布课件{i}",
            status="published",
            published_at=timezone.now(),
            created_by=world.users["principal"],
        )
        use.add_favourite(actor=colleague, resource=other)
    reader = client_for(colleague)
    reader.get("/resources/favourites/")
    with django_assert_max_num_queries(15):
        resp = reader.get("/resources/favourites/")
    assert resp.status_code == 200 and _text(resp).count('data-testid="favourite-row"') == 25


def test_equal_matches_of_a_search_come_most_used_first(world, colleague, client_for):
    from jiaoyan.core import search

    unit = world.schools["school_a"].org_unit
    made = []
    for n in ("甲", "乙", "丙"):
        r = Resource.objects.create(
            org_unit=unit,
            kind="slides",
            title=f"勾股定理课件{n}",
            status="published",
            published_at=timezone.now(),
            created_by=world.users["principal"],
        )
        search.index(r)
        made.append(r)
    use.record_use(actor=colleague, resource=made[1])
    use.record_use(actor=world.users["teacher"], resource=made[1])
    use.record_use(actor=colleague, resource=made[2])
    for client in (client_for(colleague),):
        html = _text(client.get("/resources/?q=勾股定理"))
        order = sorted(made, key=lambda r: html.index(r.title))
        assert [r.title for r in order] == [made[1].title, made[2].title, made[0].title]
