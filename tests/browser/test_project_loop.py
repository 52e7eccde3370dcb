"""The life of a research project (课题), in a real browser.

The city admin publishes a call (the form); the teacher applies to it with the
application form as a file; two experts of the city's research office are assigned and
score it on their review form; the city approves it in a batch from the call's page and
it gets its project number; the teacher files the opening report, which the city
accepts; with the clock moved past the mid-term deadline the periodic reminder tells the
teacher, who sees it among her notifications, files the mid-term report, then the final
report; the experts grade the conclusion and the city concludes the project 优秀.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.core import jobs
from jiaoyan.projects.models import Project
from tests.conftest import make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def _as(page, login, username):
    other = page.context.browser.new_context(locale="zh-CN").new_page()
    other.set_default_timeout(15000)
    login(other, username)
    return other


def _review(page, login, base, username, **fields):
    pg = _as(page, login, username)
    pg.goto(f"{base}/projects/reviews/")
    pg.get_by_test_id("review-row").first.get_by_role("link").click()
    pg.fill("#id_score", "92")
    for name, value in fields.items():
        pg.select_option(f"#id_{name}", value)
    pg.fill("#id_opinion", "研究扎实")
    pg.get_by_test_id("save").click()
    pg.wait_for_url(f"{base}/projects/reviews/")
    pg.context.close()


def _file_stage(pg, base, p, stage, name):
    pg.goto(f"{base}/projects/{p.pk}/")
    form = pg.locator(f"form[action='/projects/{p.pk}/file/']")
    form.locator("select[name=stage]").select_option(stage)
    form.locator("input[name=report]").set_input_files(_file(name))
    form.get_by_test_id("file-stage-submit").click()
    pg.wait_for_url(f"{base}/projects/{p.pk}/")


def _accept(pg, base, p, stage):
    pg.goto(f"{base}/projects/{p.pk}/")
    form = pg.locator(f"form[action='/projects/{p.pk}/accept/']")
    form.locator("select[name=stage]").select_option(stage)
    form.get_by_test_id("accept-stage").click()
    pg.wait_for_url(f"{base}/projects/{p.pk}/")


def _assign(pg, base, p):
    pg.goto(f"{base}/projects/{p.pk}/")
    form = pg.locator(f"form[action='/projects/{p.pk}/experts/']")
    form.locator("input[name=experts]").fill("E001 E002")
    form.get_by_test_id("assign-experts").click()
    pg.wait_for_url(f"{base}/projects/{p.pk}/")


def test_call_application_review_approval_stages_and_conclusion(
    world, live_server, page, phone_page, login
):
    base = live_server.url
    w = world
    inst = w.units["city_institute"]
    make_person("E001", "郑专家", inst, role="researcher", username="expert_a")
    make_person("E002", "孙专家", inst, role="researcher", username="expert_b")
    today = timezone.localdate()

    # 1. The city publishes a call.
    login(page, "city_admin")
    page.goto(f"{base}/projects/calls/new/")
    page.fill("#id_title", "渭南市教育科研课题指南")
    page.select_option("#id_org_unit", str(w.units["city_bureau"].pk))
    page.select_option("#id_level", "city")
    page.fill("#id_year", str(today.year))
    page.fill("#id_opens_on", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_closes_on", (today + dt.timedelta(days=30)).isoformat())
    page.fill("#id_topics", "作业设计")
    page.get_by_test_id("save").click()
    page.get_by_test_id("publish-call").click()
    assert page.get_by_test_id("call-status").inner_text().strip() == "接受申报"
    call_url = page.url

    # 2. The teacher applies on her phone, with the application form.
    login(phone_page, "teacher")
    phone_page.goto(call_url)
    phone_page.get_by_test_id("apply-to-call").click()
    phone_page.fill("#id_title", "初中数学作业分层设计研究")
    phone_page.fill("#id_theme", "作业设计")
    phone_page.fill("#id_opening_due", (today + dt.timedelta(days=60)).isoformat())
    phone_page.fill("#id_midterm_due", (today + dt.timedelta(days=200)).isoformat())
    phone_page.fill("#id_conclusion_due", (today + dt.timedelta(days=400)).isoformat())
    phone_page.set_input_files("#id_application_form", _file("申报书.pdf"))
    phone_page.get_by_test_id("save").click()
    phone_page.get_by_test_id("project-status").wait_for()
    p = Project.objects.get()

    # 3. Two experts are assigned and score it; 4. the city approves it in a batch.
    _assign(page, base, p)
    _review(page, login, base, "expert_a", verdict="approve")
    _review(page, login, base, "expert_b", verdict="approve")
    page.goto(call_url)
    page.get_by_test_id(f"pick-{p.pk}").check()
    page.get_by_test_id("decide").click()
    page.goto(f"{base}/projects/{p.pk}/")
    number = f"610500901-{today.year}-0001"
    assert page.get_by_test_id("project-number").inner_text().strip() == number

    # 5. The opening report, accepted.
    _file_stage(phone_page, base, p, "opening", "开题报告.pdf")
    _accept(page, base, p, "opening")
    p.refresh_from_db()
    assert p.stage == "midterm"

    # 6. The mid-term deadline passes: the periodic reminder tells the teacher.
    with time_machine.travel(p.midterm_due + dt.timedelta(days=2), tick=False):
        assert "projects.remind_overdue" in jobs.schedule_due()
    phone_page.goto(f"{base}/notifications/")
    assert "中期检查" in phone_page.content()

    # 7. Mid-term, then the conclusion with its final report, graded by the experts.
    _file_stage(phone_page, base, p, "midterm", "中期报告.pdf")
    _accept(page, base, p, "midterm")
    _file_stage(phone_page, base, p, "conclusion", "结题报告.pdf")
    _assign(page, base, p)
    _review(page, login, base, "expert_a", grade="excellent")
    _review(page, login, base, "expert_b", grade="excellent")
    page.goto(f"{base}/projects/{p.pk}/")
    form = page.locator(f"form[action='/projects/{p.pk}/conclude/']")
    form.locator("select[name=grade]").select_option("excellent")
    form.get_by_test_id("conclude").click()
    page.wait_for_url(f"{base}/projects/{p.pk}/")
    assert "已结题" in page.get_by_test_id("project-status").inner_text()
    p.refresh_from_db()
    assert (p.status, p.grade, p.number) == ("concluded", "excellent", number)
