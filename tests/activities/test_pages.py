"""Pages: they render for the people who may see them, in a fixed number of queries
whatever the number of rows (checked with more rows than a page holds)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.activities import codes, services
from jiaoyan.activities.models import Activity, Participation

from .conftest import main_venue, make_activity, wrong_code


@pytest.fixture
def many(world, published):
    """40 more activities of 临渭区 this month, each with the teacher invited."""
    researcher = world.users["district_researcher"]
    base = timezone.localtime().replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    for i in range(40):
        a = make_activity(world, title=f"活动{i:02d}", start_in=dt.timedelta(0))
        start = base + dt.timedelta(days=i % 27, hours=i % 3)
        Activity.objects.filter(pk=a.pk).update(
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            start_month=start.year * 100 + start.month,
            status="published",
        )
        services.invite(actor=researcher, activity=a, person_ids=[world.people["teacher"].pk])
    return published


PAGES = [
    "/activities/",
    "/activities/?kind=lesson_prep&sort=-participants",
    "/activities/?mine=1",
    "/activities/calendar/",
    "/activities/calendar/?view=week",
    "/activities/calendar/?view=list",
    "/activities/calendar/?mine=1",
    "/activities/stats/",
    "/activities/plans/",
    "/",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("who", ["district_researcher", "teacher", "city_admin"])
def test_lists_and_calendar_in_bounded_queries(
    world, many, client_for, django_assert_max_num_queries, path, who
):
    client = client_for(world.users[who])
    if path == "/":
        # As tests/core/test_home.py measures the home: content types are cached and the
        # panels' figures kept after the first view.
        client.get(path)
    with django_assert_max_num_queries(22):
        resp = client.get(path)
    assert resp.status_code == 200


def test_detail_attendance_and_projector_in_bounded_queries(
    world, many, client_for, django_assert_max_num_queries
):
    researcher = client_for(world.users["district_researcher"])
    a = many
    for path in (
        f"/activities/{a.pk}/",
        f"/activities/{a.pk}/attendance/",
        f"/activities/venues/{main_venue(a).pk}/projector/",
        f"/activities/{a.pk}/minutes/",
    ):
        with django_assert_max_num_queries(30):
            resp = researcher.get(path)
        assert resp.status_code == 200, path
    teacher = client_for(world.users["teacher"])
    for path in (
        f"/activities/{a.pk}/",
        f"/activities/{a.pk}/checkin/",
        f"/activities/{a.pk}/feedback/",
    ):
        with django_assert_max_num_queries(20):
            assert teacher.get(path).status_code == 200


def test_teacher_sees_invitation_on_home_page_and_calendar(world, published, client_for):
    teacher = client_for(world.users["teacher"])
    home = teacher.get("/").content.decode()
    assert published.title in home and 'data-testid="home-activities"' in home
    month = published.starts_at.astimezone().strftime("%Y-%m-%d")
    cal = teacher.get(f"/activities/calendar/?view=list&date={month}&mine=1").content.decode()
    assert published.title in cal
    # Organiser-only pages are refused to the invited teacher.
    assert teacher.get(f"/activities/{published.pk}/attendance/").status_code == 403
    assert (
        teacher.get(f"/activities/venues/{main_venue(published).pk}/projector/").status_code == 403
    )


def test_check_in_page_flow(world, published, client_for):
    start = timezone.now() - dt.timedelta(minutes=2)
    Activity.objects.filter(pk=published.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    teacher = client_for(world.users["teacher"])
    venue = published.venues.get(is_main=False)
    if True:
        code, _ = codes.current_code(venue)
        resp = teacher.post(
            f"/activities/{published.pk}/checkin/",
            {"code": wrong_code(published, code), "venue": venue.pk},
        )
        assert "签到码错误" in resp.content.decode()
        resp = teacher.post(
            f"/activities/{published.pk}/checkin/", {"code": code, "venue": venue.pk, "via": "qr"}
        )
        assert 'data-testid="checkin-done"' in resp.content.decode()
    p = Participation.objects.get(activity=published, person=world.people["teacher"])
    assert p.attended and p.method == "qr"


def test_attendance_export_and_list_export(world, published, client_for):
    researcher = client_for(world.users["district_researcher"])
    resp = researcher.get(f"/activities/{published.pk}/attendance/?export=xlsx")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxml")
    resp = researcher.get("/activities/?export=xlsx")
    assert resp.status_code == 200
    resp = researcher.get("/activities/stats/?export=xlsx")
    assert resp.status_code == 200
    resp = researcher.get("/activities/plans/?export=xlsx")
    assert resp.status_code == 200


def test_forms_render_and_bad_input_is_a_message_not_a_500(world, published, client_for):
    researcher = client_for(world.users["district_researcher"])
    for path in (
        "/activities/new/",
        f"/activities/{published.pk}/edit/",
        f"/activities/{published.pk}/invite/",
        f"/activities/{published.pk}/venues/new/",
        f"/activities/{published.pk}/materials/new/",
        "/activities/plans/new/",
    ):
        assert researcher.get(path).status_code == 200, path
    resp = researcher.post(
        "/activities/new/",
        {
            "title": "",
            "kind": "lecture",
            "starts_at": "2025-03-01T10:00",
            "ends_at": "2025-03-01T09:00",
        },
    )
    assert resp.status_code == 200 and "invalid-feedback" in resp.content.decode()
    resp = researcher.post(f"/activities/{published.pk}/register/", {"venue": "abc"})
    assert resp.status_code == 302
    resp = researcher.get("/activities/calendar/?date=2025-13-45&view=nonsense")
    assert resp.status_code == 200
    resp = researcher.get("/activities/?month=20xx-99")
    assert resp.status_code == 200
    resp = researcher.post(
        f"/activities/{published.pk}/invite/",
        {"staff_numbers": "NOPE1 NOPE2", "roles": ["teacher"]},
    )
    assert "NOPE1" in resp.content.decode()


def test_invite_page_previews_then_invites(world, activity, client_for):
    researcher = client_for(world.users["district_researcher"])
    from jiaoyan.orgs.models import Subject

    math = Subject.objects.get(name="数学").pk
    data = {"within": world.units["linwei"].pk, "roles": ["teacher"], "subject": math}
    resp = researcher.post(f"/activities/{activity.pk}/invite/", data)
    assert 'data-testid="invite-preview"' in resp.content.decode()
    assert not activity.participations.exists()
    resp = researcher.post(f"/activities/{activity.pk}/invite/", {**data, "confirm": "1"})
    assert resp.status_code == 302
    assert list(activity.participations.values_list("person__name", flat=True)) == ["张老师"]
