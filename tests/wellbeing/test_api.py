"""The screening API beside the pages (issue 17): campaigns, rosters, the student's
answering, alerts — with the pages' permissions and audit. The permission matrix over the
seven roles the issue names (anonymous, teacher, class teacher, principal, district admin
without the permission, counsellor of another school, counsellor of the school), what each
read of identified data leaves in the audit log, the answering end to end (resumable, no
score shown, refusals that write nothing), versioned alert handling and references that
cannot reach beyond the scope."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from jiaoyan.core.models import AuditLog, Job
from jiaoyan.wellbeing.models import Alert, Campaign, Participation, Student
from tests.support import no_such, xlsx_bytes, zh
from tests.wellbeing.followup_helpers import followup_world
from tests.wellbeing.helpers import SEVEN_ROLES, window

WHO = list(SEVEN_ROLES)
JSON = "application/json"
PHQ9_ITEM_1 = "做事时提不起劲或没有兴趣"
PHQ9_ITEM_2 = "感到心情低落、沮丧或绝望"


@pytest.fixture
def w(world):
    return followup_world(world)


def _api(w, who, api_for):
    return Client() if who == "anonymous" else api_for(w.users[who])


def _post(client, url, body=None, token=None):
    headers = {"X-Answer-Token": token} if token is not None else {}
    return client.post(url, data=json.dumps(body or {}), content_type=JSON, headers=headers)


def _ids(r) -> list[int]:
    return [row["id"] for row in r.json()["items"]]


def _state(w):
    return (
        list(Campaign.objects.order_by("pk").values_list("status", "version")),
        list(Participation.objects.order_by("pk").values_list("status", "answers", "version")),
        list(Alert.objects.order_by("pk").values_list("status", "version")),
        Job.objects.count(),
    )


# --- the permission matrix ----------------------------------------------------------------

GETS = [
    ("/api/v1/wellbeing/campaigns", [401, 200, 200, 200, 200, 200, 200]),
    ("/api/v1/wellbeing/campaigns/{c}", [401, 200, 200, 200, 200, 404, 200]),
    ("/api/v1/wellbeing/campaigns/{c}/summary", [401, 403, 403, 200, 200, 404, 200]),
    (
        "/api/v1/wellbeing/campaigns/{c}/schools/{a}/roster?reason=发放答题码",
        [401, 403, 403, 403, 403, 404, 200],
    ),
    ("/api/v1/wellbeing/alerts", [401, 403, 403, 403, 403, 200, 200]),
    ("/api/v1/wellbeing/alerts/{alert}?reason=处理预警", [401, 404, 404, 404, 404, 404, 200]),
    ("/api/v1/wellbeing/follow-ups", [401, 403, 403, 403, 403, 200, 200]),
]


def _url(template, w):
    a = w.schools["school_a"].org_unit
    return template.format(c=w.campaign.pk, a=a.pk, alert=w.alert.pk)


@pytest.mark.parametrize(("template", "expected"), GETS, ids=[t for t, _e in GETS])
def test_api_read_matrix(w, api_for, template, expected):
    url = _url(template, w)
    for who, want in zip(WHO, expected, strict=True):
        r = _api(w, who, api_for).get(url)
        assert r.status_code == want, (who, url, r.status_code, r.content[:200])


def test_what_each_role_is_shown(w, api_for):
    c = w.campaign
    p = c.participations.get(student__key="A0701")
    for who in WHO[1:]:
        api = _api(w, who, api_for)
        listed = _ids(api.get("/api/v1/wellbeing/campaigns"))
        assert listed == ([] if who == "counsellor_b" else [c.pk]), who
        if who == "counsellor_b":
            continue
        one = api.get(f"/api/v1/wellbeing/campaigns/{c.pk}").json()
        # The class code lets students in: shown to those who run the campaign only.
        runs = who in ("city_admin", "counsellor")
        assert one["class_code"] == (c.class_code if runs else None), who
        r = api.get(f"/api/v1/wellbeing/campaigns/{c.pk}/summary")
        if who in ("teacher", "class_teacher"):  # no screening figures, as on the page
            assert r.status_code == 403, who
            continue
        summary = r.json()
        row = summary["schools"][0]
        assert row["school"] == w.schools["school_a"].org_unit.pk
        text = json.dumps(summary, ensure_ascii=False)
        assert "林小雨" not in text and "A0701" not in text and p.code not in text
        if who == "counsellor":  # the permission on the school: exact figures
            assert row["identified"] and row["invited"] == 3 and row["handed_in"] == 1
        else:  # a school of 3 invited: every cell hidden, as the page's "<10"
            assert not row["identified"] and row["invited"] == "<10", who
            assert row["finished"] == "<10" and set(row["levels"]) <= {"<10", 0}
    alerts = _api(w, "counsellor_b", api_for).get("/api/v1/wellbeing/alerts").json()
    assert alerts == {"items": [], "count": 0}
    mine = _api(w, "counsellor", api_for).get("/api/v1/wellbeing/alerts?status=open").json()
    assert [(x["id"], x["student_key"], x["reason"]) for x in mine["items"]] == [
        (w.alert.pk, "A0701", "crisis")
    ]
    assert "note" not in mine["items"][0]
    r = _api(w, "counsellor", api_for).get("/api/v1/wellbeing/alerts?status=purple")
    assert r.status_code == 422


CAMPAIGN_ACTIONS = ["open", "close", "score"]


@pytest.mark.parametrize("verb", CAMPAIGN_ACTIONS)
def test_campaign_actions_matrix(w, api_for, verb, django_capture_on_commit_callbacks):
    url = f"/api/v1/wellbeing/campaigns/{w.campaign.pk}/{verb}"
    state = _state(w)
    for who in ("anonymous", "teacher", "class_teacher", "principal", "counsellor_b"):
        r = _post(_api(w, who, api_for), url)
        assert r.status_code in (401, 403, 404), (who, url, r.status_code)
        assert _state(w) == state, (who, url)
    r = _post(api_for(world_outsider(w)), url)
    assert r.status_code == 404 and _state(w) == state  # another district: not found
    for who in ("city_admin", "counsellor"):
        with django_capture_on_commit_callbacks(execute=True):
            r = _post(_api(w, who, api_for), url)
        assert r.status_code == (202 if verb == "score" else 200), (who, r.content[:200])
    c = Campaign.objects.get(pk=w.campaign.pk)
    if verb == "open":
        assert r.json()["added"] == 0 and c.status == "open"  # nobody twice
    elif verb == "close":
        assert r.json()["status"] == "closed" and c.status == "closed"
    else:
        job = Job.objects.get(pk=r.json()["job"])
        assert job.kind == "wellbeing.score_campaign" and job.status == Job.Status.SUCCEEDED
        assert r.json()["progress_url"] == f"/jobs/{job.pk}/progress/"


def world_outsider(w):
    return w.users["outsider"]


def test_alert_handling_is_refused_to_all_but_the_schools_counsellor(w, api_for):
    url = f"/api/v1/wellbeing/alerts/{w.alert.pk}/handle"
    body = {"note": "已约谈并联系家长", "version": w.alert.version}
    state = _state(w)
    for who in [*WHO[:-1], "outsider"]:
        api = api_for(w.users[who]) if who == "outsider" else _api(w, who, api_for)
        r = _post(api, url, body)
        assert r.status_code in (401, 403, 404), (who, r.status_code)
        assert _state(w) == state, who
    r = _post(_api(w, "counsellor", api_for), url, body)
    assert r.status_code == 200 and r.json()["status"] == "handled"


def test_campaign_creation_matrix(w, api_for):
    a = w.schools["school_a"].org_unit
    start, end = window()
    body = {
        "org_unit": a.code,
        "name": "八年级筛查",
        "scales": ["phq9", "gad7"],
        "schools": [a.code],
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "grades": [8],
    }
    before = Campaign.objects.count()
    for who in ("anonymous", "teacher", "class_teacher", "principal"):
        r = _post(_api(w, who, api_for), "/api/v1/wellbeing/campaigns", body)
        assert r.status_code == (401 if who == "anonymous" else 403), (who, r.content[:200])
        if who != "anonymous":
            assert r.json()["detail"] == zh("You may not run a screening campaign.")
    # Another school's counsellor runs campaigns, but not this school's: its unit is
    # "not found" for them, as one that does not exist.
    r = _post(_api(w, "counsellor_b", api_for), "/api/v1/wellbeing/campaigns", body)
    assert r.status_code == 422 and r.json()["field"] == "org_unit"
    assert Campaign.objects.count() == before
    r = _post(_api(w, "counsellor", api_for), "/api/v1/wellbeing/campaigns", body)
    assert r.status_code == 201, r.content[:300]
    made = r.json()
    assert made["status"] == "draft" and made["scales"] == ["phq9", "gad7"]
    assert made["org_unit"] == a.pk and made["class_code"]
    r = _post(_api(w, "counsellor", api_for), f"/api/v1/wellbeing/campaigns/{made['id']}/open")
    assert r.status_code == 200 and r.json()["added"] == 1  # A0801, the one of grade 8
    assert AuditLog.objects.filter(object_id=str(made["id"]), action="create").exists()


def test_a_school_beyond_the_scope_is_refused_as_one_that_does_not_exist(w, api_for):
    a = w.schools["school_a"].org_unit
    start, end = window()
    body = {
        "org_unit": a.pk,
        "name": "越界筛查",
        "scales": ["phq9"],
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
    }
    api = _api(w, "counsellor", api_for)
    hidden = _post(
        api,
        "/api/v1/wellbeing/campaigns",
        {**body, "schools": [w.schools["school_c"].org_unit.pk]},
    )
    absent = _post(api, "/api/v1/wellbeing/campaigns", {**body, "schools": [10**9]})
    assert hidden.status_code == 422 and hidden.json()["field"] == "schools"
    assert "临渭区" not in hidden.json()["detail"] and "华州" not in hidden.json()["detail"]
    assert (absent.status_code, absent.content) == (hidden.status_code, hidden.content)
    # A unit of the other district as the runner: the same.
    hidden = _post(
        api,
        "/api/v1/wellbeing/campaigns",
        {**body, "org_unit": w.units["huazhou"].pk, "schools": [a.pk]},
    )
    absent = _post(
        api, "/api/v1/wellbeing/campaigns", {**body, "org_unit": 10**9, "schools": [a.pk]}
    )
    assert hidden.status_code == 422 and hidden.json()["field"] == "org_unit"
    assert hidden.json()["detail"] == no_such(type(a))
    assert (absent.status_code, absent.content) == (hidden.status_code, hidden.content)
    assert Campaign.objects.count() == 1
    # A bad window is the service's clear message, nothing made.
    r = _post(
        api,
        "/api/v1/wellbeing/campaigns",
        {**body, "schools": [a.pk], "ends_at": (timezone.now() - dt.timedelta(days=9)).isoformat()},
    )
    assert r.status_code == 400 and r.json()["detail"] == zh(
        "The campaign must close after it opens."
    )
    assert Campaign.objects.count() == 1


# --- identified reads: a reason, the permission, the audit ----------------------------------


def test_every_identified_read_through_the_api_is_audited_with_its_reason(w, api_for):
    c, a = w.campaign, w.schools["school_a"].org_unit
    api = _api(w, "counsellor", api_for)
    reads = AuditLog.objects.filter(action="view")
    before = reads.count()
    roster = f"/api/v1/wellbeing/campaigns/{c.pk}/schools/{a.pk}/roster"
    for url in (roster, f"/api/v1/wellbeing/alerts/{w.alert.pk}"):
        r = api.get(url)  # no reason: refused, nothing read, nothing written
        assert r.status_code == 400 and r.json()["detail"] == zh(
            "Say why you need to read these data."
        )
    assert reads.count() == before
    r = api.get(f"{roster}?reason=发放答题码")
    rows = r.json()["items"]
    assert r.json()["count"] == 3
    pending = c.participations.get(student__key="A0702")
    row = next(x for x in rows if x["key"] == "A0702")
    assert row == {
        "id": pending.pk,
        "org_unit": a.pk,
        "student": pending.student_id,
        "key": "A0702",
        "name": "高子墨",
        "grade": 7,
        "class_name": "1班",
        "code": pending.code,
        "status": "pending",
    }
    r = api.get(f"/api/v1/wellbeing/alerts/{w.alert.pk}?reason=处理预警")
    assert r.status_code == 200
    one = r.json()
    assert one["student_key"] == "A0701" and one["campaign"] == c.pk and one["note"] == ""
    new = list(reads.order_by("pk")[before:])
    assert [row.changes["reason"][1] for row in new] == ["发放答题码", "处理预警"]
    assert all(row.actor == w.counsellor for row in new)
    assert new[0].changes["rows"][1] == 3 and new[0].unit_path == a.path
    assert new[1].object_id == w.alert.pk
    # Refused reads leave nothing either.
    for who in ("principal", "city_admin", "counsellor_b"):
        _api(w, who, api_for).get(f"{roster}?reason=看看")
        _api(w, who, api_for).get(f"/api/v1/wellbeing/alerts/{w.alert.pk}?reason=看看")
    assert reads.count() == before + 2
    # A school that is not in the campaign: not found (nothing to read there).
    b = w.schools["school_b"].org_unit
    r = _api(w, "district_counsellor", api_for).get(
        f"/api/v1/wellbeing/campaigns/{c.pk}/schools/{b.pk}/roster?reason=核对"
    )
    assert r.status_code == 404 and reads.count() == before + 2


def test_another_district_neither_reads_nor_changes_the_rosters_and_alerts(w, api_for):
    from tests.wellbeing.helpers import permit

    outsider = w.users["outsider"]
    permit(outsider, w.units["huazhou"])
    api = api_for(outsider)
    a = w.schools["school_a"].org_unit
    state = _state(w)
    for url in (
        f"/api/v1/wellbeing/campaigns/{w.campaign.pk}",
        f"/api/v1/wellbeing/campaigns/{w.campaign.pk}/summary",
        f"/api/v1/wellbeing/campaigns/{w.campaign.pk}/schools/{a.pk}/roster?reason=核对",
        f"/api/v1/wellbeing/alerts/{w.alert.pk}?reason=核对",
    ):
        assert api.get(url).status_code == 404, url
    assert _ids(api.get("/api/v1/wellbeing/alerts")) == []
    assert w.campaign.pk not in _ids(api.get("/api/v1/wellbeing/campaigns"))
    assert _state(w) == state
    assert not AuditLog.objects.filter(actor=outsider, action="view").exists()


# --- the student's answering --------------------------------------------------------------


def _campaign(w, **kw) -> Campaign:
    from jiaoyan.wellbeing import services

    start, end = window()
    a = w.schools["school_a"].org_unit
    c = services.create_campaign(
        actor=w.counsellor,
        org_unit=a,
        name="七年级心理筛查",
        scales=["phq9"],
        schools=[a],
        starts_at=start,
        ends_at=kw.get("ends_at", end),
        grades=[7],
        help_text="心理援助热线：12355",
    )
    services.open_campaign(actor=w.counsellor, campaign=c)
    return c


def _start(client, **body):
    return _post(client, "/api/v1/wellbeing/answering", body)


def _answer(client, token, step, answer):
    return _post(
        client,
        "/api/v1/wellbeing/answering/answers",
        {"step": step, "answer": answer},
        token=token,
    )


def test_a_student_answers_through_the_api_resumes_and_sees_no_score(w):
    c = _campaign(w)
    p = c.participations.get(student__key="A0701")
    phone = Client()
    r = _start(phone, code=f" {p.code.lower()} ")
    assert r.status_code == 200, r.content
    s = r.json()
    token = s["token"]
    assert (s["campaign"], s["total"], s["answered"], s["ready_to_hand_in"]) == (
        "七年级心理筛查",
        9,
        0,
        False,
    )
    q = s["question"]
    assert (q["step"], q["number"], q["total"], q["text"]) == (0, 1, 9, PHQ9_ITEM_1)
    assert [o["value"] for o in q["options"]] == [0, 1, 2, 3] and q["current"] is None
    assert set(q["options"][0]) == {"value", "label"}  # no option's score
    r = _answer(phone, token, 0, 2)
    assert r.status_code == 200 and r.json()["answered"] == 1
    assert r.json()["question"]["text"] == PHQ9_ITEM_2
    p.refresh_from_db()
    assert p.answers == {"phq9": [2, None, None, None, None, None, None, None, None]}
    assert p.status == Participation.Status.STARTED
    # Resumable: another phone, the class code and the student number.
    other = Client()
    s = _start(other, class_code=c.class_code.lower(), key="A0701").json()
    assert s["answered"] == 1 and s["question"]["step"] == 1
    token = s["token"]
    # Looking back: an earlier question with its answer; never one beyond the first open.
    back = other.get("/api/v1/wellbeing/answering?step=0", headers={"X-Answer-Token": token})
    assert back.json()["question"]["current"] == 2
    ahead = other.get("/api/v1/wellbeing/answering?step=7", headers={"X-Answer-Token": token})
    assert ahead.json()["question"]["step"] == 1
    # Handing in early: refused, nothing written.
    r = _post(other, "/api/v1/wellbeing/answering/hand-in", token=token)
    assert r.status_code == 400 and r.json()["detail"] == zh("Some questions are not answered yet.")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)):
        for step, value in enumerate([2, 1, 1, 1, 0, 0, 0, 0, 0]):
            assert _answer(other, token, step, value).status_code == 200
        s = other.get("/api/v1/wellbeing/answering", headers={"X-Answer-Token": token}).json()
        assert s["ready_to_hand_in"] and s["question"] is None and s["answered"] == 9
        r = _post(other, "/api/v1/wellbeing/answering/hand-in", token=token)
    assert r.status_code == 200
    done = r.json()
    assert done["help_text"] == "心理援助热线：12355"
    assert done["message"] == zh("Thank you. Your answers have been received.")
    text = json.dumps(done, ensure_ascii=False).replace("12355", "")
    for shown in ("5", "mild", "轻度", "phq9", "PHQ", "total", "level"):
        assert shown not in text, shown
    p.refresh_from_db()
    assert p.status == Participation.Status.FINISHED
    assert p.results["phq9"]["total"] == 5 and p.results["phq9"]["level"] == "mild"
    # A second hand-in, or another answer, is refused with nothing written.
    finished = Participation.objects.filter(pk=p.pk).values().get()
    r = _post(other, "/api/v1/wellbeing/answering/hand-in", token=token)
    assert r.status_code == 400
    assert r.json()["detail"] == zh("This questionnaire has already been handed in.")
    r = _answer(other, token, 0, 3)
    assert r.status_code == 400
    r = _start(Client(), code=p.code)
    assert r.status_code == 400
    assert r.json()["detail"] == zh("This questionnaire has already been handed in.")
    assert Participation.objects.filter(pk=p.pk).values().get() == finished


def test_bad_answers_are_refused_in_chinese_and_write_nothing(w):
    c = _campaign(w)
    p = c.participations.get(student__key="A0702")
    client = Client()
    token = _start(client, code=p.code).json()["token"]
    for step, value, status, message in (
        (0, 7, 400, "Choose one of the answers."),
        (0, -1, 400, "Choose one of the answers."),
        (99, 1, 400, "There is no such question."),
    ):
        r = _answer(client, token, step, value)
        assert r.status_code == status and r.json()["detail"] == zh(message), (step, value)
    r = _post(
        client,
        "/api/v1/wellbeing/answering/answers",
        {"step": 0, "answer": "很多"},
        token=token,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == zh("Must be a whole number.")
    # A forged or missing token: the code's message, or the missing header (422).
    r = _answer(client, token[:-2] + "xx", 0, 1)
    assert r.status_code == 400
    assert r.json()["detail"] == zh("This code is not valid. Check it with your teacher.")
    assert (
        _post(client, "/api/v1/wellbeing/answering/answers", {"step": 0, "answer": 1}).status_code
        == 422
    )
    r = _start(client, code="NOSUCHCODE")
    assert r.status_code == 400
    assert r.json()["detail"] == zh("This code is not valid. Check it with your teacher.")
    # Another school's student is not in this campaign's class code.
    r = _start(client, class_code=c.class_code, key="C0501")
    assert r.status_code == 400
    p.refresh_from_db()
    assert p.answers == {} and p.status == Participation.Status.PENDING


def test_outside_the_window_a_clear_refusal_and_nothing_saved(w):
    c = _campaign(w, ends_at=timezone.now() + dt.timedelta(minutes=30))
    p = c.participations.get(student__key="A0701")
    client = Client()
    token = _start(client, code=p.code).json()["token"]
    with time_machine.travel(c.ends_at + dt.timedelta(minutes=1)):
        r = _answer(client, token, 0, 1)
        assert r.status_code == 403
        assert r.json()["detail"] == zh("This screening is not open now.")
        r = _start(client, code=p.code)
        assert r.status_code == 403
        assert r.json()["detail"] == zh("This screening is not open now.")
        r = client.get("/api/v1/wellbeing/answering", headers={"X-Answer-Token": token})
        assert r.status_code == 403
    p.refresh_from_db()
    assert p.answers == {} and p.status == Participation.Status.PENDING


def test_guessing_codes_is_limited_per_address_for_the_page_and_the_api_together(w):
    from django.core.cache import cache

    cache.clear()
    p = _campaign(w).participations.first()
    client = Client()
    with override_settings(WELLBEING_CODE_ATTEMPTS_PER_MINUTE=3):
        page = [client.post("/wellbeing/answer/", {"code": f"WRONG{i:05d}"}) for i in range(2)]
        api = _start(client, code="WRONG99999")
        # over the limit, even the right code is refused: the guesser learns nothing
        r = _start(client, code=p.code)
    assert [x.status_code for x in page] == [200, 200] and api.status_code == 400
    assert r.status_code == 429 and "请一分钟后再试" in r.json()["detail"]
    assert "token" not in r.json()


# --- alerts: versioned handling -------------------------------------------------------------


def test_a_stale_version_is_refused_and_the_alert_handled_once(w, api_for):
    api = _api(w, "counsellor", api_for)
    url = f"/api/v1/wellbeing/alerts/{w.alert.pk}"
    read = api.get(f"{url}?reason=处理预警").json()
    version = read["version"]
    # A colleague handled something on it meanwhile (a newer version).
    Alert.objects.filter(pk=w.alert.pk).update(version=version + 1)
    r = _post(api, f"{url}/handle", {"note": "已约谈", "version": version})
    assert r.status_code == 400 and r.json()["detail"] == zh(
        "Someone else changed this record after you opened the form. Reload the page to see "
        "their change, then make yours again."
    )
    w.alert.refresh_from_db()
    assert w.alert.status == "open" and w.alert.note == ""
    r = _post(api, f"{url}/handle", {"note": "已约谈并通知家长", "version": version + 1})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["version"]) == ("handled", version + 2)
    r = _post(api, f"{url}/handle", {"note": "再次处理", "version": version + 2})
    assert r.status_code == 400 and r.json()["detail"] == zh("This alert has already been handled.")
    r = _post(api, f"{url}/handle", {"note": "", "version": version + 2})
    assert r.status_code == 400
    w.alert.refresh_from_db()
    assert w.alert.note == "已约谈并通知家长" and w.alert.handled_by == w.counsellor
    one = api.get(f"{url}?reason=复查").json()
    assert one["note"] == "已约谈并通知家长" and one["handled_by"] == "周晓"
    assert _ids(api.get("/api/v1/wellbeing/alerts?status=handled")) == [w.alert.pk]
    assert _ids(api.get("/api/v1/wellbeing/alerts?status=open")) == []


# --- rosters: the one import endpoint ------------------------------------------------------


def test_rosters_are_imported_through_the_import_endpoint(
    w, api_for, django_capture_on_commit_callbacks
):
    a = w.schools["school_a"].org_unit
    head = ["学生编号", "姓名", "性别", "出生日期", "学校代码", "年级", "班级"]
    sheet = xlsx_bytes(
        [
            head,
            ["A0901", "贺明轩", "男", "2011-03-02", a.code, "九年级", "1班"],
            ["A0902", "白若溪", "女", "2011-07-12", a.code, "初三", "（1）班"],
        ]
    )

    def upload(who):
        return _api(w, who, api_for).post(
            "/api/v1/imports/students", {"file": SimpleUploadedFile("名册.xlsx", sheet)}
        )

    for who in ("teacher", "principal"):
        assert upload(who).status_code == 403, who
    with django_capture_on_commit_callbacks(execute=True):
        r = upload("counsellor_b")  # another school's counsellor: every row refused
    assert r.status_code == 202
    assert not Student.objects.filter(key__startswith="A09").exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = upload("counsellor")
    assert r.status_code == 202 and r.json()["restricted"] == "wellbeing"
    job = _api(w, "counsellor", api_for).get(f"/api/v1/import-jobs/{r.json()['id']}").json()
    assert job["status"] == "succeeded" and job["created"] == 2
    assert job["file_kept"] is False  # a restricted original is not kept
    assert sorted(Student.objects.filter(key__startswith="A09").values_list("name", flat=True)) == [
        "白若溪",
        "贺明轩",
    ]
    # The new students join the campaign when it is opened again, and the roster shows them.
    api = _api(w, "counsellor", api_for)
    assert _post(api, f"/api/v1/wellbeing/campaigns/{w.campaign.pk}/open").json()["added"] == 2
    roster = api.get(
        f"/api/v1/wellbeing/campaigns/{w.campaign.pk}/schools/{a.pk}/roster?reason=发放答题码"
    ).json()
    assert {row["key"]: row["name"] for row in roster["items"]}["A0902"] == "白若溪"
    assert roster["count"] == 5
