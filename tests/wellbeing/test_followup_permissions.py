"""The permission matrix of every page and endpoint of the follow-up workflow, the class
teacher's list and the suppressed figures: anonymous, teacher, class teacher, principal,
district admin without the permission, counsellor of another school (with the permission
there), counsellor of the school (with the permission) — what each read leaves in the
audit log, what the class teacher is told (and is not), and the "<10" cells."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from jiaoyan.core.models import AuditLog
from jiaoyan.wellbeing import services
from jiaoyan.wellbeing import services_followup as fs
from jiaoyan.wellbeing.models import Alert, FollowUpCase, FollowUpEntry
from tests.wellbeing.followup_helpers import CRISIS, followup_world
from tests.wellbeing.helpers import SEVEN_ROLES

WHO = list(SEVEN_ROLES)
LOGIN = "login"
ASSESSMENT = "与同学冲突后情绪低落，偶有自伤念头"


@pytest.fixture
def setup(world):
    w = followup_world(world)
    case = fs.record_interview(
        actor=w.counsellor,
        alert=w.alert,
        on=timezone.localdate(),
        assessment=ASSESSMENT,
        plan="每两天随访一次",
        level="attention",
        every_days=2,
    )
    # A second crisis alert, still open (for the interview page and endpoint).
    p2 = w.campaign.participations.get(student__key="A0702")
    services.enter_paper_answers(actor=w.counsellor, participation=p2, answers={"phq9": CRISIS})
    open_alert = Alert.objects.get(participation=p2)
    return w, case, open_alert


def _client(w, who):
    c = Client()
    if who != "anonymous":
        c.force_login(w.users[who])
    return c


def _url(template, w, case, alert):
    return template.format(case=case.pk, alert=alert.pk, c=w.campaign.pk)


PAGES = [
    ("/wellbeing/alerts/{alert}/interview/", [LOGIN, 404, 404, 404, 404, 404, 200]),
    ("/wellbeing/follow-ups/", [LOGIN, 403, 403, 403, 403, 200, 200]),
    ("/wellbeing/follow-ups/?export=xlsx", [LOGIN, 403, 403, 403, 403, 200, 200]),
    ("/wellbeing/follow-ups/{case}/?reason=随访", [LOGIN, 404, 404, 404, 404, 404, 200]),
    ("/wellbeing/follow-ups/due/", [LOGIN, 403, 200, 403, 403, 403, 403]),
    ("/wellbeing/follow-ups/due/?export=xlsx", [LOGIN, 403, 200, 403, 403, 403, 403]),
    ("/wellbeing/campaigns/{c}/figures/", [LOGIN, 403, 403, 200, 200, 404, 200]),
    (
        "/wellbeing/campaigns/{c}/figures/?by=class&export=xlsx",
        [LOGIN, 403, 403, 200, 200, 404, 200],
    ),
]


@pytest.mark.parametrize(("template", "expected"), PAGES, ids=[t for t, _e in PAGES])
def test_page_matrix(setup, template, expected):
    w, case, alert = setup
    url = _url(template, w, case, alert)
    for who, want in zip(WHO, expected, strict=True):
        r = _client(w, who).get(url)
        if want == LOGIN:
            assert r.status_code == 302 and "/accounts/login/" in r["Location"], (who, url)
        else:
            assert r.status_code == want, (who, url, r.status_code)


def _state():
    return (
        list(FollowUpCase.objects.order_by("pk").values_list("status", "level", "version")),
        FollowUpEntry.objects.count(),
        list(Alert.objects.order_by("pk").values_list("status", "version")),
    )


TODAY = str(timezone.localdate())
POSTS = [
    (
        "/wellbeing/alerts/{alert}/interview/",
        {"on": TODAY, "level": "watch", "assessment": "评估", "plan": "计划", "every_days": 14},
    ),
    ("/wellbeing/follow-ups/{case}/visit/", {"on": TODAY, "level": "watch", "note": "随访"}),
    ("/wellbeing/follow-ups/{case}/referral/", {"on": TODAY, "institution": "市精神卫生中心"}),
    ("/wellbeing/follow-ups/{case}/close/", {"close_reason": "recovered", "note": ""}),
]


@pytest.mark.parametrize(("template", "data"), POSTS, ids=[t for t, _d in POSTS])
def test_writes_are_refused_to_all_but_the_schools_counsellor(setup, template, data):
    w, case, alert = setup
    url = _url(template, w, case, alert)
    data = {**data, "version": (alert if "interview" in url else case).version}
    prefix = next((p for p in ("visit", "referral", "close") if f"/{p}/" in url), "")
    if prefix:
        data = {f"{prefix}-{k}": v for k, v in data.items()}
    state = _state()
    for who in WHO[:-1]:
        r = _client(w, who).post(url, data)
        if who == "anonymous":
            assert r.status_code == 302 and "/accounts/login/" in r["Location"], url
        else:
            assert r.status_code in (403, 404), (who, url, r.status_code)
        assert _state() == state, (who, url)
    r = _client(w, "counsellor").post(url, data)
    assert r.status_code == 302, (url, r.status_code)
    assert _state() != state


def test_only_the_district_reviews(setup):
    w, case, _alert = setup
    fs.record_visit(
        actor=w.counsellor, case=case, on=timezone.localdate(), note="加重", level="high"
    )
    case.refresh_from_db()
    assert case.status == "review"
    url = f"/wellbeing/follow-ups/{case.pk}/review/"
    data = {"review-note": "复核同意", "review-version": case.version, "review-reason": "复核"}
    state = _state()
    for who in WHO:
        _client(w, who).post(url, data)
        assert _state() == state, who
    page = _client(w, "counsellor").get(f"/wellbeing/follow-ups/{case.pk}/?reason=看").content
    assert b'data-testid="review-form"' not in page
    reviewer = _client(w, "district_counsellor")
    page = reviewer.get(f"/wellbeing/follow-ups/{case.pk}/?reason=复核").content.decode()
    assert 'data-testid="review-form"' in page and ASSESSMENT in page
    r = reviewer.post(url, data)
    assert r.status_code == 302 and r["Location"].endswith("?reason=%E5%A4%8D%E6%A0%B8")
    case.refresh_from_db()
    assert case.status == "follow_up"


def test_every_read_of_a_case_is_audited_with_its_reason(setup, api_for):
    w, case, _alert = setup
    client = _client(w, "counsellor")
    before = AuditLog.objects.filter(action="view").count()
    r = client.get(f"/wellbeing/follow-ups/{case.pk}/")
    body = r.content.decode()
    assert 'data-testid="reason-form"' in body and ASSESSMENT not in body
    assert AuditLog.objects.filter(action="view").count() == before
    body = client.get(f"/wellbeing/follow-ups/{case.pk}/?reason=随访准备").content.decode()
    assert ASSESSMENT in body and "每两天随访一次" in body
    api = api_for(w.counsellor)
    assert api.get(f"/api/v1/wellbeing/follow-ups/{case.pk}").status_code == 400
    r = api.get(f"/api/v1/wellbeing/follow-ups/{case.pk}?reason=家校沟通")
    assert r.status_code == 200 and r.json()["entries"][0]["assessment"] == ASSESSMENT
    reads = AuditLog.objects.filter(action="view").order_by("pk")[before:]
    assert [row.changes["reason"][1] for row in reads] == ["随访准备", "家校沟通"]
    assert all(row.actor == w.counsellor for row in reads)
    # The list's export is audited as an export.
    client.get("/wellbeing/follow-ups/?export=xlsx")
    assert AuditLog.objects.filter(action="export", actor=w.counsellor).count() == 1


def test_the_class_teacher_sees_only_follow_up_due(setup):
    w, case, _alert = setup
    body = _client(w, "class_teacher").get("/wellbeing/follow-ups/due/").content.decode()
    table = body[body.index('data-testid="due-table"') :]
    assert "A0701" in table and "需随访" in table
    assert str(case.next_due) in table
    for secret in (
        ASSESSMENT,
        "每两天随访一次",
        "重点关注",
        "危机",
        "phq9",
        "林小雨",
        "预警",
        "风险",
    ):
        assert secret not in body, secret
    # A follow-up not due yet is not listed; a closed one neither.
    fs.record_visit(
        actor=w.counsellor, case=case, on=timezone.localdate(), note="好转", level="watch"
    )
    FollowUpCase.objects.filter(pk=case.pk).update(every_days=30)
    FollowUpCase.objects.filter(pk=case.pk).update(
        next_due=timezone.localdate() + dt.timedelta(days=30)
    )
    body = _client(w, "class_teacher").get("/wellbeing/follow-ups/due/").content.decode()
    assert "A0701" not in body and "本班暂无需随访的学生。" in body


def test_the_principal_sees_less_than_ten_for_the_class(setup):
    w = setup[0]
    c = w.campaign
    body = (
        _client(w, "principal")
        .get(f"/wellbeing/campaigns/{c.pk}/figures/?by=class")
        .content.decode()
    )
    table = body[body.index('data-testid="aggregate-table"') :]
    assert "七年级" not in table  # labels come from the roster: 7年级1班
    assert "7年级1班" in table and "&lt;10" in table
    row = table[table.index("7年级1班") : table.index("</tr>", table.index("7年级1班"))]
    assert row.count("&lt;10") >= 2 and "林小雨" not in body and "A0701" not in body
    # The scale picker names the scale as people know it, not by its code.
    picker = body[
        body.index('id="id_scale"') : body.index("</select>", body.index('id="id_scale"'))
    ]
    assert "PHQ-9 抑郁症筛查量表" in picker and ">phq9<" not in picker
    r = _client(w, "principal").get(f"/wellbeing/campaigns/{c.pk}/figures/?by=class&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "<10" in values
    assert any(isinstance(v, str) and v.endswith("· PHQ-9 抑郁症筛查量表") for v in values)
    # No figure between 1 and 9 leaves in the file.
    assert not [v for v in values if isinstance(v, int) and 0 < v < 10]
    for by in ("school", "grade", "gender"):
        page = _client(w, "principal").get(f"/wellbeing/campaigns/{c.pk}/figures/?by={by}")
        assert page.status_code == 200 and "&lt;10" in page.content.decode(), by


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_matrix(setup, api_for, client):
    w, case, alert = setup
    c = w.campaign

    def api(who):
        return client if who == "anonymous" else api_for(w.users[who])

    for who in WHO:
        a = api(who)
        r = a.get("/api/v1/wellbeing/follow-ups")
        # As the page: 403 without the wellbeing permission, not an empty list.
        want = {"anonymous": 401, "counsellor_b": 200, "counsellor": 200}.get(who, 403)
        assert r.status_code == want, who
        if want == 200:
            ids = [row["id"] for row in r.json()["items"]]
            assert ids == ([case.pk] if who == "counsellor" else []), who
        elif want == 403:
            assert r.json()["detail"] == "这需要心理数据权限。", who
        r = a.get(f"/api/v1/wellbeing/follow-ups/{case.pk}?reason=核对")
        assert r.status_code == {"anonymous": 401, "counsellor": 200}.get(who, 404), who
        r = a.get("/api/v1/wellbeing/follow-ups/due")
        want = {"anonymous": 401, "class_teacher": 200}.get(who, 403)
        assert r.status_code == want, who
        if who == "class_teacher":
            assert r.json() == [
                {"key": "A0701", "grade": 7, "class_name": "1班", "due": str(case.next_due)}
            ]
        r = a.get(f"/api/v1/wellbeing/campaigns/{c.pk}/figures?by=class")
        want = {"anonymous": 401, "teacher": 403, "class_teacher": 403, "counsellor_b": 404}
        assert r.status_code == want.get(who, 200), who
        if r.status_code == 200:
            assert "<10" in r.json()["rows"][0]["cells"]
    state = _state()
    body = {"on": TODAY, "level": "watch", "note": "接口随访", "version": case.version}
    for who in WHO[:-1]:
        r = _post(api(who), f"/api/v1/wellbeing/follow-ups/{case.pk}/visits", body)
        assert r.status_code in (401, 403, 404), who
        r = _post(
            api(who),
            f"/api/v1/wellbeing/alerts/{alert.pk}/interview",
            {"on": TODAY, "level": "watch", "assessment": "a", "plan": "b"},
        )
        assert r.status_code in (401, 403, 404), who
        assert _state() == state, who
    mine = api("counsellor")
    r = _post(mine, f"/api/v1/wellbeing/follow-ups/{case.pk}/visits", body)
    assert r.status_code == 200 and r.json()["level"] == "watch"
    r = _post(mine, f"/api/v1/wellbeing/follow-ups/{case.pk}/visits", body)  # stale version
    assert r.status_code == 400
    r = _post(
        mine,
        f"/api/v1/wellbeing/alerts/{alert.pk}/interview",
        {"on": TODAY, "level": "purple", "assessment": "a", "plan": "b"},
    )
    assert r.status_code == 400 and r.json()["detail"] == "请选择关注等级。"
    r = _post(
        mine,
        f"/api/v1/wellbeing/alerts/{alert.pk}/interview",
        {"on": TODAY, "level": "watch", "assessment": "a", "plan": "b"},
    )
    assert r.status_code == 201 and r.json()["status"] == "follow_up"
    new = r.json()["id"]
    r = _post(
        mine,
        f"/api/v1/wellbeing/follow-ups/{new}/referral",
        {"institution": "市第二医院", "on": TODAY},
    )
    assert r.status_code == 200 and r.json()["referred"] is True
    r = _post(mine, f"/api/v1/wellbeing/follow-ups/{new}/close", {"reason": "graduated"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = _post(
        api("district_counsellor"), f"/api/v1/wellbeing/follow-ups/{new}/review", {"note": "x"}
    )
    assert r.status_code == 400 and r.json()["detail"] == "该随访个案已结案。"
