"""The public 云课堂 page (no login): the published resources units made public, with the
library's search (简/繁 alike) and filters, a public resource's page with its files'
previews — and nothing else: no internal, draft or submitted resource, no review or its
comments, no author's other data, no count of what is hidden; anything not public is a
404 to a visitor, whether it exists or not. Rate-limited per address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings

from jiaoyan.resources import services
from jiaoyan.resources.models import Resource, ResourceHit, Status
from tests.resources.conftest import MP4, PDF, draft, reviewed, submitted, upload

pytestmark = pytest.mark.usefixtures("chinese")

VIDEO = MP4 + bytes(range(256)) * 8


def _published(w, title, visibility, **kwargs) -> Resource:
    r, _review = reviewed(w, title=title, visibility=visibility, **kwargs)
    services.decide(actor=w.users["principal"], resource=r, decision="publish")
    r.refresh_from_db()
    assert r.status == Status.PUBLISHED
    return r


@pytest.fixture
def shelf(world):
    """A public and an internal published resource, a public draft and a public
    submitted one (not yet published)."""
    w = world
    _published(w, "勾股定理微课设计", "public")
    _published(w, "校内平行四边形设计", "internal")
    return {
        "public": Resource.objects.get(title="勾股定理微课设计"),
        "internal": Resource.objects.get(title="校内平行四边形设计"),
        "draft": draft(w, title="公开草稿三角形设计", visibility="public"),
        "submitted": submitted(w, title="公开待审圆的设计", visibility="public"),
    }


HIDDEN = ("校内平行四边形设计", "公开草稿三角形设计", "公开待审圆的设计")


def test_a_visitor_sees_only_the_published_public_resources(shelf):
    resp = Client().get("/resources/public/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "勾股定理微课设计" in page
    for title in HIDDEN:
        assert title not in page
    assert resp.context["page"].paginator.count == 1  # no figure counts what is hidden
    assert "Export" not in page and "export=xlsx" not in page


def test_a_logged_in_reader_sees_the_same_public_list(shelf, world, client_for):
    """The teacher sees the internal one in the library, never on the public page."""
    teacher = client_for(world.users["teacher"])
    assert "校内平行四边形设计" in teacher.get("/resources/").content.decode()
    page = teacher.get("/resources/public/").content.decode()
    assert "勾股定理微课设计" in page
    for title in HIDDEN:
        assert title not in page


@pytest.mark.parametrize("q", ["設計", "设计", "微課", "定理"])
def test_the_search_treats_simplified_and_traditional_alike(shelf, q):
    resp = Client().get("/resources/public/", {"q": q})
    titles = [r.title for r in resp.context["page"].object_list]
    assert titles == ["勾股定理微课设计"]


def test_the_filters_work_for_a_visitor(shelf):
    c = Client()
    kind = shelf["public"].kind
    assert c.get("/resources/public/", {"kind": kind}).context["page"].paginator.count == 1
    assert c.get("/resources/public/", {"kind": "slides"}).context["page"].paginator.count == 0
    # The status filter is not offered here (everything is published).
    assert "status" not in c.get("/resources/public/").context["filter"].filters


def test_a_public_resource_page_shows_its_previews_and_nothing_private(shelf, world):
    r = shelf["public"]
    resp = Client().get(f"/resources/public/{r.pk}/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert 'data-testid="preview-pdf"' in page
    pdf = r.files.get()
    assert f'src="/resources/public/files/{pdf.pk}/preview/"' in page
    assert "结构清晰" not in page  # the reviewer's comment
    assert world.people["district_researcher"].name not in page  # who reviewed
    assert world.people["teacher"].name in page  # the author's name, published with it
    assert world.people["teacher"].staff_no not in page
    for private in ('data-testid="events"', 'data-testid="reviews"', "rate", "favourite"):
        assert private not in page
    # The view is counted as on the library's page (one pending hit).
    assert ResourceHit.objects.filter(resource=r, user__isnull=True, kind="view").count() == 1


@pytest.mark.parametrize("which", ["internal", "draft", "submitted"])
def test_anything_not_public_is_a_404_to_a_visitor(shelf, which):
    r = shelf[which]
    c = Client()
    assert c.get(f"/resources/public/{r.pk}/").status_code == 404
    for f in r.files.all():
        for url in (
            f"/resources/public/files/{f.pk}/",
            f"/resources/public/files/{f.pk}/preview/",
            f"/resources/public/files/{f.pk}/pdf/",
        ):
            assert c.get(url).status_code == 404, url
        # The library's own addresses ask for a log-in first.
        assert c.get(f"/resources/files/{f.pk}/preview/").status_code == 302
    assert c.get("/resources/public/999999/").status_code == 404


def test_public_files_preview_inline_and_download_as_attachments(shelf, world):
    r = shelf["public"]
    pdf = r.files.get()
    c = Client()
    shown = c.get(f"/resources/public/files/{pdf.pk}/preview/")
    assert shown.status_code == 200
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(shown.streaming_content) == PDF
    got = c.get(f"/resources/public/files/{pdf.pk}/")
    assert got["Content-Disposition"].startswith("attachment")
    assert got["X-Content-Type-Options"] == "nosniff"


def test_a_public_video_seeks_by_ranges(world):
    r = draft(world, with_file=False, title="公开微课", visibility="public")
    services.attach_file(actor=world.users["teacher"], resource=r, file=upload("微课.mp4", VIDEO))
    services.submit_resource(actor=world.users["teacher"], resource=r)
    review = services.assign_reviewer(
        actor=world.users["principal"], resource=r, reviewer=world.people["district_researcher"]
    )
    services.record_review(
        actor=world.users["district_researcher"],
        review=review,
        scores={c["name"]: c["max"] for c in review.criteria},
    )
    services.decide(actor=world.users["principal"], resource=r, decision="publish")
    video = r.files.get()
    c = Client()
    url = f"/resources/public/files/{video.pk}/preview/"
    part = c.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and b"".join(part.streaming_content) == VIDEO[10:20]
    assert c.get(url, HTTP_RANGE=f"bytes={len(VIDEO) + 5}-").status_code == 416
    page = c.get(f"/resources/public/{r.pk}/").content.decode()
    assert f'src="{url}" data-testid="preview-video"' in page


def test_a_unit_chooses_public_or_internal_on_the_form(world, client_for):
    r = draft(world, title="待公开的设计")
    teacher = client_for(world.users["teacher"])
    form = teacher.get(f"/resources/{r.pk}/edit/").content.decode()
    assert 'name="visibility"' in form and 'value="public"' in form and 'value="internal"' in form
    assert r.visibility == "internal"  # the default: kept in the unit's subtree


def test_visitors_are_rate_limited_per_address(shelf):
    c = Client()
    with override_settings(RESOURCES_PUBLIC_PER_MINUTE=3):
        codes = [c.get("/resources/public/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_public_list_costs_a_few_queries(world, django_assert_max_num_queries):
    for i in range(6):
        _published(world, f"公开资源第{i}号设计", "public")
    c = Client()
    with django_assert_max_num_queries(8):
        resp = c.get("/resources/public/", {"q": "设计"})
    assert resp.context["page"].paginator.count == 6


def test_the_login_page_and_the_library_link_the_public_page(world, client_for):
    assert 'href="/resources/public/"' in Client().get("/accounts/login/").content.decode()
    library = client_for(world.users["teacher"]).get("/resources/").content.decode()
    assert 'href="/resources/public/"' in library


def test_a_visitor_reads_through_visible_to_only_the_public_rows(shelf, world):
    """``scoped(public=)``: an anonymous user's ``visible_to`` holds the model's public
    rows (to read only); a model without ``public`` gives a visitor nothing."""
    from django.contrib.auth.models import AnonymousUser

    from jiaoyan.core.scope import can
    from jiaoyan.people.models import Person
    from jiaoyan.resources.models import ResourceFile, Review

    visitor = AnonymousUser()
    assert list(Resource.objects.visible_to(visitor)) == [shelf["public"]]
    assert set(ResourceFile.objects.visible_to(visitor)) == set(shelf["public"].files.all())
    assert not Resource.objects.visible_to(visitor, "change").exists()
    assert not Review.objects.visible_to(visitor).exists()
    assert not Person.objects.visible_to(visitor).exists()
    assert not can(visitor, "change", shelf["public"])
