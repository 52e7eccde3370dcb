"""The follow-up after a crisis alert, on phone-sized screens: two students of 七年级1班
answer (one answering PHQ-9 item 9 above 0); the alert is on the counsellor's home page at
once; the counsellor records the interview, a referral and a follow-up visit; the class
teacher sees only "follow-up due" for the student; the principal's figures show "<10" for
the class; the audit log lists every read with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.core.models import AuditLog
from jiaoyan.wellbeing.models import Alert, FollowUpCase
from tests.browser.test_screening_loop import _answer, start_class_campaign
from tests.wellbeing.followup_helpers import followup_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASSESSMENT = "与父母争吵后情绪低落，有消极念头，无具体计划"


def _phone(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    pg = context.new_page()
    pg.set_default_timeout(15000)
    return context, pg


def test_interview_referral_visit_class_teacher_and_figures(world, live_server, login, browser):
    w = followup_world(world, with_alert=False)
    base = live_server.url
    a = w.schools["school_a"].org_unit
    # The counsellor, on a phone, starts the screening of the class.
    ctx, pg = _phone(browser)
    login(pg, "counsellor")
    campaign = start_class_campaign(pg, base, a)
    codes = dict(campaign.participations.values_list("student__key", "code"))

    student_ctx, student = _phone(browser)
    later = timezone.now() + dt.timedelta(minutes=5)
    _answer(student, base, codes["A0701"], [0, 1, 0, 0, 1, 0, 0, 0, 1], later=later)
    student_ctx.clear_cookies()
    _answer(student, base, codes["A0702"], [1, 0, 0, 0, 0, 0, 0, 0, 0], later=later)
    student_ctx.close()
    assert Alert.objects.get().student.key == "A0701"

    # The counsellor: the alert on the home page at once, then the interview.
    pg.goto(f"{base}/")
    pg.wait_for_selector("[data-testid=home-alert]")
    pg.click("[data-testid=home-alert]")
    pg.fill("#id_reason", "处理危机预警")
    pg.click("[data-testid=reason-form] button")
    pg.click("[data-testid=interview-link]")
    pg.wait_for_selector("[data-testid=interview-form]")
    pg.select_option("#id_level", "attention")
    pg.fill("#id_assessment", ASSESSMENT)
    pg.fill("#id_plan", "两天后随访，联系家长，建议就医评估")
    pg.fill("#id_every_days", "2")
    assert pg.input_value("#id_on") == str(timezone.localdate())
    pg.click("[data-testid=save]")
    pg.fill("#id_reason", "记录约谈后核对")
    pg.click("[data-testid=reason-form] button")
    assert ASSESSMENT in pg.inner_text("[data-testid=case-entries]")
    case = FollowUpCase.objects.get()
    assert case.status == "follow_up" and Alert.objects.get().status == "handled"

    pg.fill("#id_referral-institution", "渭南市精神卫生中心")
    pg.click("[data-testid=referral-form-save]")
    pg.wait_for_selector("[data-testid=entry-referral]")
    pg.fill("#id_visit-note", "情绪平稳，已按时就诊")
    pg.select_option("#id_visit-level", "attention")
    pg.click("[data-testid=visit-form-save]")
    pg.wait_for_selector("[data-testid=entry-visit]")
    assert "渭南市精神卫生中心" in pg.inner_text("[data-testid=case-entries]")
    case.refresh_from_db()
    assert case.referred and case.entries.count() == 3
    assert pg.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scroll
    pg.goto(f"{base}/")
    assert pg.locator("[data-testid=home-alert]").count() == 0
    ctx.close()

    # The class teacher: only "follow-up due", nothing else.
    ctx, pg = _phone(browser)
    login(pg, "class_teacher")
    assert "A0701" in pg.inner_text("[data-testid=home-due]")
    pg.click("[data-testid=home-due-link]")
    table = pg.inner_text("[data-testid=due-table]")
    assert "A0701" in table and "需随访" in table
    body = pg.content()
    for secret in (ASSESSMENT, "精神卫生中心", "重点关注", "危机", "phq9", "林小雨"):
        assert secret not in body, secret
    ctx.close()

    # The principal: the class's figures are "<10".
    ctx, pg = _phone(browser)
    login(pg, "principal")
    pg.goto(f"{base}/wellbeing/campaigns/{campaign.pk}/")
    pg.click("[data-testid=figures-link]")
    pg.select_option("#id_by", "class")
    pg.click("[data-testid=show]")
    pg.wait_for_url("**by=class**")
    row = pg.locator("[data-testid=aggregate-row]", has_text="7年级1班").inner_text()
    assert "<10" in row
    assert "林小雨" not in pg.content() and "A0701" not in pg.content()
    ctx.close()

    # Every read of an identified record is in the audit log with its reason.
    reasons = [
        r.changes["reason"][1]
        for r in AuditLog.objects.filter(action="view", actor=w.counsellor).order_by("pk")
    ]
    assert reasons[:2] == ["处理危机预警", "记录约谈后核对"]
    assert len(reasons) == 4  # and once more after each step (the page comes back)
