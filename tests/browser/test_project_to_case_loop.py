"""Issue 15's one browser scenario, from a call to the PI's points.

The city publishes a call whose applications the counties forward (区县推荐), with 临渭区's
quota of one; the teacher applies on her phone; the district researcher forwards it within
the quota; two experts score it and the city approves it with its number; the teacher files
the opening report, is reminded when the mid-term check is overdue (the clock moved past its
deadline), files it, and the project concludes 优秀; a typical case from the project is
recommended by her school, sent on by the county and selected by the city; another school
records adopting it; the teacher's points rise by the point table's figures.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.core import jobs
from jiaoyan.outcomes.models import Entry, Outcome, PointRule, SelectionRound
from jiaoyan.projects.models import Project
from tests.browser.test_outcome_loop import _points
from tests.browser.test_project_loop import _accept, _assign, _file, _file_stage, _review
from tests.conftest import make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]
PROJECT_TABLE = [
    ("project_approved", "city", 15),
    ("project_excellent", "", 10),
]


def _switch(page, login, username):
    page.context.clear_cookies()
    login(page, username)


def _table(code: str, level: str) -> int:
    return int(PointRule.objects.get(code=code, level=level).points)


def test_call_to_project_to_typical_case_to_points(world, live_server, page, phone_page, login):
    from tests.outcomes.conftest import make_round, set_table

    base = live_server.url
    w = world
    set_table(w)
    set_table(w, PROJECT_TABLE)
    inst = w.units["city_institute"]
    make_person("E001", "郑专家", inst, role="researcher", username="expert_a")
    make_person("E002", "孙专家", inst, role="researcher", username="expert_b")
    make_person("C001", "市级专家", inst, role="researcher", username="city_expert")
    make_person(
        "T102", "王校长", w.schools["school_b"].org_unit, role="principal", username="principal_b"
    )
    today = timezone.localdate()
    login(phone_page, "teacher")
    assert _points(phone_page, base) == "0"

    # 1. The city publishes a call the counties forward to, 临渭区 with one place.
    login(page, "city_admin")
    page.goto(f"{base}/projects/calls/new/")
    page.fill("#id_title", "渭南市教育科研课题指南")
    page.select_option("#id_org_unit", str(w.units["city_bureau"].pk))
    page.select_option("#id_level", "city")
    page.fill("#id_year", str(today.year))
    page.fill("#id_opens_on", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_closes_on", (today + dt.timedelta(days=30)).isoformat())
    page.check("#id_forwarding")
    page.fill("#id_topics", "作业设计")
    page.get_by_test_id("save").click()
    call_url = page.url
    form = page.locator("form[action$='/quota/']")
    form.locator("input[name=unit]").fill(w.units["linwei"].code)
    form.locator("input[name=quota]").fill("1")
    form.get_by_role("button").click()
    page.get_by_test_id("publish-call").click()
    assert page.get_by_test_id("call-status").inner_text().strip() == "接受申报"
    assert "区县在名额内推荐" in page.get_by_test_id("call-forwarding").inner_text()

    # 2. The teacher applies on her phone, with the application form.
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
    assert p.forwarded_on is None

    # 3. The county forwards it, within its quota of one.
    county = page.context.browser.new_context(locale="zh-CN").new_page()
    county.set_default_timeout(15000)
    login(county, "district_researcher")
    county.goto(call_url)
    county.get_by_test_id(f"forward-{p.pk}").click()
    county.wait_for_url(call_url)
    assert county.get_by_test_id(f"forwarded-{p.pk}").inner_text().strip() == today.isoformat()
    county.context.close()

    # 4. Two experts score it; the city approves it with its number.
    _assign(page, base, p)
    _review(page, login, base, "expert_a", verdict="approve")
    _review(page, login, base, "expert_b", verdict="approve")
    page.goto(call_url)
    page.get_by_test_id(f"pick-{p.pk}").check()
    page.get_by_test_id("decide").click()
    page.goto(f"{base}/projects/{p.pk}/")
    number = f"{w.units['city_bureau'].code}-{today.year}-0001"
    assert page.get_by_test_id("project-number").inner_text().strip() == number

    # 5. The opening report, accepted; the mid-term deadline passes: she is reminded.
    _file_stage(phone_page, base, p, "opening", "开题报告.pdf")
    _accept(page, base, p, "opening")
    p.refresh_from_db()
    with time_machine.travel(p.midterm_due + dt.timedelta(days=2), tick=False):
        assert "projects.remind_overdue" in jobs.schedule_due()
    phone_page.goto(f"{base}/notifications/")
    assert "中期检查" in phone_page.content()

    # 6. Mid-term filed and accepted; the conclusion, graded 优秀.
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

    # 7. A typical case from the project, submitted by the teacher.
    rnd = make_round(w)
    phone_page.goto(f"{base}/outcomes/new/")
    phone_page.select_option("#id_org_unit", label="临渭区第一初级中学")
    phone_page.select_option("#id_kind", "case")
    phone_page.fill("#id_title", "初中数学分层作业的典型案例")
    phone_page.select_option("#id_project", str(p.pk))
    phone_page.click("[data-testid=save]")
    phone_page.wait_for_url(re.compile(r"/outcomes/\d+/$"))
    case = Outcome.objects.get(title="初中数学分层作业的典型案例")
    assert case.project_id == p.pk

    # 8. Her school recommends it; the county sends it on; the city selects it.
    _switch(page, login, "principal")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/")
    page.locator("[data-testid=candidate]", has_text=case.title).locator(
        "[data-testid=recommend]"
    ).click()
    assert Entry.objects.filter(outcome=case, level="school").exists()
    _switch(page, login, "district_researcher")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.click("[data-testid=recommend-on]")
    assert Entry.objects.filter(outcome=case, level="county").exists()
    _switch(page, login, "city_admin")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.fill("[data-testid=expert-form] input[name=expert]", "C001")
    page.click("[data-testid=expert-form] button")
    _switch(page, login, "city_expert")
    page.goto(f"{base}/outcomes/scores/")
    page.fill("[data-testid=score-form] input[name=score]", "92")
    page.click("[data-testid=score-form] button")
    _switch(page, login, "city_admin")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.click("[data-testid=recommend-on]")
    assert Entry.objects.filter(outcome=case, level="city").exists()
    yesterday = today - dt.timedelta(days=1)
    SelectionRound.objects.filter(pk=rnd.pk).update(
        opens_on=yesterday - dt.timedelta(days=5), closes_on=yesterday
    )
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/")
    page.click("[data-testid=announce]")
    page.wait_for_selector("[data-testid=results-city]")

    # 9. Another school records adopting it.
    _switch(page, login, "principal_b")
    page.goto(f"{base}/outcomes/{case.pk}/")
    assert "市级遴选" in page.locator("[data-testid=honours]").inner_text()
    page.fill("#id_org_unit", w.schools["school_b"].org_unit.code)
    page.fill("#id_adopted_on", today.isoformat())
    page.fill("#id_feedback", "学生作业时间明显减少")
    page.click("[data-testid=adopt]")
    assert page.locator("[data-testid=adoption-count]").inner_text() == "1"

    # 10. The PI's points rose by the table's figures: approval at city level, the 优秀
    # bonus, a typical case selected at city level, one adoption (15 + 10 + 15 + 2).
    expected = (
        _table("project_approved", "city")
        + _table("project_excellent", "")
        + _table("case_selected", "city")
        + _table("adopted", "")
    )
    assert expected == 42
    assert _points(phone_page, base) == str(expected)
