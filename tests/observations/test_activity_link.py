"""Observations and 同课异构 rounds linked to the research activity they were made in
(issue #4 "ties into activities"): who may link to what, bad input, the panel on the
activity page (only what the viewer may see, a fixed number of queries), the observation
page and list, the forms, the API, the demo and the data migration."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiaoyan.activities import services as activities
from jiaoyan.activities.models import Activity
from jiaoyan.core.audit import history
from jiaoyan.core.errors import ServiceError
from jiaoyan.observations import services
from jiaoyan.observations.models import ComparisonRound, Observation
from jiaoyan.orgs.models import Stage, Subject

from .conftest import DAY, observe, scores_at

TITLE = "临渭区初中数学课堂教学研讨（听评课）"
K = Activity.Kind


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone())


def make_activity(
    world,
    *,
    kind=K.OBSERVATION,
    title=TITLE,
    day=DAY,
    subject="数学",
    stage="junior",
    invite=(),
    publish=True,
):
    """An activity of 临渭区's institute on ``day`` 9:00–12:00, organised by its
    researcher; ``invite``: keys of people of the world invited to it."""
    actor = world.users["district_researcher"]
    a = activities.create_activity(
        actor=actor,
        org_unit=world.units["linwei_institute"],
        title=title,
        kind=kind,
        starts_at=at(day),
        ends_at=at(day, 12),
        subject=Subject.objects.get(name=subject) if subject else None,
        stage=Stage.objects.get(code=stage) if stage else None,
        venue_name="区教师发展中心报告厅",
        venue_address="临渭区人民路1号",
    )
    if invite:
        activities.invite(actor=actor, activity=a, person_ids=[world.people[k].pk for k in invite])
    if publish:
        activities.publish_activity(actor=actor, activity=a)
    a.refresh_from_db()
    return a


@pytest.fixture
def lesson(world):
    """The 听评课 activity of 临渭区 on DAY; the principal and the teacher of
    临渭区第一初级中学 are invited (so they see it)."""
    return make_activity(world, invite=("principal", "teacher"))


def in_activity(world, rubric, activity, *, observer="district_researcher", **kw):
    kw.setdefault("kind", Observation.Kind.ACTIVITY)
    return observe(world, rubric, observer=observer, activity=activity, **kw)


# --- services ----------------------------------------------------------------------------


def test_observation_made_in_an_activity(world, rubric, lesson):
    obs = in_activity(world, rubric, lesson)
    assert obs.activity == lesson and obs.activity_title == TITLE
    created = list(history(obs))[-1]
    assert created.changes["activity"] == [None, TITLE]
    assert list(lesson.observations.all()) == [obs]
    # A later rename of the activity leaves the recorded title (a snapshot).
    Activity.objects.filter(pk=lesson.pk).update(title="改名后的活动")
    obs.refresh_from_db()
    assert obs.activity_title == TITLE


def test_bad_links_are_refused_and_nothing_is_saved(world, rubric, lesson):
    lecture = make_activity(world, kind=K.LECTURE, title="新课标专题讲座")
    other_day = make_activity(world, title="另一天的听评课", day=DAY - dt.timedelta(days=3))
    cancelled = make_activity(world, title="取消的听评课")
    activities.cancel_activity(
        actor=world.users["district_researcher"], activity=cancelled, reason="天气原因"
    )
    cancelled.refresh_from_db()
    hidden = make_activity(world, title="没有邀请校长的听评课")
    cases = [
        ({"activity": lesson, "kind": Observation.Kind.DROP_IN}, "district_researcher", "只有"),
        ({"activity": lecture}, "district_researcher", "不在其中听课"),
        ({"activity": other_day}, "district_researcher", "不是"),
        ({"activity": cancelled}, "district_researcher", "已取消"),
        # The principal sees the activity they are invited to, not the other one.
        ({"activity": hidden}, "principal", "未知的教研活动"),
    ]
    for kw, observer, message in cases:
        kw.setdefault("kind", Observation.Kind.ACTIVITY)
        with pytest.raises(ServiceError) as e:
            observe(world, rubric, observer=observer, **kw)
        assert e.value.field == "activity", kw
        assert message in e.value.text, (kw, e.value.text)
    assert not Observation.objects.exists()
    # The invited principal may link to the activity they see.
    assert in_activity(world, rubric, lesson, observer="principal").activity == lesson


def test_attach_and_detach(world, rubric, lesson):
    obs = observe(world, rubric, observer="principal")  # a submitted drop-in
    researcher = world.users["district_researcher"]
    services.attach_to_activity(actor=researcher, observation=obs, activity=lesson)
    obs.refresh_from_db()
    assert obs.activity == lesson and obs.activity_title == TITLE
    assert obs.kind == Observation.Kind.ACTIVITY
    assert obs.total == Decimal("80.00")  # scores untouched
    assert history(obs)[0].changes == {
        "activity": [None, TITLE],
        "kind": ["drop_in", "activity"],
    }
    # The observed teacher (invited to the activity, so seeing it) may not link.
    with pytest.raises(PermissionDenied):
        services.attach_to_activity(actor=world.users["teacher"], observation=obs, activity=lesson)
    # The observer may link, but only to an activity they see.
    hidden = make_activity(world, title="没有邀请校长的听评课")
    with pytest.raises(ServiceError) as e:
        services.attach_to_activity(
            actor=world.users["principal"], observation=obs, activity=hidden
        )
    assert e.value.text == "未知的教研活动。"
    # The outsider sees neither.
    with pytest.raises(PermissionDenied):
        services.attach_to_activity(actor=world.users["outsider"], observation=obs, activity=lesson)
    obs.refresh_from_db()
    assert obs.activity == lesson
    services.detach_from_activity(actor=researcher, observation=obs)
    obs.refresh_from_db()
    assert obs.activity is None and obs.activity_title == ""
    assert obs.kind == Observation.Kind.ACTIVITY
    assert history(obs)[0].changes == {"activity": [TITLE, None]}
    # A teaching inspection stays one; a drop-in linked to an inspection becomes one.
    inspection = make_activity(world, kind=K.INSPECTION, title="临渭区教学视导", subject=None)
    drop_in = observe(world, rubric, observer="principal", topic="勾股定理")
    services.attach_to_activity(actor=researcher, observation=drop_in, activity=inspection)
    drop_in.refresh_from_db()
    assert drop_in.kind == Observation.Kind.INSPECTION and drop_in.activity == inspection


def test_round_made_for_a_same_lesson_activity(world, rubric):
    researcher = world.users["district_researcher"]
    same = make_activity(world, kind=K.SAME_LESSON, title="临渭区初中数学同课异构")
    math, junior = Subject.objects.get(name="数学"), Stage.objects.get(code="junior")

    def new_round(**kw):
        args = {
            "actor": researcher,
            "org_unit": world.units["linwei_institute"],
            "topic": "一元一次方程",
            "subject": math,
            "stage": junior,
            "date": DAY,
            "activity": same,
        }
        args.update(kw)
        return services.create_round(**args)

    for kw, field in (
        ({"activity": make_activity(world, title="普通听评课")}, "activity"),
        ({"subject": Subject.objects.get(name="语文")}, "subject"),
        ({"stage": Stage.objects.get(code="primary")}, "stage"),
        ({"date": DAY + dt.timedelta(days=1)}, "activity"),
    ):
        with pytest.raises(ServiceError) as e:
            new_round(**kw)
        assert e.value.field == field, kw
    assert not ComparisonRound.objects.exists()
    rnd = new_round()
    assert rnd.activity == same and rnd.activity_title == "临渭区初中数学同课异构"
    assert history(rnd)[0].changes["activity"] == [None, "临渭区初中数学同课异构"]
    # The round's observations belong to its activity — also the principal's, who is
    # not invited to the activity but sees the round (granted to the school).
    sl = Observation.Kind.SAME_LESSON
    first = observe(world, rubric, observer="district_researcher", kind=sl, round=rnd)
    second = observe(world, rubric, observer="principal", kind=sl, round=rnd)
    assert first.activity == same and second.activity == same
    assert second.activity_title == "临渭区初中数学同课异构"
    with pytest.raises(ServiceError):
        services.detach_from_activity(actor=researcher, observation=first)
    with pytest.raises(ServiceError):
        services.attach_to_activity(
            actor=researcher, observation=first, activity=make_activity(world, title="别的")
        )


def test_editing_a_draft_keeps_or_changes_the_link(world, rubric, lesson):
    obs = in_activity(world, rubric, lesson, submit=False)
    researcher = world.users["district_researcher"]
    # Another date outside the activity: refused while it is linked.
    with pytest.raises(ServiceError):
        services.update_observation(
            actor=researcher, observation=obs, data={"date": DAY - dt.timedelta(days=1)}
        )
    # Unlinked (and then a free-text activity not on the platform).
    services.update_observation(
        actor=researcher,
        observation=obs,
        data={"activity": None, "activity_title": "省级线上教研", "date": DAY},
    )
    obs.refresh_from_db()
    assert obs.activity is None and obs.activity_title == "省级线上教研"
    # Changing the kind to a drop-in drops a free-text activity, as before.
    services.update_observation(
        actor=researcher, observation=obs, data={"kind": Observation.Kind.DROP_IN}
    )
    obs.refresh_from_db()
    assert obs.activity_title == ""


# --- the panel on the activity page ------------------------------------------------------


@pytest.fixture
def linked(world, rubric, lesson):
    """Observations of the activity: a submitted one and a draft of the researcher at
    school A, one at school B (语文, primary), and the principal's at school A."""
    return {
        "a": in_activity(world, rubric, lesson, topic="一元一次方程"),
        "draft": in_activity(world, rubric, lesson, topic="整式的加减", submit=False),
        "b": in_activity(
            world,
            rubric,
            lesson,
            teacher="teacher_b",
            subject="语文",
            stage="primary",
            topic="古诗三首",
        ),
        "p": in_activity(world, rubric, lesson, observer="principal", topic="勾股定理"),
    }


