"""A screening campaign in a real browser: the counsellor creates a campaign for a class
and opens it; two students answer on a phone (one answering PHQ-9 item 9 above 0); the
alert is on the counsellor's home page at once; the counsellor handles it; the principal's
summary shows "<10" for the school; the audit log holds every read."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.core.models import AuditLog
from jiaoyan.wellbeing.models import Alert, Campaign, Participation
from tests.wellbeing.helpers import screening_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer(phone, base, code, answers, *, later):
    phone.goto(f"{base}/wellbeing/answer/")
    phone.fill("#id_code", code)
    phone.click("[data-testid=start]")
    for i, value in enumerate(answers, start=1):
        phone.wait_for_selector("[data-testid=progress-text]")
        assert f"{i}" in phone.inner_text("[data-testid=progress-text]")
        phone.locator("[data-testid=option]").nth(value).click()
    with time_machine.travel(later, tick=True):
        phone.click("[data-testid=hand-in]")
        phone.wait_for_selector("[data-testid=thanks]")
    text = phone.inner_text("[data-testid=thanks]")
    assert "12355" in text


def start_class_campaign(page, base, school) -> Campaign:
    """The counsellor, logged in on ``page``, starts and opens a PHQ-9 screening of
    七年级1班 of ``school`` from the campaign form; the campaign, open, with its two
    students invited."""
    page.goto(f"{base}/wellbeing/campaigns/new/")
    page.fill("#id_name", "七年级一班心理筛查")
    page.select_option("#id_org_unit", str(school.pk))
    page.select_option("#id_schools", [str(school.pk)])
    page.select_option("#id_scales", ["phq9"])
    page.fill("#id_grades", "7")
    page.fill("#id_classes", "1班")
    now = timezone.localtime()
    page.fill("#id_starts_at", (now - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))
    page.fill("#id_ends_at", (now + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M"))
    page.fill("#id_help_text", "心理援助热线：12355")
    page.click("[data-testid=save]")
    page.click("[data-testid=open-campaign]")
    campaign = Campaign.objects.get()
    assert campaign.status == "open" and campaign.participations.count() == 2
    return campaign


def test_campaign_answers_alert_and_suppressed_summary(
    world, live_server, page, phone_page, login, browser
):
    screening_world(world)
    base = live_server.url
    login(page, "counsellor")
    campaign = start_class_campaign(page, base, world.schools["school_a"].org_unit)
    codes = dict(campaign.participations.values_list("student__key", "code"))

    later = timezone.now() + dt.timedelta(minutes=5)
    _answer(phone_page, base, codes["A0701"], [0, 1, 0, 0, 1, 0, 0, 0, 0], later=later)
    phone_page.context.clear_cookies()
    _answer(phone_page, base, codes["A0702"], [1, 1, 0, 0, 0, 0, 0, 0, 1], later=later)
    assert Participation.objects.filter(status="finished").count() == 2

    # The alert is on the counsellor's home page at once.
    page.goto(f"{base}/")
    page.wait_for_selector("[data-testid=home-alert]")
    page.click("[data-testid=home-alert]")
    page.fill("#id_reason", "处理危机预警")
    page.click("[data-testid=reason-form] button")
    page.fill("#id_note", "已约谈学生，联系家长，转介评估")
    page.click("[data-testid=save]")
    page.wait_for_url(f"{base}/wellbeing/alerts/")
    assert Alert.objects.get().status == "handled"
    page.goto(f"{base}/")
    assert page.locator("[data-testid=home-alert]").count() == 0

    # The principal sees the summary with small cells suppressed, and no name.
    context = browser.new_context(locale="zh-CN")
    other = context.new_page()
    login(other, "principal")
    other.goto(f"{base}/wellbeing/campaigns/{campaign.pk}/")
    summary = other.inner_text("[data-testid=campaign-summary]")
    assert "<10" in summary
    assert "高子墨" not in other.content() and codes["A0702"] not in other.content()
    context.close()
    # Every read of an identified record is in the audit log with its reason.
    assert AuditLog.objects.filter(action="view", actor=world.counsellor).exists()
