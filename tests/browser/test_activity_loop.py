"""The whole loop of a research activity, in a real browser.

The district researcher writes a plan with a monthly theme, creates a hybrid activity on
that theme with a sub-venue at the teacher's school, invites 临渭区's math teachers and
publishes it; the teacher checks in on a phone with the code shown on the check-in
screen and rates the activity; the researcher closes the activity, writes the minutes and
sees attendance and feedback; the teacher finds the credited hours.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from jiaoyan.activities.models import Activity, Participation
from jiaoyan.hours.models import HoursRecord
from tests.activities.conftest import wrong_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _reseed():
    """A transactional test that ran before this one flushed the database, the seeded
    stages and subjects (a data migration) with it: put them back."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)


@pytest.fixture(autouse=True)
def _seeded(transactional_db):
    _reseed()
    yield


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_plan_activity_invite_check_in_close_minutes_feedback_hours(
    world, live_server, page, phone_page, login
):
    base = live_server.url
    page.on("dialog", lambda d: d.accept())
    login(page, "district_researcher")

    # 1. A plan with a theme for this month, published.
    month = timezone.localdate().month
    page.goto(f"{base}/activities/plans/new/")
    page.fill("#id_title", "临渭区初中数学年度研修计划")
    page.select_option("#id_org_unit", label="临渭区教师发展中心")
    page.click("[data-testid=save]")
    page.click("[data-testid=add-theme]")
    page.select_option("#id_month", str(month))
    page.fill("#id_title", "大单元教学设计")
    page.click("[data-testid=save]")
    page.click("[data-testid=publish-plan]")
    assert page.locator("[data-testid=plan-status]").inner_text() == "已发布"
    assert page.locator("[data-testid=theme-empty]").count() == 1

    # 2. A hybrid activity on that theme (starting in a few minutes), with a sub-venue.
    page.click("[data-testid=plan-activity]")
    start = timezone.now() + dt.timedelta(minutes=5)
    page.fill("#id_title", "函数单元同课异构")
    page.select_option("#id_kind", "same_lesson")
    page.select_option("#id_mode", "hybrid")
    page.fill("#id_starts_at", _local(start))
    page.fill("#id_ends_at", _local(start + dt.timedelta(hours=2)))
    page.fill("#id_hours", "3")
    page.fill("#id_venue_name", "区教师发展中心报告厅")
    page.fill("#id_venue_address", "临渭区人民路1号")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/activities/\d+/$"))
    activity = Activity.objects.get(title="函数单元同课异构")
    assert activity.theme is not None and activity.level == "county"
    page.click("[data-testid=add-venue]")
    page.fill("#id_name", "一中分会场")
    page.fill("#id_unit_code", "6105020001")
    page.fill("#id_address", "一中录播教室")
    page.fill("#id_capacity", "40")
    page.click("[data-testid=save]")
    assert page.locator("[data-testid=venue-row]").count() == 2

    # 3. Invite the district's math teachers, then publish.
    page.click("[data-testid=invite]")
    page.select_option("#id_within", label="临渭区")
    page.select_option("#id_subject", label="数学")
    page.click("[data-testid=preview]")
    assert "1" in page.locator("[data-testid=invite-preview]").inner_text()
    page.click("[data-testid=confirm-invite]")
    page.click("[data-testid=publish]")
    assert page.locator("[data-testid=status]").first.inner_text() == "已发布"

    # 4. The sub-venue's check-in screen shows a code and a QR code.
    sub = activity.venues.get(is_main=False)
    page.goto(f"{base}/activities/venues/{sub.pk}/projector/")
    code = page.locator("[data-testid=checkin-code]").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert page.locator("[data-testid=qr]").get_attribute("src").startswith("data:image/svg")

    # 5. The teacher, on a phone: the invitation is on the home page; check in by code.
    login(phone_page, "teacher")
    assert "函数单元同课异构" in phone_page.locator("[data-testid=home-activities]").inner_text()
    phone_page.click("text=函数单元同课异构")
    phone_page.click("[data-testid=go-checkin]")
    phone_page.fill("#id_code", wrong_code(activity, code))
    phone_page.click("[data-testid=checkin-submit]")
    assert "签到码错误" in phone_page.locator("[data-testid=code-error]").inner_text()
    phone_page.fill("#id_code", code)
    phone_page.click("[data-testid=checkin-submit]")
    done = phone_page.locator("[data-testid=checkin-done]").inner_text()
    assert "签到成功" in done and "一中分会场" in done
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the check-in page must fit a phone's width"
    part = Participation.objects.get(activity=activity, person=world.people["teacher"])
    assert part.attended and part.venue == sub

    # …and rates it.
    phone_page.goto(f"{base}/activities/{activity.pk}/feedback/")
    phone_page.click("text=★★★★★")
    phone_page.fill("#id_comment", "对大单元设计很有启发")
    phone_page.click("[data-testid=feedback-submit]")

    # 6. The organiser closes the activity, writes the minutes, sees attendance and feedback.
    page.goto(f"{base}/activities/{activity.pk}/")
    page.click("[data-testid=finish]")
    assert page.locator("[data-testid=status]").first.inner_text() == "已结束"
    page.click("[data-testid=minutes]")
    page.fill("#id_minutes", "一、展示了两节函数课。\n二、议定下月在二中继续研讨。")
    page.click("[data-testid=save-minutes]")
    assert "展示了两节函数课" in page.locator("[data-testid=minutes-text]").inner_text()
    feedback = page.locator("[data-testid=feedback-card]").inner_text()
    assert "对大单元设计很有启发" in feedback and "5" in feedback
    page.click("[data-testid=attendance]")
    counts = page.locator("[data-testid=venue-counts]").inner_text()
    assert "已签到 1" in counts.replace("\n", " ")

    # 7. The teacher sees the credited hours.
    phone_page.goto(f"{base}/hours/")
    assert phone_page.locator("[data-testid=hours-this-year]").inner_text() == "3.0"
    assert "函数单元同课异构" in phone_page.locator("[data-testid=hours-row]").inner_text()
    assert HoursRecord.objects.get(person=world.people["teacher"]).hours == 3