@pytest.mark.parametrize(
    ("viewer", "seen"),
    [
        ("district_researcher", {"一元一次方程", "整式的加减", "古诗三首", "勾股定理"}),
        ("principal", {"一元一次方程", "勾股定理"}),
        ("teacher", {"一元一次方程", "勾股定理"}),
    ],
)
def test_panel_shows_only_what_the_viewer_may_see(world, lesson, linked, client_for, viewer, seen):
    page = client_for(world.users[viewer]).get(f"/activities/{lesson.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="activity-observations"' in html
    assert html.count('data-testid="activity-observation"') == len(seen)
    for topic in {"一元一次方程", "整式的加减", "古诗三首", "勾股定理"}:
        assert (topic in html) == (topic in seen), (viewer, topic)
    assert f"/observations/?activity={lesson.pk}" in html
    # Who may record sees the button; a teacher too (peer observation).
    assert 'data-testid="activity-observe"' in html


def test_panel_hidden_from_those_who_do_not_see_the_activity(world, lesson, linked, client_for):
    for name in ("counsellor", "outsider"):
        assert client_for(world.users[name]).get(f"/activities/{lesson.pk}/").status_code == 404


def test_panel_not_shown_for_other_kinds_without_observations(world, client_for):
    lecture = make_activity(world, kind=K.LECTURE, title="新课标专题讲座")
    html = client_for(world.users["district_researcher"]).get(f"/activities/{lecture.pk}/")
    assert 'data-testid="activity-observations"' not in html.content.decode()


def test_panel_lists_the_round_with_its_comparison(world, rubric, client_for):
    same = make_activity(world, kind=K.SAME_LESSON, title="临渭区初中数学同课异构")
    rnd = services.create_round(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        topic="一元一次方程",
        subject=Subject.objects.get(name="数学"),
        stage=Stage.objects.get(code="junior"),
        date=DAY,
        activity=same,
    )
    observe(
        world, rubric, observer="district_researcher", kind=Observation.Kind.SAME_LESSON, round=rnd
    )
    html = client_for(world.users["district_researcher"]).get(f"/activities/{same.pk}/")
    html = html.content.decode()
    assert 'data-testid="activity-round"' in html and f"/observations/rounds/{rnd.pk}/" in html
    assert "1 位教师对比" in html
    assert f"/observations/rounds/new/?activity={same.pk}" in html
    # The principal (not invited) sees neither the activity nor, here, the round.
    assert client_for(world.users["principal"]).get(f"/activities/{same.pk}/").status_code == 404
    # The round's page links back to the activity for who sees it.
    page = client_for(world.users["district_researcher"]).get(rnd.get_absolute_url())
    assert f"/activities/{same.pk}/" in page.content.decode()
    page = client_for(world.users["principal"]).get(rnd.get_absolute_url())
    assert page.status_code == 200 and f"/activities/{same.pk}/" not in page.content.decode()


def test_panel_query_count_does_not_grow(world, rubric, lesson, client_for):
    """The activity page issues the same number of queries with 3 or 40 observations in
    the panel (past the 20 shown, a count is read) — and a fixed maximum."""
    client = client_for(world.users["district_researcher"])
    url = f"/activities/{lesson.pk}/"

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        in_activity(world, rubric, lesson)
    few = queries()
    for _ in range(25):
        in_activity(world, rubric, lesson)
    many = queries()
    for _ in range(12):
        in_activity(world, rubric, lesson, observer="principal")
    more = queries()
    assert many == more <= few + 1
    assert more <= 18, more  # the page with its panel (16 with a few rows)
    html = client.get(url).content.decode()
    assert html.count('data-testid="activity-observation"') == 20
    assert "您可查看的听课 40 节" in html


# --- the observation page and list -------------------------------------------------------


def test_observation_page_shows_the_activity(world, rubric, client_for):
    inspection = make_activity(
        world, kind=K.INSPECTION, title="临渭区教学视导", subject=None, invite=("teacher",)
    )
    obs = in_activity(world, rubric, inspection, kind=Observation.Kind.INSPECTION)
    url = obs.get_absolute_url()
    link = f'href="/activities/{inspection.pk}/"'
    # The researcher and the invited teacher see a link; the principal (not invited)
    # sees the title only.
    for name, linked_ in (("district_researcher", True), ("teacher", True), ("principal", False)):
        html = client_for(world.users[name]).get(url).content.decode()
        assert 'data-testid="obs-activity"' in html and "临渭区教学视导" in html, name
        assert (link in html) == linked_, name
    # Who may link (the observer, researchers and admins over the school) gets the form.
    assert (
        'data-testid="link-activity"'
        in client_for(world.users["district_researcher"]).get(url).content.decode()
    )
    for name in ("principal", "teacher"):
        html = client_for(world.users[name]).get(url).content.decode()
        assert 'data-testid="link-activity"' not in html, name


def test_link_and_unlink_on_the_page(world, rubric, lesson, client_for):
    obs = observe(world, rubric, observer="principal")
    url = f"/observations/{obs.pk}/activity/"
    # The teacher sees the activity and the observation but may not link it.
    resp = client_for(world.users["teacher"]).post(url, {"activity": lesson.pk})
    assert resp.status_code == 302
    obs.refresh_from_db()
    assert obs.activity is None
    # An activity the principal does not see: 404, nothing changes.
    hidden = make_activity(world, title="没有邀请校长的听评课")
    assert (
        client_for(world.users["principal"]).post(url, {"activity": hidden.pk}).status_code == 404
    )
    # The outsider does not see the observation.
    assert client_for(world.users["outsider"]).post(url, {"activity": lesson.pk}).status_code == 404
    obs.refresh_from_db()
    assert obs.activity is None
    researcher = client_for(world.users["district_researcher"])
    html = researcher.get(obs.get_absolute_url()).content.decode()
    assert f'<option value="{lesson.pk}">' in html
    researcher.post(url, {"activity": lesson.pk})
    obs.refresh_from_db()
    assert obs.activity == lesson
    researcher.post(url, {})
    obs.refresh_from_db()
    assert obs.activity is None


def test_list_filtered_by_activity(world, rubric, lesson, client_for):
    inside = in_activity(world, rubric, lesson, topic="一元一次方程")
    observe(world, rubric, observer="principal", topic="勾股定理")
    client = client_for(world.users["principal"])
    html = client.get(f"/observations/?activity={lesson.pk}").content.decode()
    assert 'data-testid="activity-filter"' in html and TITLE in html
    assert html.count('data-testid="observation-row"') == 1
    assert inside.get_absolute_url() in html
    export = client.get(f"/observations/?activity={lesson.pk}&export=xlsx")
    assert export.status_code == 200
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "日期")
    assert header[-1] == "教研活动"
    assert rows[-1][-1] == TITLE and rows[-1][8] == "一元一次方程"
    # An activity one does not see filters nothing and names nothing.
    out = client_for(world.users["outsider"]).get(f"/observations/?activity={lesson.pk}")
    assert out.status_code == 200 and TITLE not in out.content.decode()


