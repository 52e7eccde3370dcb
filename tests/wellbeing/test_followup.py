"""The follow-up workflow (一生一策): interview → district review → referral → visits →
closed; escalation of an overdue visit or a worsening level to the district; versioned
steps; bad input refused with a Chinese message and nothing written; texts encrypted at
rest and masked in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.jobs import start_job
from jiaoyan.core.models import AuditLog, Notification
from jiaoyan.wellbeing import services_followup as fs
from jiaoyan.wellbeing.models import Alert, FollowUpCase, FollowUpEntry
from tests.wellbeing.followup_helpers import followup_world

pytestmark = pytest.mark.usefixtures("chinese")

TODAY = timezone.localdate


@pytest.fixture
def w(world):
    return followup_world(world)


def _interview(w, *, level="attention", review=False, on=None, **kw):
    return fs.record_interview(
        actor=w.counsellor,
        alert=w.alert,
        on=on or TODAY(),
        assessment=kw.pop("assessment", "学生近期与父母冲突，睡眠差，有消极念头但无计划"),
        plan=kw.pop("plan", "每两周约谈一次，联系家长，必要时转介"),
        level=level,
        review=review,
        **kw,
    )


def _state():
    return (
        list(FollowUpCase.objects.order_by("pk").values_list("status", "level", "version")),
        FollowUpEntry.objects.count(),
        list(Alert.objects.order_by("pk").values_list("status", "version")),
    )


def test_the_whole_workflow_from_interview_to_closing(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = _interview(w, review=True, every_days=7)
    assert case.status == "review" and case.level == "attention"
    assert case.next_due == TODAY() + dt.timedelta(days=7)
    alert = Alert.objects.get(pk=w.alert.pk)
    assert alert.status == "handled" and alert.handled_by == w.counsellor
    # The district is told a review awaits it; the school's counsellor may not review.
    assert Notification.objects.filter(
        recipient=w.users["district_counsellor"], title="有随访个案待区县复核"
    ).exists()
    with pytest.raises(ServiceError) as e:
        fs.review_case(actor=w.counsellor, case=case, note="自审")
    assert e.value.text == "只有区县心理筛查工作人员可以复核随访个案。"
    with pytest.raises(ServiceError) as e:
        fs.close_case(actor=w.counsellor, case=case, reason="recovered")
    assert e.value.text == "区县尚未复核该随访个案。"
    case = fs.review_case(
        actor=w.users["district_counsellor"], case=case, note="同意干预计划，建议转介"
    )
    assert case.status == "follow_up"
    case = fs.refer_case(
        actor=w.counsellor, case=case, institution="渭南市精神卫生中心", on=TODAY()
    )
    assert case.referred
    case = fs.record_visit(
        actor=w.counsellor, case=case, on=TODAY(), note="情绪较前平稳", level="watch"
    )
    assert case.level == "watch" and case.status == "follow_up"
    case = fs.close_case(actor=w.counsellor, case=case, reason="recovered", note="复查正常")
    assert case.status == "closed" and case.next_due is None and case.close_reason == "recovered"
    kinds = list(case.entries.order_by("id").values_list("kind", flat=True))
    assert kinds == ["interview", "review", "referral", "visit", "close"]
    interview = case.entries.get(kind="interview")
    assert interview.plan == "每两周约谈一次，联系家长，必要时转介"
    assert interview.by == w.counsellor
    # Closed: no step any more.
    with pytest.raises(ServiceError) as e:
        fs.record_visit(actor=w.counsellor, case=case, on=TODAY(), note="再访", level="watch")
    assert e.value.text == "该随访个案已结案。"
    # The audit log never holds what was said.
    logged = " ".join(
        str(r.changes) + r.message for r in AuditLog.objects.filter(object_id=case.pk)
    )
    for text in ("睡眠差", "每两周", "精神卫生中心", "情绪较前平稳", "复查正常", "同意干预"):
        assert text not in logged
    assert "***" in logged


def test_a_crisis_level_always_goes_to_the_district(w):
    case = _interview(w, level="crisis", review=False)
    assert case.status == "review"


def test_a_second_interview_of_one_alert_is_refused(w):
    _interview(w)
    before = _state()
    with pytest.raises(ServiceError) as e:
        _interview(w)
    assert e.value.text == "该预警已记录约谈。"
    assert _state() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"level": "purple"}, "level", "请选择关注等级。"),
        ({"assessment": "  "}, "assessment", "评估不能为空。"),
        ({"on": dt.date(2100, 1, 1)}, "on", "日期不能晚于今天。"),
        ({"every_days": 0}, "every_days", "随访间隔应为 1 至 180 天。"),
    ],
)
def test_a_bad_interview_writes_nothing(w, changes, field, message):
    before = _state()
    with pytest.raises(ServiceError) as e:
        _interview(w, **changes)
    assert (e.value.field, e.value.text) == (field, message)
    assert _state() == before


def test_two_counsellors_do_not_overwrite_each_other(w):
    stale = w.alert.version
    case = _interview(w, expected_version=stale)
    seen = case.version
    fs.record_visit(
        actor=w.counsellor,
        case=case,
        on=TODAY(),
        note="第一次",
        level="attention",
        expected_version=seen,
    )
    before = _state()
    with pytest.raises(ServiceError) as e:
        fs.record_visit(
            actor=w.counsellor,
            case=case,
            on=TODAY(),
            note="第二次",
            level="watch",
            expected_version=seen,
        )
    assert isinstance(e.value, StaleObject)
    assert "其他人修改了这条记录" in e.value.text and "刷新" in e.value.text
    assert _state() == before


def test_a_visit_before_the_interview_is_refused(w):
    case = _interview(w, on=TODAY() - dt.timedelta(days=3))
    before = _state()
    with pytest.raises(ServiceError) as e:
        fs.record_visit(
            actor=w.counsellor,
            case=case,
            on=TODAY() - dt.timedelta(days=5),
            note="x",
            level="watch",
        )
    assert e.value.text == f"日期不能早于约谈日期（{TODAY() - dt.timedelta(days=3)}）。"
    assert _state() == before


def test_a_worsening_level_escalates_to_the_district(w, django_capture_on_commit_callbacks):
    case = _interview(w, level="watch")
    with django_capture_on_commit_callbacks(execute=True):
        case = fs.record_visit(
            actor=w.counsellor, case=case, on=TODAY(), note="又出现自伤行为", level="high"
        )
    assert (case.status, case.escalation) == ("review", "worse")
    assert list(case.entries.values_list("kind", flat=True)).count("escalation") == 1
    note = Notification.objects.get(recipient=w.users["district_counsellor"])
    assert note.title == "有随访个案上报区县"
    assert not Notification.objects.filter(
        recipient=w.users["counsellor_b"], title="有随访个案上报区县"
    ).exists()
    case = fs.review_case(actor=w.users["district_counsellor"], case=case, note="已介入")
    assert (case.status, case.escalation) == ("follow_up", "")


def _noon_in(days: int) -> dt.datetime:
    """Noon (local time) ``days`` from today: a moved clock that lands on that day
    whatever the hour the test runs at."""
    day = TODAY() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def test_an_overdue_visit_escalates_once(w, django_capture_on_commit_callbacks):
    case = _interview(w, every_days=7)
    with time_machine.travel(_noon_in(7)):
        assert fs.escalate_overdue() == 0  # due today is not overdue yet
    with time_machine.travel(_noon_in(9)):
        with django_capture_on_commit_callbacks(execute=True):
            job = start_job("wellbeing.escalate_overdue", defer=False)
        job.refresh_from_db()
        assert job.status == "succeeded" and job.result == {"escalated": 1}
        case.refresh_from_db()
        assert (case.status, case.escalation) == ("review", "overdue")
        assert fs.escalate_overdue() == 0
    assert Notification.objects.filter(recipient=w.users["district_counsellor"]).count() == 1
    # A visit answers the overdue escalation; the district still reviews.
    case = fs.record_visit(
        actor=w.counsellor, case=case, on=TODAY(), note="补做随访", level="attention"
    )
    assert (case.status, case.escalation) == ("review", "")


@pytest.mark.django_db(transaction=True)
def test_the_database_file_holds_no_interview_text(world, tmp_path):
    w = followup_world(world)
    case = _interview(w, assessment="父母离异后长期失眠", plan="联系班主任共同关注")
    fs.refer_case(
        actor=w.counsellor,
        case=case,
        institution="渭南市第二医院心理科",
        on=TODAY(),
        outcome="诊断为中度抑郁",
    )
    fs.record_visit(actor=w.counsellor, case=case, on=TODAY(), note="服药后好转", level="watch")
    if connection.vendor == "sqlite":
        target = tmp_path / "dump.sqlite3"
        with connection.cursor() as cur:
            cur.execute("VACUUM INTO %s", [str(target)])
        data = target.read_bytes()
    else:
        chunks = []
        with connection.cursor() as cur:
            for table in connection.introspection.table_names(cur):
                cur.execute(f'SELECT t::text FROM "{table}" t')
                chunks.extend(r[0] for r in cur.fetchall())
        data = "\n".join(chunks).encode()
    for text in (
        "父母离异",
        "长期失眠",
        "联系班主任共同关注",
        "第二医院",
        "中度抑郁",
        "服药后好转",
    ):
        assert text.encode() not in data, text
    assert FollowUpEntry.objects.get(kind="interview").assessment == "父母离异后长期失眠"
