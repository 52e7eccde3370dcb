"""The permission matrix of every page and endpoint of the screening module: anonymous,
teacher, class teacher (of the screened class), principal, district admin without the
permission, counsellor of another school
(with the permission there), counsellor of the school (with the permission) — and what
each read leaves in the audit log."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiaoyan.core.models import AuditLog
from jiaoyan.people.services import assign_homeroom
from jiaoyan.wellbeing import services
from jiaoyan.wellbeing.models import Alert, Participation
from tests.conftest import make_person
from tests.wellbeing.helpers import SEVEN_ROLES, screening_world, window

WHO = list(SEVEN_ROLES)


@pytest.fixture
def setup(world):
    w = screening_world(world)
    a = w.schools["school_a"].org_unit
    # the class teacher of the screened class: sees no more than any teacher of the school
    ct = make_person("T004", "孟老师", a, role="teacher", username="class_teacher")
    w.users["class_teacher"] = ct.user
    assign_homeroom(actor=w.principal, person=ct, grade=7, class_name="1班")
    start, end = window()
    c = services.create_campaign(
        actor=w.counsellor,
        org_unit=a,
        name="七年级筛查",
        scales=["phq9"],
        schools=[a],
        starts_at=start,
        ends_at=end,
    )
    services.open_campaign(actor=w.counsellor, campaign=c)
    p = c.participations.get(student__key="A0701")
    services.enter_paper_answers(
        actor=w.counsellor, participation=p, answers={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    pending = c.participations.get(student__key="A0702")
    return w, c, p, pending, Alert.objects.get(), a


def _client(w, who):
    c = Client()
    if who != "anonymous":
        c.force_login(w.users[who])
    return c


LOGIN = "login"  # a redirect to the log-in page

# (url template, expected per WHO)
PAGES = [
    ("/wellbeing/", [LOGIN, 200, 200, 200, 200, 200, 200]),
    ("/wellbeing/campaigns/new/", [LOGIN, 403, 403, 403, 200, 200, 200]),
    ("/wellbeing/campaigns/{c}/", [LOGIN, 200, 200, 200, 200, 404, 200]),
    (
        "/wellbeing/campaigns/{c}/schools/{a}/codes/?reason=发放",
        [LOGIN, 403, 403, 403, 403, 404, 200],
    ),
    ("/wellbeing/students/{s}/?reason=随访", [LOGIN, 404, 404, 404, 404, 404, 200]),
    ("/wellbeing/participations/{pending}/paper/", [LOGIN, 404, 404, 404, 404, 404, 200]),
    ("/wellbeing/alerts/", [LOGIN, 403, 403, 403, 403, 200, 200]),
    ("/wellbeing/alerts/{alert}/", [LOGIN, 404, 404, 404, 404, 404, 200]),
    ("/wellbeing/scales/", [LOGIN, 200, 200, 200, 200, 200, 200]),
    ("/wellbeing/scales/new/", [LOGIN, 403, 403, 403, 200, 403, 403]),
    ("/wellbeing/answer/", [200, 200, 200, 200, 200, 200, 200]),
]


def _url(template, c, p, pending, alert, a):
    return template.format(
        c=c.pk, s=p.student_id, p=p.pk, pending=pending.pk, alert=alert.pk, a=a.pk
    )


@pytest.mark.parametrize(("template", "expected"), PAGES, ids=[t for t, _e in PAGES])
def test_page_matrix(setup, template, expected):
    w, c, p, pending, alert, a = setup
    url = _url(template, c, p, pending, alert, a)
    for who, want in zip(WHO, expected, strict=True):
        r = _client(w, who).get(url)
        if want == LOGIN:
            assert r.status_code == 302 and "/accounts/login/" in r["Location"], (who, url)
        else:
            assert r.status_code == want, (who, url, r.status_code)


# Running a campaign is not restricted: the school's counsellor and the admins above.
CAMPAIGN_POSTS = [
    "/wellbeing/campaigns/{c}/open/",
    "/wellbeing/campaigns/{c}/score/",
    "/wellbeing/campaigns/{c}/close/",
]


@pytest.mark.parametrize("template", CAMPAIGN_POSTS)
def test_campaign_actions_matrix(setup, template, django_capture_on_commit_callbacks):
    w, c, p, pending, alert, a = setup
    url = _url(template, c, p, pending, alert, a)
    state = _state(c)
    for who in ("anonymous", "teacher", "class_teacher", "principal", "counsellor_b"):
        r = _client(w, who).post(url)
        if who == "anonymous":
            assert r.status_code == 302 and "/accounts/login/" in r["Location"], url
        else:
            assert r.status_code in (403, 404), (who, url, r.status_code)
        assert _state(c) == state, (who, url)
    for who in ("city_admin", "counsellor"):
        with django_capture_on_commit_callbacks(execute=True):
            r = _client(w, who).post(url)
        assert r.status_code == 302 and "/accounts/login/" not in r["Location"], (who, url)


POSTS = [
    ("/wellbeing/participations/{pending}/opt-out/", {"note": "家长不同意"}),
    ("/wellbeing/participations/{p}/retest/", {}),
    ("/wellbeing/participations/{pending}/paper/", {"phq9": "000000000"}),
    ("/wellbeing/alerts/{alert}/", {"note": "已处理", "version": 1}),
]


@pytest.mark.parametrize(("template", "data"), POSTS, ids=[t for t, _d in POSTS])
def test_writes_are_refused_to_all_but_the_schools_counsellor(setup, template, data):
    w, c, p, pending, alert, a = setup
    url = _url(template, c, p, pending, alert, a)
    state = _state(c)
    for who in WHO[:-1]:
        r = _client(w, who).post(url, data)
        if who == "anonymous":
            assert r.status_code == 302 and "/accounts/login/" in r["Location"], url
        else:
            assert r.status_code in (403, 404), (who, url, r.status_code)
        assert _state(c) == state, (who, url)
    r = _client(w, "counsellor").post(url, data)
    assert r.status_code == 302, (url, r.status_code)


def _state(c):
    return (
        list(c.participations.order_by("pk").values_list("status", "answers", "version")),
        list(Alert.objects.order_by("pk").values_list("status", "version")),
        c.__class__.objects.get(pk=c.pk).status,
        Participation.objects.count(),
    )


def test_every_read_of_an_identified_record_is_audited_with_its_reason(setup):
    w, c, p, pending, alert, a = setup
    client = _client(w, "counsellor")
    before = AuditLog.objects.filter(action="view").count()
    # Without a reason: the page asks for one and reads nothing.
    r = client.get(f"/wellbeing/students/{p.student_id}/")
    assert 'data-testid="reason-form"' in r.content.decode() and "林小雨" not in r.content.decode()
    assert AuditLog.objects.filter(action="view").count() == before
    r = client.get(f"/wellbeing/students/{p.student_id}/?reason=危机随访")
    assert "林小雨" in r.content.decode()
    r = client.get(f"/wellbeing/campaigns/{c.pk}/schools/{a.pk}/codes/?reason=发放答题码")
    assert "高子墨" in r.content.decode() and pending.code in r.content.decode()
    assert "reason-form" in client.get(f"/wellbeing/alerts/{alert.pk}/").content.decode()
    client.get(f"/wellbeing/alerts/{alert.pk}/?reason=处理预警")
    reads = AuditLog.objects.filter(action="view").order_by("pk")[before:]
    reasons = [row.changes["reason"][1] for row in reads]
    assert reasons == ["危机随访", "发放答题码", "处理预警"]
    assert all(row.actor == w.counsellor for row in reads)
    # Other roles see no name, anywhere they can go.
    for who in ("teacher", "class_teacher", "principal", "city_admin", "counsellor_b"):
        body = _client(w, who).get(f"/wellbeing/campaigns/{c.pk}/").content.decode()
        assert "林小雨" not in body and "A0701" not in body and p.code not in body, who


def test_principals_see_small_cells_suppressed(setup):
    w, c = setup[:2]
    body = _client(w, "principal").get(f"/wellbeing/campaigns/{c.pk}/").content.decode()
    table = body[body.index('data-testid="campaign-summary"') :]
    assert "&lt;10" in table
    mine = _client(w, "counsellor").get(f"/wellbeing/campaigns/{c.pk}/").content.decode()
    table = mine[mine.index('data-testid="campaign-summary"') :]
    assert "&lt;10" not in table


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("who", WHO)
def test_scoring_endpoint_needs_an_account_but_no_permission(setup, api_for, client, who):
    w = setup[0]
    api = client if who == "anonymous" else api_for(w.users[who])
    r = _post(api, "/api/v1/scales/gad7/score", {"answers": [1] * 7})
    if who == "anonymous":
        assert r.status_code == 401
    else:
        assert r.status_code == 200 and r.json()["level"] == "mild"
    r = api.get("/api/v1/scales")
    assert r.status_code == (401 if who == "anonymous" else 200)
