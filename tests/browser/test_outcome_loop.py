"""An outcome's way up and out in a real browser (issue 15, the outcomes half of "Done
when"): the teacher submits a typical case; the principal recommends it in the city's
selection round; the district researcher sends it on to the city; the city assigns an
expert, who scores it; the city selects it and, once recommendations have closed,
announces the results; another school records adopting it; the teacher's points rise by
the point table's figures (typical case selected at city level 15 + adopted 2).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from jiaoyan.outcomes.models import Entry, Outcome, SelectionRound
from tests.conftest import make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db):
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)
    yield


def _points(page, base) -> str:
    page.goto(f"{base}/outcomes/points/")
    row = page.locator("[data-testid=ranking-row]", has_text="张老师")
    if row.count() == 0:
        return "0"
    return row.locator("[data-testid=points]").inner_text().strip()


def test_case_recommended_selected_adopted_points(world, live_server, page, login):
    from tests.outcomes.conftest import make_round, set_table

    base = live_server.url
    set_table(world)
    make_round(world)
    make_person(
        "T102",
        "王校长",
        world.schools["school_b"].org_unit,
        role="principal",
        username="principal_b",
    )
    make_person(
        "C001", "市级专家", world.units["city_institute"], role="researcher", username="city_expert"
    )
    login(page, "teacher")
    assert _points(page, base) == "0"

    # 1. The teacher submits a typical case.
    page.goto(f"{base}/outcomes/new/")
    page.select_option("#id_org_unit", label="临渭区第一初级中学")
    page.select_option("#id_kind", "case")
    page.fill("#id_title", "初中数学分层作业的典型案例")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/outcomes/\d+/$"))
    outcome = Outcome.objects.get(title="初中数学分层作业的典型案例")
    rnd = SelectionRound.objects.get()

    # 2. The principal recommends it to the county.
    page.context.clear_cookies()
    login(page, "principal")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/")
    page.locator("[data-testid=candidate]", has_text=outcome.title).locator(
        "[data-testid=recommend]"
    ).click()
    assert Entry.objects.filter(outcome=outcome, level="school").exists()

    # 3. The district researcher sends it on to the city.
    page.context.clear_cookies()
    login(page, "district_researcher")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.click("[data-testid=recommend-on]")
    assert Entry.objects.filter(outcome=outcome, level="county").exists()

    # 4. The city assigns an expert, who scores it; the city selects it.
    page.context.clear_cookies()
    login(page, "city_admin")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    page.fill("[data-testid=expert-form] input[name=expert]", "C001")
    page.click("[data-testid=expert-form] button")
    page.context.clear_cookies()
    login(page, "city_expert")
    page.goto(f"{base}/outcomes/scores/")
    page.fill("[data-testid=score-form] input[name=score]", "92")
    page.click("[data-testid=score-form] button")
    page.context.clear_cookies()
    login(page, "city_admin")
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/table/")
    assert "92.00" in page.locator("[data-testid=entry-row]").inner_text()
    page.click("[data-testid=recommend-on]")
    assert Entry.objects.filter(outcome=outcome, level="city").exists()

    # 5. Recommendations close (the deadline passes); the city announces.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    SelectionRound.objects.filter(pk=rnd.pk).update(
        opens_on=yesterday - dt.timedelta(days=5), closes_on=yesterday
    )
    page.goto(f"{base}/outcomes/rounds/{rnd.pk}/")
    page.click("[data-testid=announce]")
    page.wait_for_selector("[data-testid=results-city]")

    # 6. Another school records adopting it.
    page.context.clear_cookies()
    login(page, "principal_b")
    page.goto(f"{base}/outcomes/{outcome.pk}/")
    assert "市级遴选" in page.locator("[data-testid=honours]").inner_text()
    page.fill("#id_org_unit", world.schools["school_b"].org_unit.code)
    page.fill("#id_adopted_on", timezone.localdate().isoformat())
    page.fill("#id_feedback", "学生作业时间明显减少")
    page.click("[data-testid=adopt]")
    assert page.locator("[data-testid=adoption-count]").inner_text() == "1"

    # 7. The teacher's points: 15 (typical case selected at city level) + 2 (adopted).
    page.context.clear_cookies()
    login(page, "teacher")
    assert _points(page, base) == "17"