# --- forms -------------------------------------------------------------------------------


def test_record_from_the_activity_page(world, rubric, lesson, client_for):
    client = client_for(world.users["district_researcher"])
    school = world.schools["school_a"].org_unit
    pick = client.get(f"/observations/new/?activity={lesson.pk}").content.decode()
    assert f'name="activity" value="{lesson.pk}"' in pick  # kept while choosing the school
    form = client.get(f"/observations/new/?activity={lesson.pk}&school={school.pk}")
    html = form.content.decode()
    assert f'<option value="{lesson.pk}" selected>' in html
    assert '<option value="activity" selected>' in html
    resp = client.post(
        f"/observations/new/?activity={lesson.pk}",
        {
            "school": school.pk,
            "teacher": world.people["teacher"].pk,
            "kind": "activity",
            "subject": Subject.objects.get(name="数学").pk,
            "stage": Stage.objects.get(code="junior").pk,
            "topic": "一元一次方程",
            "date": DAY.isoformat(),
            "rubric": rubric.pk,
            "activity": lesson.pk,
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    obs = Observation.objects.get()
    assert obs.activity == lesson
    # The draft's form offers the activity and keeps it.
    edit = client.get(f"/observations/{obs.pk}/edit/").content.decode()
    assert f'<option value="{lesson.pk}" selected>' in edit


def test_round_from_the_activity_page(world, client_for):
    same = make_activity(world, kind=K.SAME_LESSON, title="临渭区初中数学同课异构")
    client = client_for(world.users["district_researcher"])
    html = client.get(f"/observations/rounds/new/?activity={same.pk}").content.decode()
    assert 'value="临渭区初中数学同课异构"' in html  # topic prefilled
    assert f'value="{DAY.isoformat()}"' in html
    assert f'<option value="{same.pk}" selected>' in html
    assert f'<option value="{world.units["linwei_institute"].pk}" selected>' in html
    resp = client.post(
        f"/observations/rounds/new/?activity={same.pk}",
        {
            "org_unit": world.units["linwei_institute"].pk,
            "topic": "一元一次方程",
            "subject": Subject.objects.get(name="数学").pk,
            "stage": Stage.objects.get(code="junior").pk,
            "date": DAY.isoformat(),
            "activity": same.pk,
        },
    )
    assert resp.status_code == 302
    assert ComparisonRound.objects.get().activity == same
    # An activity the user does not see: 404.
    outsider = client_for(world.users["outsider"])
    assert outsider.get(f"/observations/rounds/new/?activity={same.pk}").status_code == 404


# --- API ---------------------------------------------------------------------------------


def _payload(world, rubric, **over):
    data = {
        "teacher": world.people["teacher"].pk,
        "rubric": rubric.pk,
        "kind": "activity",
        "subject": "数学",
        "stage": "junior",
        "topic": "一元一次方程",
        "date": DAY.isoformat(),
        "scores": {str(k): v for k, v in scores_at(rubric, 0.8).items()},
        "strengths": "目标清晰",
        "submit": True,
    }
    data.update(over)
    return data


def test_api_links(world, rubric, lesson, api_for):
    researcher = api_for(world.users["district_researcher"])
    resp = researcher.post(
        "/api/v1/observations",
        _payload(world, rubric, activity=lesson.pk),
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["activity"] == lesson.pk and data["activity_title"] == TITLE
    oid = data["id"]
    observe(world, rubric, observer="principal", topic="勾股定理")
    listed = researcher.get(f"/api/v1/observations?activity={lesson.pk}").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == oid
    # An activity the principal does not see: an unresolved reference (422), nothing created.
    hidden = make_activity(world, title="没有邀请校长的听评课")
    before = Observation.objects.count()
    resp = api_for(world.users["principal"]).post(
        "/api/v1/observations",
        _payload(world, rubric, activity=hidden.pk),
        content_type="application/json",
    )
    assert resp.status_code == 422 and Observation.objects.count() == before
    assert resp.json()["field"] == "activity"
    # Wrong kind: a clear message.
    resp = researcher.post(
        "/api/v1/observations",
        _payload(world, rubric, activity=lesson.pk, kind="drop_in"),
        content_type="application/json",
    )
    assert resp.status_code == 400 and "教研活动" in resp.json()["detail"]
    # Unlink and link again through the link endpoint.
    link = f"/api/v1/observations/{oid}/activity"
    resp = researcher.post(link, {"activity": None}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["activity"] is None
    teacher = api_for(world.users["teacher"])
    resp = teacher.post(link, {"activity": lesson.pk}, content_type="application/json")
    assert resp.status_code == 403
    resp = researcher.post(link, {"activity": lesson.pk}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["activity"] == lesson.pk


def test_api_outsider_cannot_link(world, rubric, lesson, api_for):
    outsider = api_for(world.users["outsider"])
    own = services.create_observation(
        actor=world.users["outsider"],
        teacher=world.people["teacher_c"],
        rubric=rubric,
        kind=Observation.Kind.INSPECTION,
        subject=Subject.objects.get(name="数学"),
        stage=Stage.objects.get(code="primary"),
        topic="分数的初步认识",
        date=DAY,
        scores=scores_at(rubric, 0.8),
        strengths="课堂结构清晰。",
        submit=True,
    )
    theirs = observe(world, rubric, observer="principal")
    for obs in (own, theirs):
        resp = outsider.post(
            f"/api/v1/observations/{obs.pk}/activity",
            {"activity": lesson.pk},
            content_type="application/json",
        )
        # Their own observation: the activity is not theirs to name (422); the other's
        # observation is not there at all (404).
        assert resp.status_code == (422 if obs is own else 404), obs
    assert not Observation.objects.filter(activity__isnull=False).exists()


def test_api_rounds_from_an_activity(world, api_for):
    same = make_activity(world, kind=K.SAME_LESSON, title="临渭区初中数学同课异构")
    api = api_for(world.users["district_researcher"])
    resp = api.post(
        "/api/v1/observation-rounds",
        {"activity": same.pk, "topic": "一元一次方程"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["activity"] == same.pk and data["org_unit"] == world.units["linwei_institute"].pk
    assert (data["subject"], data["stage"], data["date"]) == ("数学", "junior", DAY.isoformat())
    listed = api.get(f"/api/v1/observation-rounds?activity={same.pk}").json()
    assert [r["id"] for r in listed["items"]] == [data["id"]]
    # Without an activity the fields are needed, as before.
    resp = api.post("/api/v1/observation-rounds", {"topic": "无"}, content_type="application/json")
    assert resp.status_code == 400
    resp = api_for(world.users["outsider"]).post(
        "/api/v1/observation-rounds", {"activity": same.pk}, content_type="application/json"
    )
    assert resp.status_code == 422
    assert ComparisonRound.objects.count() == 1


# --- the data migration and the demo ------------------------------------------------------


def test_data_migration_links_unambiguous_titles(world, rubric, lesson):
    make_activity(world, title="重名的活动")
    make_activity(world, title="重名的活动")
    unique = observe(world, rubric, observer="principal", kind=Observation.Kind.ACTIVITY)
    twice = observe(world, rubric, observer="principal", kind=Observation.Kind.ACTIVITY)
    unknown = observe(world, rubric, observer="principal", kind=Observation.Kind.ACTIVITY)
    for obs, title in ((unique, TITLE), (twice, "重名的活动"), (unknown, "省级线上教研")):
        Observation.objects.filter(pk=obs.pk).update(activity_title=title)
    migration = importlib.import_module(
        "jiaoyan.observations.migrations.0004_link_rows_by_activity_title"
    )
    migration.link(apps, None)
    got = dict(Observation.objects.values_list("pk", "activity_id"))
    assert got == {unique.pk: lesson.pk, twice.pk: None, unknown.pk: None}


def test_demo_links_rounds_and_observations(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())
    rounds = ComparisonRound.objects.filter(activity__isnull=False).select_related("activity")
    assert rounds.count() >= 10
    for r in rounds:
        a = r.activity
        assert a.kind == K.SAME_LESSON and a.status == Activity.Status.FINISHED
        assert (a.subject_id, a.stage_id, a.org_unit_id) == (
            r.subject_id,
            r.stage_id,
            r.org_unit_id,
        )
        assert timezone.localtime(a.starts_at).date() == r.date
        assert r.activity_title == a.title
    assert ComparisonRound.objects.filter(activity__isnull=True).exists()  # not all
    linked = Observation.objects.filter(activity__isnull=False).select_related("activity", "round")
    kinds = set(linked.values_list("kind", flat=True))
    assert kinds == {"activity", "inspection", "same_lesson"}
    for o in linked:
        a = o.activity
        assert a.kind in ("observation", "same_lesson", "inspection", "outreach", "demonstration")
        assert (
            timezone.localtime(a.starts_at).date() <= o.date <= timezone.localtime(a.ends_at).date()
        )
        assert o.round is None or o.round.activity_id == a.pk
        if o.kind == "inspection":
            assert a.kind == "inspection"
    share = (
        linked.filter(kind="activity").count() / Observation.objects.filter(kind="activity").count()
    )
    assert 0.2 < share < 0.9, share
    # The district researcher's activity pages show the observations made in them.
    from django.test import Client

    from jiaoyan.observations.queries import observations_for
    from jiaoyan.people.models import User

    researcher = User.objects.get(username="district_researcher")
    activity_id = (
        observations_for(researcher)
        .filter(activity__isnull=False, activity__org_unit__path__startswith="/")
        .values_list("activity_id", flat=True)
        .first()
    )
    client = Client()
    client.force_login(researcher)
    html = client.get(f"/activities/{activity_id}/").content.decode()
    assert 'data-testid="activity-observation"' in html


def test_pages_with_links_keep_fixed_query_counts(
    world, rubric, lesson, client_for, api_for, django_assert_max_num_queries
):
    """The list filtered by an activity, a linked observation's page (with the link form
    for the researcher), the forms and the API: a fixed number of queries with more rows
    than a page holds."""
    for i in range(27):
        in_activity(world, rubric, lesson, observer="principal" if i % 2 else "district_researcher")
    obs = Observation.objects.filter(activity=lesson).first()
    researcher = client_for(world.users["district_researcher"])
    principal = client_for(world.users["principal"])
    school = world.schools["school_a"].org_unit
    pages = [
        (researcher, f"/observations/?activity={lesson.pk}", 15),
        (principal, f"/observations/?activity={lesson.pk}&page=2", 15),
        (researcher, f"/observations/{obs.pk}/", 18),
        (principal, f"/observations/{obs.pk}/", 17),
        (researcher, f"/observations/new/?activity={lesson.pk}&school={school.pk}", 20),
        (
            api_for(world.users["district_researcher"]),
            f"/api/v1/observations?activity={lesson.pk}",
            8,
        ),
    ]
    for client, url, limit in pages:
        client.get(url)
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url


def test_hostile_activity_parameters(world, rubric, lesson, client_for, api_for):
    obs = observe(world, rubric, observer="principal")
    client = client_for(world.users["district_researcher"])
    assert client.get("/observations/?activity=abc").status_code == 200
    assert client.get("/observations/?activity=99999").status_code == 200
    assert client.get("/observations/new/?activity=abc").status_code == 404
    assert client.get("/observations/rounds/new/?activity=1%27%20OR%201=1").status_code == 404
    assert client.post(f"/observations/{obs.pk}/activity/", {"activity": "x"}).status_code == 404
    api = api_for(world.users["district_researcher"])
    for body in ({"activity": "abc"}, {"activity": 10**12}, {"activity": 10**20}, {}):
        resp = api.post(
            f"/api/v1/observations/{obs.pk}/activity", body, content_type="application/json"
        )
        assert resp.status_code in (400, 404, 422), body
        assert "detail" in resp.json()
    assert api.get("/api/v1/observations?activity=abc").status_code in (400, 422)
    obs.refresh_from_db()
    assert obs.activity is None
