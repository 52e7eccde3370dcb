"""In a real browser: the city assigns a researcher three liaison schools; she observes a
lesson in one and holds a residency in another, logging a visit that links to an
activity; the coverage page shows the third school untouched."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiaoyan.observations.models import Rubric
from jiaoyan.researchers import services
from jiaoyan.researchers.models import Visit
from tests.conftest import make_school
from tests.observations.conftest import observe
from tests.researchers.helpers import activity_at


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_liaison_residency_and_coverage(world, page, live_server, login):
    today = timezone.localdate()
    d = make_school(
        "6105020007", "临渭区第七中学", world.units["renmin"], kind="junior", stages=("junior",)
    ).org_unit
    profile = services.create_profile(
        actor=world.users["city_admin"],
        person=world.people["district_researcher"],
        org_unit=world.units["linwei_institute"],
    )
    act = activity_at(world, today - dt.timedelta(days=1), host=world.people["district_researcher"])
    a, b = world.schools["school_a"].org_unit, world.schools["school_b"].org_unit

    login(page, "city_admin")
    page.goto(f"{live_server.url}/researchers/{profile.pk}/")
    form = page.locator("[data-testid=liaison-form]")
    form.locator("[name=schools]").select_option([str(a.pk), str(b.pk), str(d.pk)])
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=liaison-row]")).to_have_count(3)

    observe(
        world, Rubric.objects.get(org_unit__isnull=True), observer="district_researcher", date=today
    )

    page.context.clear_cookies()
    login(page, "district_researcher")
    page.goto(f"{live_server.url}/researchers/{profile.pk}/")
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

    page.goto(f"{live_server.url}/researchers/coverage/")
    expect(page.locator("[data-testid=untouched-count]")).to_have_text("1")
    expect(page.locator("[data-testid=untouched-school]")).to_contain_text("临渭区第七中学")
