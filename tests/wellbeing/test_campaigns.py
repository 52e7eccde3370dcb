"""Campaigns, answering on a phone (one item per screen, resumable, no score shown),
validity, paper answers, a second hand-in refused, scoring as a job, risk rules and the
crisis alert raised at once to the school's counsellors (versioned handling)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.models import AuditLog, Job, Notification
from jiaoyan.wellbeing import services
from jiaoyan.wellbeing.models import Alert, Campaign, Participation, RiskRule
from tests.wellbeing.helpers import screening_world, window


@pytest.fixture
def sw(world):
    return screening_world(world)


def make_campaign(w, scales=("phq9",), classes=(), grades=(), **kw) -> Campaign:
    start, end = window()
    a = w.schools["school_a"].org_unit
    c = services.create_campaign(
        actor=w.counsellor,
        org_unit=a,
        name="七年级心理筛查",
        scales=list(scales),
        schools=[a],
        starts_at=kw.get("starts_at", start),
        ends_at=kw.get("ends_at", end),
        grades=grades,
        classes=classes,
        help_text="心理援助热线：12355",
    )
    services.open_campaign(actor=w.counsellor, campaign=c)
    return c


def test_opening_gives_one_code_per_student_of_the_chosen_classes(sw):
    c = make_campaign(sw, grades=[7], classes=["1班"])
    keys = sorted(c.participations.values_list("student__key", flat=True))
    assert keys == ["A0701", "A0702"]
    codes = list(c.participations.values_list("code", flat=True))
    assert len(set(codes)) == 2 and all(len(x) == 10 for x in codes)
    # Opening again adds nobody twice.
    assert services.open_campaign(actor=sw.counsellor, campaign=c) == 0


def test_bad_campaigns_are_refused(sw, chinese):
    a = sw.schools["school_a"].org_unit
    c_school = sw.schools["school_c"].org_unit
    start, end = window()
    base = {"actor": sw.counsellor, "org_unit": a, "name": "x", "scales": ["phq9"]}
    base["schools"] = [a]
    with pytest.raises(ServiceError):
        services.create_campaign(**base, starts_at=end, ends_at=start)
    with pytest.raises(ServiceError):
        services.create_campaign(**{**base, "scales": ["nope"]}, starts_at=start, ends_at=end)
    with pytest.raises(ServiceError):
        services.create_campaign(**{**base, "schools": [c_school]}, starts_at=start, ends_at=end)
    assert Campaign.objects.count() == 0


def answer_all(client, answers):
    r = client.get("/wellbeing/answer/question/")
    for step, value in enumerate(answers):
        r = client.post("/wellbeing/answer/question/", {"step": step, "answer": value})
        assert r.status_code == 302, r.content[:300]
    return client.post("/wellbeing/answer/question/", {"hand_in": "1"})


def test_a_student_answers_one_item_per_screen_and_sees_no_score(sw, client):
    c = make_campaign(sw, grades=[7])
    p = c.participations.get(student__key="A0701")
    r = client.post("/wellbeing/answer/", {"code": p.code.lower()})
    assert r.status_code == 302
    r = client.get("/wellbeing/answer/question/")
    html = r.content.decode()
    assert "做事时提不起劲或没有兴趣" in html and html.count('data-testid="option"') == 4
    assert "第 1 题，共 9 题" in html
    client.post("/wellbeing/answer/question/", {"step": 0, "answer": 2})
    p.refresh_from_db()
    assert p.answers == {"phq9": [2, None, None, None, None, None, None, None, None]}
    assert p.status == Participation.Status.STARTED
    # Resumable: the phone drops the connection, the student enters the code again.
    from django.test import Client

    again = Client()
    again.post("/wellbeing/answer/", {"code": p.code})
    assert "感到心情低落" in again.get("/wellbeing/answer/question/").content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)):
        r = answer_all(again, [2, 1, 1, 1, 0, 0, 0, 0, 0])
    assert r.status_code == 302 and r.url.endswith("/wellbeing/answer/done/")
    done = again.get(r.url).content.decode()
    thanks = done[done.index('data-testid="thanks"') :]
    assert "12355" in thanks  # the bureau's help-line text
    for shown in ("5", "mild", "轻度", "phq9", "PHQ"):  # no score, band or scale
        assert shown not in thanks.replace("12355", "")
    p.refresh_from_db()
    assert p.status == Participation.Status.FINISHED
    assert p.results["phq9"] == {"total": 5, "level": "mild", "crisis": False, "factors": {}}
    # A second hand-in is refused, with nothing changed.
    r = again.post("/wellbeing/answer/", {"code": p.code})
    assert r.status_code == 200 and 'data-testid="answer-error"' in r.content.decode()
    with pytest.raises(ServiceError):
        services.hand_in(participation_id=p.pk)


def test_class_code_and_key_find_the_questionnaire(sw, client):
    c = make_campaign(sw, grades=[7])
    r = client.post("/wellbeing/answer/", {"class_code": c.class_code, "key": "A0702"})
    assert r.status_code == 302
    r = client.post("/wellbeing/answer/", {"class_code": c.class_code, "key": "C0501"})
    assert r.status_code == 200  # another school's student is not in this campaign


def test_outside_the_window_a_clear_page_and_nothing_saved(sw, client):
    c = make_campaign(sw, grades=[7], ends_at=timezone.now() + dt.timedelta(minutes=30))
    p = c.participations.first()
    client.post("/wellbeing/answer/", {"code": p.code})
    with time_machine.travel(c.ends_at + dt.timedelta(minutes=1)):
        r = client.post("/wellbeing/answer/question/", {"step": 0, "answer": 1})
        assert r.status_code == 403 and 'data-testid="closed"' in r.content.decode()
        r = client.post("/wellbeing/answer/", {"code": p.code})
        assert 'data-testid="answer-error"' in r.content.decode()
    p.refresh_from_db()
    assert p.answers == {} and p.status == Participation.Status.PENDING


def test_out_of_range_answer_is_refused(sw, client, chinese):
    c = make_campaign(sw, grades=[7])
    p = c.participations.first()
    client.post("/wellbeing/answer/", {"code": p.code})
    r = client.post("/wellbeing/answer/question/", {"step": 0, "answer": 7})
    assert r.status_code == 200
    p.refresh_from_db()
    assert p.answers == {}
    with pytest.raises(ServiceError):
        services.save_answer(participation_id=p.pk, step=99, value=1)


def test_too_fast_or_patterned_is_invalid_and_offered_a_retest(sw, client):
    c = make_campaign(sw, grades=[7])
    p = c.participations.get(student__key="A0701")
    client.post("/wellbeing/answer/", {"code": p.code})
    answer_all(client, [1] * 9)  # all identical, and in no time
    p.refresh_from_db()
    assert p.status == Participation.Status.INVALID
    assert p.invalid_reason in ("too_fast", "patterned")
    assert p.risk == ""
    new = services.offer_retest(actor=sw.counsellor, participation=p)
    assert new.retest_of == p and new.status == Participation.Status.PENDING
    assert new.code != p.code


def test_crisis_item_raises_an_alert_at_once_to_the_schools_counsellors(
    sw, client, django_capture_on_commit_callbacks
):
    c = make_campaign(sw, grades=[7])
    p = c.participations.get(student__key="A0702")
    client.post("/wellbeing/answer/", {"code": p.code})
    with (
        time_machine.travel(timezone.now() + dt.timedelta(minutes=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer_all(client, [1, 1, 0, 0, 0, 0, 0, 0, 1])
    alert = Alert.objects.get()
    assert (alert.reason, alert.scale, alert.status) == ("crisis", "phq9", "open")
    assert alert.student.key == "A0702"
    n = Notification.objects.filter(recipient=sw.counsellor)
    assert n.count() == 1 and n.get().url == alert.get_absolute_url()
    assert not Notification.objects.filter(recipient=sw.users["counsellor_b"]).exists()
    assert not Notification.objects.filter(recipient=sw.principal).exists()
    # The home page shows it until handled.
    from django.test import Client

    home = Client()
    home.force_login(sw.counsellor)
    assert 'data-testid="home-alert"' in home.get("/").content.decode()
    pc = Client()
    pc.force_login(sw.principal)
    assert "home-wellbeing-alerts" not in pc.get("/").content.decode()
    services.handle_alert(actor=sw.counsellor, alert=alert, note="已约谈，联系家长")
    assert 'data-testid="home-alert"' not in home.get("/").content.decode()


def test_two_counsellors_do_not_overwrite_each_other(sw):
    from tests.conftest import make_person
    from tests.wellbeing.helpers import permit

    a = sw.schools["school_a"].org_unit
    second = make_person("T104", "何心理", a, role="counsellor", username="counsellor_a2").user
    permit(second, a)
    c = make_campaign(sw, grades=[7])
    p = c.participations.get(student__key="A0701")
    services.enter_paper_answers(
        actor=sw.counsellor, participation=p, answers={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 2]}
    )
    alert = Alert.objects.get()
    version = alert.version
    services.handle_alert(
        actor=sw.counsellor, alert=alert, note="第一位老师的记录", expected_version=version
    )
    with pytest.raises(StaleObject):
        services.handle_alert(
            actor=second, alert=alert, note="第二位老师的记录", expected_version=version
        )
    alert.refresh_from_db()
    assert alert.note == "第一位老师的记录" and alert.handled_by == sw.counsellor


def test_paper_answers_are_checked_and_a_second_entry_refused(sw, chinese):
    c = make_campaign(sw, scales=("phq9", "gad7"), grades=[7])
    p = c.participations.get(student__key="A0701")
    with pytest.raises(ServiceError):
        services.enter_paper_answers(
            actor=sw.counsellor, participation=p, answers={"phq9": [0] * 9}
        )
    with pytest.raises(ServiceError):
        services.enter_paper_answers(
            actor=sw.counsellor, participation=p, answers={"phq9": [0] * 9, "gad7": [4] * 7}
        )
    p.refresh_from_db()
    assert p.status == Participation.Status.PENDING and p.answers == {}
    services.enter_paper_answers(
        actor=sw.counsellor,
        participation=p,
        answers={"phq9": [3, 3, 3, 3, 2, 2, 2, 2, 0], "gad7": [1, 1, 1, 1, 0, 0, 0]},
    )
    p.refresh_from_db()
    assert p.on_paper and p.status == Participation.Status.FINISHED
    assert p.results["phq9"]["level"] == "severe" and p.results["gad7"]["level"] == "minimal"
    with pytest.raises(ServiceError):
        services.enter_paper_answers(
            actor=sw.counsellor, participation=p, answers={"phq9": [0] * 9, "gad7": [0] * 7}
        )
    # The counsellor of another school cannot even find it.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.enter_paper_answers(actor=sw.users["counsellor_b"], participation=p, answers={})


def test_risk_rules_set_levels_and_a_campaign_is_scored_as_a_job(
    sw, django_capture_on_commit_callbacks
):
    bureau = sw.units["linwei_bureau"]
    RiskRule.objects.create(
        org_unit=bureau, scale="phq9", level="red", order=1, min_total=20, alert=True
    )
    RiskRule.objects.create(org_unit=bureau, scale="phq9", level="orange", order=2, min_total=10)
    RiskRule.objects.create(org_unit=bureau, scale="phq9", level="yellow", order=3, items={"1": 2})
    c = make_campaign(sw)
    parts = {p.student.key: p for p in c.participations.select_related("student")}
    for key, answers in (
        ("A0701", [3, 3, 3, 3, 3, 3, 2, 0, 0]),
        ("A0702", [2, 2, 2, 2, 2, 0, 0, 0, 0]),
        ("A0801", [2, 0, 1, 0, 0, 0, 0, 0, 0]),
    ):
        services.enter_paper_answers(
            actor=sw.counsellor, participation=parts[key], answers={"phq9": answers}
        )
    risks = dict(c.participations.values_list("student__key", "risk"))
    assert risks == {"A0701": "red", "A0702": "orange", "A0801": "yellow"}
    assert Alert.objects.filter(reason="risk").count() == 1
    # A changed rule applies when the campaign is scored again (a core job).
    RiskRule.objects.filter(level="orange").update(min_total=11)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_scoring(actor=sw.counsellor, campaign=c)
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.message
    assert job.result == {"scored": 3, "alerts": 0}
    assert dict(c.participations.values_list("student__key", "risk"))["A0702"] == "yellow"
    assert Alert.objects.count() == 1  # raised once


def test_audit_never_holds_a_name_or_note_in_clear(sw):
    c = make_campaign(sw, grades=[7])
    p = c.participations.get(student__key="A0701")
    services.enter_paper_answers(
        actor=sw.counsellor, participation=p, answers={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}
    )
    services.handle_alert(actor=sw.counsellor, alert=Alert.objects.get(), note="家访记录")
    texts = " ".join(f"{a.changes} {a.message} {a.object_repr}" for a in AuditLog.objects.all())
    assert "林小雨" not in texts and "家访记录" not in texts


def test_guessing_codes_is_limited_per_address(sw, client):
    from django.core.cache import cache
    from django.test.utils import override_settings

    cache.clear()
    p = make_campaign(sw).participations.first()
    with override_settings(WELLBEING_CODE_ATTEMPTS_PER_MINUTE=3):
        codes = [
            client.post("/wellbeing/answer/", {"code": f"WRONG{i:05d}"}).status_code
            for i in range(3)
        ]
        # over the limit, even the right code is refused: the guesser learns nothing
        r = client.post("/wellbeing/answer/", {"code": p.code})
    assert codes == [200, 200, 200] and r.status_code == 429
    assert "请一分钟后再试" in r.content.decode()
    assert client.get("/wellbeing/answer/question/").status_code != 200


def test_scoring_again_raises_a_new_alert_once_and_keeps_the_results(
    sw, django_capture_on_commit_callbacks
):
    """The job scores in batches: a rule that now alerts raises one alert for the
    questionnaire it matches — once, however often the campaign is scored — and the
    results and levels it writes are what scoring one questionnaire writes."""
    bureau = sw.units["linwei_bureau"]
    RiskRule.objects.create(org_unit=bureau, scale="phq9", level="orange", order=1, min_total=10)
    c = make_campaign(sw)
    p = c.participations.get(student__key="A0702")
    services.enter_paper_answers(
        actor=sw.counsellor, participation=p, answers={"phq9": [2, 2, 2, 2, 2, 2, 0, 0, 0]}
    )
    p.refresh_from_db()
    before = (p.results, p.risk)
    assert before[1] == "orange" and not Alert.objects.exists()
    RiskRule.objects.filter(level="orange").update(alert=True)
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.start_scoring(actor=sw.counsellor, campaign=c)
        assert Job.objects.get(pk=job.pk).status == "succeeded"
    assert list(Alert.objects.values_list("participation_id", "reason", "scale")) == [
        (p.pk, "risk", "phq9")
    ]
    assert Job.objects.get(pk=job.pk).result == {"scored": 1, "alerts": 0}  # the second run
    p.refresh_from_db()
    assert (p.results, p.risk) == before and p.results["phq9"]["total"] == 12
