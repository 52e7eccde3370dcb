"""The steps of a research project's (课题) and a typical case's way that the browser tests
share: the project loop and the project-to-case loop walk the same road from the call to
the concluded project, and the outcome loop and the project-to-case loop the same road
from a submitted case to its adoption.

Each step drives the pages the way a person does and checks what they see.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from jiaoyan.outcomes.models import Entry, Outcome, SelectionRound
from jiaoyan.projects.models import Project
from tests.conftest import make_person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CASE_TITLE = "初中数学分层作业的典型案例"


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def as_user(page, login, username):
    """A new zh-CN browser context next to ``page``'s, signed in as ``username``."""
    other = page.context.browser.new_context(locale="zh-CN").new_page()
    other.set_default_timeout(15000)
    login(other, username)
    return other


def switch(page, login, username) -> None:
    page.context.clear_cookies()
    login(page, username)


def make_experts(world) -> None:
    """Two experts of the city's research office, E001 and E002."""
    inst = world.units["city_institute"]
    make_person("E001", "郑专家", inst, role="researcher", username="expert_a")
    make_person("E002", "孙专家", inst, role="researcher", username="expert_b")


def publish_call(page, base, world, quota_of_linwei: int | None = None) -> str:
    """The city admin (signed in on ``page``) publishes a call open since yesterday; with
    ``quota_of_linwei`` the counties forward its applications, 临渭区 within that quota.
    Returns the call's address."""
    today = timezone.localdate()
    page.goto(f"{base}/projects/calls/new/")
    page.fill("#id_title", "渭南市教育科研课题指南")
    page.select_option("#id_org_unit", str(world.units["city_bureau"].pk))
    page.select_option("#id_level", "city")
    page.fill("#id_year", str(today.year))
    page.fill("#id_opens_on", (today - dt.timedelta(days=1)).isoformat())
    page.fill("#id_closes_on", (today + dt.timedelta(days=30)).isoformat())
    if quota_of_linwei is not None:
        page.check("#id_forwarding")
    page.fill("#id_topics", "作业设计")
    page.get_by_test_id("save").click()
    call_url = page.url
    if quota_of_linwei is not None:
        form = page.locator("form[action$='/quota/']")
        form.locator("input[name=unit]").fill(world.units["linwei"].code)
        form.locator("input[name=quota]").fill(str(quota_of_linwei))
        form.get_by_role("button").click()
    page.get_by_test_id("publish-call").click()
    assert page.get_by_test_id("call-status").inner_text().strip() == "接受申报"
    return call_url


def apply_to_call(phone_page, call_url) -> Project:
    """The teacher (signed in on ``phone_page``) applies to the call with the application
    form as a file and sees her project's status."""
    today = timezone.localdate()
    phone_page.goto(call_url)
    phone_page.get_by_test_id("apply-to-call").click()
    phone_page.fill("#id_title", "初中数学作业分层设计研究")
    phone_page.fill("#id_theme", "作业设计")
    phone_page.fill("#id_opening_due", (today + dt.timedelta(days=60)).isoformat())
    phone_page.fill("#id_midterm_due", (today + dt.timedelta(days=200)).isoformat())
    phone_page.fill("#id_conclusion_due", (today + dt.timedelta(days=400)).isoformat())
    phone_page.set_input_files("#id_application_form", pdf_file("申报书.pdf"))
    phone_page.get_by_test_id("save").click()
    phone_page.get_by_test_id("project-status").wait_for()
    return Project.objects.get()


def review(page, login, base, username, **fields) -> None:
    """The expert ``username`` opens the first review on their list and scores it 92,
    with the given choices (``verdict=``, ``grade=``)."""
    pg = as_user(page, login, username)
    pg.goto(f"{base}/projects/reviews/")
    pg.get_by_test_id("review-row").first.get_by_role("link").click()
    pg.fill("#id_score", "92")
    for name, value in fields.items():
        pg.select_option(f"#id_{name}", value)
    pg.fill("#id_opinion", "研究扎实")
    pg.get_by_test_id("save").click()
    pg.wait_for_url(f"{base}/projects/reviews/")
    pg.context.close()


def file_stage(pg, base, p, stage, name) -> None:
    pg.goto(f"{base}/projects/{p.pk}/")
    form = pg.locator(f"form[action='/projects/{p.pk}/file/']")
    form.locator("select[name=stage]").select_option(stage)
    form.locator("input[name=report]").set_input_files(pdf_file(name))
    form.get_by_test_id("file-stage-submit").click()
    pg.wait_for_url(f"{base}/projects/{p.pk}/")


def accept(pg, base, p, stage) -> None:
    pg.goto(f"{base}/projects/{p.pk}/")
    form = pg.locator(f"form[action='/projects/{p.pk}/accept/']")
    form.locator("select[name=stage]").select_option(stage)
    form.get_by_test_id("accept-stage").click()
    pg.wait_for_url(f"{base}/projects/{p.pk}/")


def assign(pg, base, p) -> None:
    """The city (signed in on ``pg``) assigns the experts E001 and E002."""
    pg.goto(f"{base}/projects/{p.pk}/")
    form = pg.locator(f"form[action='/projects/{p.pk}/experts/']")
    form.locator("input[name=experts]").fill("E001 E002")
    form.get_by_test_id("assign-experts").click()
    pg.wait_for_url(f"{base}/projects/{p.pk}/")


