"""Links users give (venue rooms, material links) are http(s) only, on every write path,
and a stored link that is not is never put into an ``href`` or a redirect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template
from django.utils import timezone

from jiaoyan.activities import services
from jiaoyan.activities.models import Material, Venue
from jiaoyan.core.errors import ServiceError
from tests.activities.conftest import main_venue, make_activity


@pytest.fixture
def published(world):
    a = make_activity(world)
    services.publish_activity(actor=world.users["district_researcher"], activity=a)
    a.refresh_from_db()
    return a


HOSTILE = [
    "javascript:alert(document.cookie)",
    " JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/phish",
]

# Every URLField of ours, and the test below that covers its write paths: a new one fails
# here until its paths refuse hostile schemes too.
COVERED = {
    ("activities", "Venue", "online_url"): "test_venue_links_refuse_hostile_schemes",
    ("activities", "Material", "url"): "test_material_links_refuse_hostile_schemes",
    ("training", "Session", "link"): "test_training_session_links_refuse_hostile_schemes",
}


def test_every_link_field_is_covered():
    found = {
        (m._meta.app_label, m.__name__, f.name)
        for config in apps.get_app_configs()
        if config.name.startswith("jiaoyan.")
        for m in config.get_models()
        for f in m._meta.fields
        if isinstance(f, models.URLField)
    }
    assert found == set(COVERED)


@pytest.mark.parametrize("link", HOSTILE)
def test_venue_links_refuse_hostile_schemes(world, api_for, link):
    researcher = api_for(world.users["district_researcher"])
    start = (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    body = {
        "org_unit": world.units["linwei_institute"].pk,
        "title": "链接检查",
        "kind": "lecture",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "mode": "online",
        "subject": "数学",
        "stage": "junior",
        "hours": "2",
        "main_venue": {"name": "线上", "online_url": link},
    }
    resp = researcher.post("/api/v1/activities", body, content_type="application/json")
    assert resp.status_code == 400, resp.content
    assert "http" in resp.content.decode()

    body["main_venue"]["online_url"] = "https://meeting.example.cn/j/123"
    created = researcher.post("/api/v1/activities", body, content_type="application/json")
    assert created.status_code == 201, created.content
    aid = created.json()["id"]
    resp = researcher.post(
        f"/api/v1/activities/{aid}/venues",
        {"name": "分会场", "online_url": link},
        content_type="application/json",
    )
    assert resp.status_code == 400
    venue = Venue.objects.get(activity_id=aid, is_main=True)
    resp = researcher.patch(
        f"/api/v1/venues/{venue.pk}",
        {"online_url": link, "version": venue.version},
        content_type="application/json",
    )
    assert resp.status_code == 400
    venue.refresh_from_db()
    assert venue.online_url == "https://meeting.example.cn/j/123"
    assert Venue.objects.filter(activity_id=aid).count() == 1


@pytest.mark.parametrize("link", HOSTILE)
def test_material_links_refuse_hostile_schemes(world, published, client_for, link):
    researcher = world.users["district_researcher"]
    with pytest.raises(ServiceError) as err:
        services.add_material(
            actor=researcher,
            activity=published,
            phase="before",
            kind="other",
            title="参考",
            url=link,
        )
    assert err.value.field == "url"
    if link.startswith("//"):
        return  # the form reads a scheme-less link as https://…, an ordinary web link
    page = client_for(researcher).post(
        f"/activities/{published.pk}/materials/new/",
        {"phase": "before", "kind": "other", "title": "参考", "url": link},
    )
    assert page.status_code == 200  # the form again, with its error
    assert not Material.objects.filter(activity=published).exists()


def test_a_stored_hostile_link_is_never_followed(world, published, client_for):
    """A row written before the rule: no href, and the download does not redirect to it."""
    venue = main_venue(published)
    Venue.objects.filter(pk=venue.pk).update(online_url="javascript:alert(1)")
    m = Material.objects.create(
        activity=published,
        phase="before",
        kind="other",
        title="旧链接",
        url="javascript:alert(2)",
        uploaded_by=world.users["district_researcher"],
    )
    client = client_for(world.users["district_researcher"])
    page = client.get(published.get_absolute_url()).content.decode()
    assert "javascript:" not in page
    assert client.get(f"/activities/materials/{m.pk}/").status_code == 404
    Material.objects.filter(pk=m.pk).update(url="https://example.cn/a")
    resp = client.get(f"/activities/materials/{m.pk}/")
    assert resp.status_code == 302 and resp["Location"] == "https://example.cn/a"


def test_safe_href_filter():
    t = Template("{{ v|safe_href }}")
    assert t.render(Context({"v": "https://a.cn/x?y=1"})) == "https://a.cn/x?y=1"
    for bad in [*HOSTILE, "", None, "mailto:a@b.cn"]:
        assert t.render(Context({"v": bad})) == ""


@pytest.mark.parametrize("link", HOSTILE)
def test_training_session_links_refuse_hostile_schemes(world, client_for, link):
    """A training session's online link: the service (pages and API) and the page."""
    from jiaoyan.training import services as training
    from jiaoyan.training.models import Session
    from tests.training.conftest import DAY1, make_programme

    researcher = world.users["district_researcher"]
    p = make_programme(world, open_it=False, sessions=())
    with pytest.raises(ServiceError) as err:
        training.add_session(
            actor=researcher,
            programme=p,
            title="线上讲座",
            starts_at=DAY1,
            ends_at=DAY1 + dt.timedelta(hours=2),
            hours=2,
            link=link,
        )
    assert err.value.field == "link"
    resp = client_for(researcher).post(
        f"/api/v1/programmes/{p.pk}/sessions",
        {
            "title": "线上讲座",
            "starts_at": DAY1.isoformat(),
            "ends_at": (DAY1 + dt.timedelta(hours=2)).isoformat(),
            "hours": 2,
            "link": link,
        },
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert not Session.objects.filter(programme=p).exists()
    s = training.add_session(
        actor=researcher,
        programme=p,
        title="线上讲座",
        starts_at=DAY1,
        ends_at=DAY1 + dt.timedelta(hours=2),
        hours=2,
        link="https://meeting.example.cn/j/1",
    )
    client = client_for(researcher)
    page = client.get(p.get_absolute_url()).content.decode()
    assert 'href="https://meeting.example.cn/j/1"' in page  # the page shows a session's link
    Session.objects.filter(pk=s.pk).update(link=link)
    page = client.get(p.get_absolute_url()).content.decode()
    assert "javascript:" not in page.lower() and "vbscript:" not in page.lower()
    assert link.strip().lower() not in page.lower()  # a stored hostile link: no href


@pytest.mark.parametrize("link", HOSTILE)
def test_resource_video_links_refuse_hostile_schemes(world, api_for, client_for, link):
    """A resource's external video link: created and patched through the API, edited on
    the page — refused on its field, nothing stored."""
    from jiaoyan.resources.models import Resource
    from tests.resources.conftest import draft

    unit = world.schools["school_a"].org_unit.pk
    api = api_for(world.users["teacher"])
    made = api.post(
        "/api/v1/resources",
        {"org_unit": unit, "kind": "micro_lesson", "title": "微课", "video_link": link},
        content_type="application/json",
    )
    assert made.status_code == 400, made.content
    r = draft(world)
    patched = api.patch(
        f"/api/v1/resources/{r.pk}", {"video_link": link}, content_type="application/json"
    )
    assert patched.status_code == 400
    page = client_for(world.users["teacher"]).post(
        f"/resources/{r.pk}/edit/",
        {"kind": "lesson_design", "title": r.title, "visibility": "internal", "video_link": link},
    )
    assert page.status_code == 200  # the form again, with the error
    assert Resource.objects.get(pk=r.pk).video_link == ""
    assert not Resource.objects.filter(title="微课").exists()
