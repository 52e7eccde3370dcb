"""In a real browser, at year end: 韩梅 assesses herself in the annual appraisal, the
institute reviews it with its scores and comments, the bureau confirms — and the grade
shows on her profile, for her and for the bureau."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jiaoyan.researchers import services, services_appraisal
from jiaoyan.researchers.models import Appraisal


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_self_assessment_and_review_give_a_grade_on_her_profile(world, page, live_server, login):
    profile = services.create_profile(
        actor=world.users["city_admin"],
        person=world.people["district_researcher"],
        org_unit=world.units["linwei_institute"],
    )
    scheme = services_appraisal.create_scheme(
        actor=world.users["city_admin"], org_unit=world.units["city_bureau"], year=2025
    )
    services_appraisal.open_scheme(actor=world.users["city_admin"], scheme=scheme)

    # She assesses herself, from her profile.
    login(page, "district_researcher")
    page.goto(f"{live_server.url}/researchers/{profile.pk}/")
    page.locator("[data-testid=profile-appraisal]").click()
    page.wait_for_url(re.compile(r"/researchers/appraisal/\d+/$"))
    form = page.locator("[data-testid=self-assess-form]")
    form.locator("[name=summary]").fill("全年完成联系学校指导和听评课任务，组织教研活动。")
    form.locator("[name=self_grade]").select_option("qualified")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=appraisal-status]")).to_have_text("已自评")
    expect(page.locator("[data-testid=review-form]")).to_have_count(0)

    # The institute reviews: the scored indicators, a comment; the grade follows the total.
    page.context.clear_cookies()
    login(page, "city_admin")
    a = Appraisal.objects.get(scheme=scheme)
    page.goto(f"{live_server.url}/researchers/appraisal/{a.pk}/")
    expect(page.get_by_text("全年完成联系学校指导和听评课任务")).to_be_visible()
    review = page.locator("[data-testid=review-form]")
    review.locator("[name=score_guidance]").fill("20")
    review.locator("[name=comment_guidance]").fill("指导扎实")
    review.locator("[name=score_research]").fill("20")
    review.locator("[name=comment]").fill("完成年度任务，听课节数不足。")
    review.locator("button[type=submit]").click()
    # 0 lessons of 40, no liaison school and no ledger item (both met), no activity: 30;
    # scored 40: 70, 基本合格.
    expect(page.locator("[data-testid=total]")).to_have_text("70.0")
    expect(page.locator("[data-testid=grade]")).to_have_text("基本合格")
    page.locator("[data-testid=confirm]").click()
    expect(page.locator("[data-testid=appraisal-status]")).to_have_text("教育局已确认")

    page.goto(f"{live_server.url}/researchers/{profile.pk}/")
    expect(page.locator("[data-testid=profile-grade]")).to_have_text("基本合格")

    page.context.clear_cookies()
    login(page, "district_researcher")
    page.goto(f"{live_server.url}/researchers/{profile.pk}/")
    expect(page.locator("[data-testid=profile-grade]")).to_have_text("基本合格")
    expect(page.locator("[data-testid=exit-review-due]")).to_have_count(0)