def review_and_approve(page, login, base, p, call_url, number: str) -> None:
    """Two experts are assigned and approve; the city approves the project in a batch from
    the call's page and sees its number."""
    assign(page, base, p)
    review(page, login, base, "expert_a", verdict="approve")
    review(page, login, base, "expert_b", verdict="approve")
    page.goto(call_url)
    page.get_by_test_id(f"pick-{p.pk}").check()
    page.get_by_test_id("decide").click()
    page.goto(f"{base}/projects/{p.pk}/")
    assert page.get_by_test_id("project-number").inner_text().strip() == number


def remind_overdue_midterm(phone_page, base, p) -> None:
    """With the clock past the mid-term deadline the periodic reminder runs, and the
    teacher sees it among her notifications."""
    import time_machine

    from jiaoyan.core import jobs

    p.refresh_from_db()
    with time_machine.travel(p.midterm_due + dt.timedelta(days=2), tick=False):
        assert "projects.remind_overdue" in jobs.schedule_due()
    phone_page.goto(f"{base}/notifications/")
    assert "中期检查" in phone_page.content()


def midterm_and_conclusion(page, phone_page, login, base, p) -> None:
    """The mid-term report filed and accepted; the final report graded 优秀 by the experts;
    the city concludes the project 优秀."""
    file_stage(phone_page, base, p, "midterm", "中期报告.pdf")
    accept(page, base, p, "midterm")
    file_stage(phone_page, base, p, "conclusion", "结题报告.pdf")
    assign(page, base, p)
    review(page, login, base, "expert_a", grade="excellent")
    review(page, login, base, "expert_b", grade="excellent")
    page.goto(f"{base}/projects/{p.pk}/")
    form = page.locator(f"form[action='/projects/{p.pk}/conclude/']")
    form.locator("select[name=grade]").select_option("excellent")
    form.get_by_test_id("conclude").click()
    page.wait_for_url(f"{base}/projects/{p.pk}/")
    assert "已结题" in page.get_by_test_id("project-status").inner_text()


def points(page, base) -> str:
    """张老师's points on the ranking, "0" when she is not on it."""
    page.goto(f"{base}/outcomes/points/")
    row = page.locator("[data-testid=ranking-row]", has_text="张老师")
    if row.count() == 0:
        return "0"
    return row.locator("[data-testid=points]").inner_text().strip()


def make_case_people(world) -> None:
    """The second school's principal and the city's expert for the selection."""
    school_b = world.schools["school_b"].org_unit
    make_person("T102", "王校长", school_b, role="principal", username="principal_b")
    make_person(
        "C001", "市级专家", world.units["city_institute"], role="researcher", username="city_expert"
    )


def submit_case(page, base, project: Project | None = None) -> Outcome:
    """The teacher (signed in on ``page``) submits a typical case, from ``project``."""
    page.goto(f"{base}/outcomes/new/")
    page.select_option("#id_org_unit", label="临渭区第一初级中学")
    page.select_option("#id_kind", "case")
    page.fill("#id_title", CASE_TITLE)
    if project is not None:
        page.select_option("#id_project", str(project.pk))
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/outcomes/\d+/$"))
    return Outcome.objects.get(title=CASE_TITLE)


def select_and_announce(page, login, base, rnd, case) -> None:
    """The principal recommends the case; the district researcher sends it on; the city
    assigns an expert, who scores it 92; the city selects it and, once recommendations have
    closed, announces the results."""
    switch(page, login, "principal")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/")
    page.locator("[data-testid=candidate]", has_text=case.title).locator(
        "[data-testid=recommend]"
    ).click()
    assert Entry.objects.filter(outcome=case, level="school").exists()
    switch(page, login, "district_researcher")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.click("[data-testid=recommend-on]")
    assert Entry.objects.filter(outcome=case, level="county").exists()
    switch(page, login, "city_admin")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.fill("[data-testid=expert-form] input[name=expert]", "C001")
    page.click("[data-testid=expert-form] button")
    switch(page, login, "city_expert")
    page.goto(f"{base}/outcomes/scores/")
    page.fill("[data-testid=score-form] input[name=score]", "92")
    page.click("[data-testid=score-form] button")
    switch(page, login, "city_admin")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    assert "92.00" in page.locator("[data-testid=entry-row]").inner_text()
    page.click("[data-testid=recommend-on]")
    assert Entry.objects.filter(outcome=case, level="city").exists()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    SelectionRound.objects.filter(pk=rnd.pk).update(
        opens_on=yesterday - dt.timedelta(days=5), closes_on=yesterday
    )
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/")
    page.click("[data-testid=announce]")
    page.wait_for_selector("[data-testid=results-city]")


def adopt_at_school_b(page, login, base, world, case) -> None:
    """The second school's principal sees the city honour and records adopting the case."""
    switch(page, login, "principal_b")
    page.goto(f"{base}/outcomes/{case.pk}/")
    assert "市级遴选" in page.locator("[data-testid=honours]").inner_text()
    page.fill("#id_org_unit", world.schools["school_b"].org_unit.code)
    page.fill("#id_adopted_on", timezone.localdate().isoformat())
    page.fill("#id_feedback", "学生作业时间明显减少")
    page.click("[data-testid=adopt]")
    assert page.locator("[data-testid=adoption-count]").inner_text() == "1"
