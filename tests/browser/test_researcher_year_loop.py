"""Issue 16's one browser scenario, a researcher's year in a real browser (a moved clock):

in the autumn term the city assigns 韩梅 (the district's researcher) three liaison schools;
she observes a lesson in one and holds a residency in another, logging a visit that links
to an activity; the coverage page shows the third school untouched. At year end she
assesses herself in the annual appraisal (its computed indicators read from that term),
the institute reviews with its scores and comments, the bureau confirms, and the grade
shows on her profile. In January an admission round pre-checks a candidate's professional
title and years from the people records, a reviewer records the rest, and the bureau
appoints her.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from jiaoyan.core.roles import Role
from jiaoyan.observations.models import Rubric
from jiaoyan.people.models import Person, RoleAssignment
from jiaoyan.researchers import services, services_appraisal
from jiaoyan.researchers.models import (
    AdmissionApplication,
    AdmissionRound,
    Appraisal,
    Visit,
)
from tests.conftest import make_school
from tests.observations.conftest import observe
from tests.researchers.helpers import activity_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TZ = ZoneInfo("Asia/Shanghai")
AUTUMN_DAY = dt.datetime(2025, 11, 10, 9, 0, tzinfo=TZ)  # a Monday of the autumn term
YEAR_END = dt.datetime(2025, 12, 29, 9, 0, tzinfo=TZ)
JANUARY = dt.datetime(2026, 1, 5, 9, 0, tzinfo=TZ)


def _as(page, login, username):
    page.context.clear_cookies()
    login(page, username)


def test_a_researchers_year(world, page, live_server, login, tmp_path):
    url = live_server.url
    admin = world.users["city_admin"]
    # The machine that runs the suite is shared: a first page may take a while.
    page.set_default_navigation_timeout(60000)

    # --- the autumn term: liaison schools, an observation, a residency with a visit ---------
    with time_machine.travel(AUTUMN_DAY, tick=True):
        today = AUTUMN_DAY.date()
        d = make_school(
            "6105020007", "临渭区第七中学", world.units["renmin"], kind="junior", stages=("junior",)
        ).org_unit
        profile = services.create_profile(
            actor=admin,
            person=world.people["district_researcher"],
            org_unit=world.units["linwei_institute"],
        )
        act = activity_at(
            world, today - dt.timedelta(days=1), host=world.people["district_researcher"]
        )
        a, b = world.schools["school_a"].org_unit, world.schools["school_b"].org_unit

        # The city assigns her three liaison schools for the term.
        login(page, "city_admin")
        page.goto(f"{url}/researchers/{profile.pk}/")
        form = page.locator("[data-testid=liaison-form]")
        expect(form.locator("[name=start_date]")).to_have_value("2025-08-01")
        form.locator("[name=schools]").select_option([str(a.pk), str(b.pk), str(d.pk)])
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-testid=liaison-row]")).to_have_count(3)

        # She observes a lesson in one of them (school A, the teacher's).
        observe(
            world,
            Rubric.objects.get(org_unit__isnull=True),
            observer="district_researcher",
            date=today,
        )

        # She holds a residency in another and logs a visit that links to an activity.
        _as(page, login, "district_researcher")
        page.goto(f"{url}/researchers/{profile.pk}/")
        form = page.locator("[data-testid=residency-form]")
        form.locator("[name=school]").select_option(str(b.pk))
        form.locator("[name=start_date]").fill(f"{today - dt.timedelta(days=7):%Y-%m-%d}")
        form.locator("[name=end_date]").fill(f"{today + dt.timedelta(days=7):%Y-%m-%d}")
        form.locator("[name=goals]").fill("指导二小数学组单元教学")
        form.locator("button[type=submit]").click()
        page.locator("[data-testid=residency-row]").click()
        page.wait_for_url(re.compile(r"/researchers/residencies/\d+/$"))
        visit = page.locator("[data-testid=visit-form]")
        visit.locator("[name=kind]").select_option("lesson_prep")
        visit.locator("[name=activity]").select_option(str(act.pk))
        visit.locator("button[type=submit]").click()
        expect(page.locator("[data-testid=visit-row]")).to_have_count(1)
        expect(page.locator("[data-testid=visit-row]")).to_contain_text(act.title)
        assert Visit.objects.get().activity_id == act.pk

        # The coverage page: one school observed, one visited, the third untouched.
        page.goto(f"{url}/researchers/coverage/")
        expect(page.locator("[data-testid=untouched-count]")).to_have_text("1")
        expect(page.locator("[data-testid=untouched-school]")).to_contain_text("临渭区第七中学")

    # --- year end: self-assessment, the institute's review, the bureau's confirmation -------
    with time_machine.travel(YEAR_END, tick=True):
        scheme = services_appraisal.create_scheme(
            actor=admin, org_unit=world.units["city_bureau"], year=2025
        )
        services_appraisal.open_scheme(actor=admin, scheme=scheme)

        # She assesses herself, from her profile.
        _as(page, login, "district_researcher")
        page.goto(f"{url}/researchers/{profile.pk}/")
        page.locator("[data-testid=profile-appraisal]").click()
        page.wait_for_url(re.compile(r"/researchers/appraisal/\d+/$"))
        form = page.locator("[data-testid=self-assess-form]")
        form.locator("[name=summary]").fill("全年完成联系学校指导和听评课任务，组织教研活动。")
        form.locator("[name=self_grade]").select_option("qualified")
        form.locator("button[type=submit]").click()
        expect(page.locator("[data-testid=appraisal-status]")).to_have_text("已自评")
        expect(page.locator("[data-testid=review-form]")).to_have_count(0)

        # The institute reviews: the scored indicators, a comment; the grade follows the total.
        _as(page, login, "city_admin")
        appraisal = Appraisal.objects.get(scheme=scheme)
        page.goto(f"{url}/researchers/appraisal/{appraisal.pk}/")
        expect(page.get_by_text("全年完成联系学校指导和听评课任务")).to_be_visible()
        review = page.locator("[data-testid=review-form]")
        review.locator("[name=score_guidance]").fill("20")
        review.locator("[name=comment_guidance]").fill("指导扎实")
        review.locator("[name=score_research]").fill("20")
        review.locator("[name=comment]").fill("完成年度任务，听课节数不足。")
        review.locator("button[type=submit]").click()
        # Read from her year: 1 lesson of 40 (0.5 of 20); 2 of 3 liaison schools reached in
        # the autumn term, none assigned in spring (10.0 of 15); no ledger item (15, met);
        # 1 activity organised of 4 (2.5 of 10). Scored 40. Total 68, 基本合格.
        expect(page.locator("[data-testid=total]")).to_have_text("68.0")
        expect(page.locator("[data-testid=grade]")).to_have_text("基本合格")
        page.locator("[data-testid=confirm]").click()
        expect(page.locator("[data-testid=appraisal-status]")).to_have_text("教育局已确认")

        page.goto(f"{url}/researchers/{profile.pk}/")
        expect(page.locator("[data-testid=profile-grade]")).to_have_text("基本合格")

        _as(page, login, "district_researcher")
        page.goto(f"{url}/researchers/{profile.pk}/")
        expect(page.locator("[data-testid=profile-grade]")).to_have_text("基本合格")
        expect(page.locator("[data-testid=exit-review-due]")).to_have_count(0)

    # --- January: an admission round pre-checks a candidate from the people records ---------
    with time_machine.travel(JANUARY, tick=True):
        teacher = world.people["teacher"]
        Person.objects.filter(pk=teacher.pk).update(
            teaching_since=dt.date(2016, 9, 1), professional_title="first"
        )

        # The bureau opens a round: at least 5 years, 一级 or higher, a demonstration
        # lesson and an interview.
        _as(page, login, "city_admin")
        page.goto(f"{url}/researchers/admission/new/")
        form = page.locator("[data-testid=round-form]")
        form.locator("[name=org_unit]").select_option(str(world.units["linwei_bureau"].pk))
        form.locator("[name=institute]").select_option(str(world.units["linwei_institute"].pk))
        form.locator("[name=title]").fill("2026年临渭区初中数学教研员准入")
        form.locator("[name=places]").fill("1")
        form.locator("[name=opens_on]").fill("2026-01-05")
        form.locator("[name=closes_on]").fill("2026-01-31")
        form.locator("[name=min_years]").fill("5")
        form.locator("[name=min_title]").select_option("first")
        form.locator("[name=demo_lesson_pass]").fill("80")
        form.locator("[name=interview]").check()
        form.locator("[data-testid=save]").click()
        expect(page.locator("[data-testid=requirement]")).to_have_count(4)
        page.locator("[data-testid=publish]").click()
        expect(page.locator("[data-testid=round-status]")).to_have_text("接受申报")
        rnd = AdmissionRound.objects.get()

        # The candidate applies with a certificate; the pre-check reads her records
        # (years counted to the round's closing day).
        _as(page, login, "teacher")
        page.goto(f"{url}/researchers/admission/{rnd.pk}/")
        page.locator("[data-testid=apply]").click()
        form = page.locator("[data-testid=apply-form]")
        form.locator("[name=statement]").fill("任教初中数学九年，担任数学组长。")
        cert = tmp_path / "一级教师证书.pdf"
        cert.write_bytes(b"%PDF-1.4 certificate")
        form.locator("[name=evidence]").set_input_files(str(cert))
        form.locator("[data-testid=save]").click()
        expect(page.locator("[data-testid=evidence-row]")).to_contain_text("一级教师证书.pdf")
        years = page.locator("[data-testid=check-row][data-kind=years]")
        expect(years).to_have_attribute("data-state", "pass")
        expect(years).to_contain_text("9年（2016-09-01参加教育工作）")
        title = page.locator("[data-testid=check-row][data-kind=title]")
        expect(title).to_have_attribute("data-state", "pass")
        expect(title).to_contain_text("一级")
        for kind in ("demo_lesson", "interview"):
            row = page.locator(f"[data-testid=check-row][data-kind={kind}]")
            expect(row).to_have_attribute("data-state", "pending")
        expect(page.locator("[data-testid=outcome]")).to_contain_text("已提交")
        app = AdmissionApplication.objects.get()

        # A reviewer (the district's researcher) records the rest, with comments.
        _as(page, login, "district_researcher")
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
        _as(page, login, "city_admin")
        page.goto(f"{url}/researchers/admission/applications/{app.pk}/")
        decide = page.locator("[data-testid=decide-form]")
        decide.locator("[name=appoint]").select_option("yes")
        decide.locator("[name=start_date]").fill("2026-01-05")
        decide.locator("[name=reasons]").fill("各项准入条件均符合")
        decide.locator("button[type=submit]").click()
        expect(page.locator("[data-testid=outcome]")).to_contain_text("已聘任")
        assert RoleAssignment.objects.filter(
            person=teacher, role=Role.RESEARCHER, is_active=True
        ).exists()

        # She sees the outcome.
        _as(page, login, "teacher")
        page.goto(f"{url}/researchers/admission/applications/{app.pk}/")
        expect(page.locator("[data-testid=outcome]")).to_contain_text(
            "自2026-01-05起任临渭区教师发展中心教研员"
        )
        expect(page.locator("[data-testid=reasons]")).to_contain_text("各项准入条件均符合")
