"""In a real browser: an admission round pre-checks a candidate's professional title and
years from the people records — the bureau opens a round, the candidate applies with a
file, the pre-check is shown per requirement, a reviewer records the demonstration
lesson and the interview, and the result appoints her (the researcher role from the
start date), which she sees."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from jiaoyan.core.roles import Role
from jiaoyan.people.models import Person, RoleAssignment
from jiaoyan.researchers.models import AdmissionApplication, AdmissionRound


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admission_round_prechecks_title_and_years(world, page, live_server, login, tmp_path):
    teacher = world.people["teacher"]
    Person.objects.filter(pk=teacher.pk).update(
        teaching_since=dt.date(2016, 9, 1), professional_title="first"
    )
    url = live_server.url

    # The bureau opens a round: at least 5 years, 一级 or higher, a demonstration lesson
    # and an interview.
    login(page, "city_admin")
    page.goto(f"{url}/researchers/admission/new/")
    form = page.locator("[data-testid=round-form]")
    form.locator("[name=org_unit]").select_option(str(world.units["linwei_bureau"].pk))
    form.locator("[name=institute]").select_option(str(world.units["linwei_institute"].pk))
    form.locator("[name=title]").fill("2025年临渭区初中数学教研员准入")
    form.locator("[name=places]").fill("1")
    form.locator("[name=opens_on]").fill("2025-06-01")
    form.locator("[name=closes_on]").fill("2025-07-15")
    form.locator("[name=min_years]").fill("5")
    form.locator("[name=min_title]").select_option("first")
    form.locator("[name=demo_lesson_pass]").fill("80")
    form.locator("[name=interview]").check()
    form.locator("[data-testid=save]").click()
    expect(page.locator("[data-testid=requirement]")).to_have_count(4)
    page.locator("[data-testid=publish]").click()
    expect(page.locator("[data-testid=round-status]")).to_have_text("接受申报")
    rnd = AdmissionRound.objects.get()

    # The candidate applies with a certificate; the pre-check reads her records.
    page.context.clear_cookies()
    login(page, "teacher")
    page.goto(f"{url}/researchers/admission/{rnd.pk}/")
    page.locator("[data-testid=apply]").click()
    form = page.locator("[data-testid=apply-form]")
    form.locator("[name=statement]").fill("任教初中数学八年，担任数学组长。")
    cert = tmp_path / "一级教师证书.pdf"
    cert.write_bytes(b"%PDF-1.4 certificate")
    form.locator("[name=evidence]").set_input_files(str(cert))
    form.locator("[data-testid=save]").click()
    expect(page.locator("[data-testid=evidence-row]")).to_contain_text("一级教师证书.pdf")
    years = page.locator("[data-testid=check-row][data-kind=years]")
    expect(years).to_have_attribute("data-state", "pass")
    expect(years).to_contain_text("8年（2016-09-01参加教育工作）")
    title = page.locator("[data-testid=check-row][data-kind=title]")
    expect(title).to_have_attribute("data-state", "pass")
    expect(title).to_contain_text("一级")
    for kind in ("demo_lesson", "interview"):
        row = page.locator(f"[data-testid=check-row][data-kind={kind}]")
        expect(row).to_have_attribute("data-state", "pending")
    expect(page.locator("[data-testid=outcome]")).to_contain_text("已提交")
    app = AdmissionApplication.objects.get()

    # A reviewer (the district's researcher) records the rest, with comments.
    page.context.clear_cookies()
    login(page, "district_researcher")
    page.goto(f"{url}/researchers/admission/applications/{app.pk}/")
    review = page.locator("[data-testid=review-form]")
    review.locator("[name=kind]").select_option("demo_lesson")
    review.locator("[name=score]").fill("88")
    review.locator("[name=comment]").fill("目标清晰，学生参与充分")
    review.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=check-row][data-kind=demo_lesson]")).to_have_attribute(
        "data-state", "pass"
    )
    review = page.locator("[data-testid=review-form]")
    review.locator("[name=kind]").select_option("interview")
    review.locator("[name=passed]").select_option("yes")
    review.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=check-row][data-kind=interview]")).to_have_attribute(
        "data-state", "pass"
    )
    expect(page.locator("[data-testid=decide-form]")).to_have_count(0)  # the bureau decides

    # The bureau appoints her from today.
    page.context.clear_cookies()
    login(page, "city_admin")
    page.goto(f"{url}/researchers/admission/applications/{app.pk}/")
    decide = page.locator("[data-testid=decide-form]")
    decide.locator("[name=appoint]").select_option("yes")
    decide.locator("[name=start_date]").fill("2025-06-30")
    decide.locator("[name=reasons]").fill("各项准入条件均符合")
    decide.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=outcome]")).to_contain_text("已聘任")
    ra = RoleAssignment.objects.get(person=teacher, role=Role.RESEARCHER, is_active=True)
    assert ra.created_at.date() in (dt.date(2025, 6, 29), dt.date(2025, 6, 30))

    # She sees the outcome.
    page.context.clear_cookies()
    login(page, "teacher")
    page.goto(f"{url}/researchers/admission/applications/{app.pk}/")
    expect(page.locator("[data-testid=outcome]")).to_contain_text(
        "自2025-06-30起任临渭区教师发展中心教研员"
    )
    expect(page.locator("[data-testid=reasons]")).to_contain_text("各项准入条件均符合")
