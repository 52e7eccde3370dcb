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

import pytest
from django.utils import timezone

from jiaoyan.outcomes.models import PointRule
from tests.browser.project_steps import (
    accept,
    adopt_at_school_b,
    apply_to_call,
    file_stage,
    make_case_people,
    make_experts,
    midterm_and_conclusion,
    points,
    publish_call,
    remind_overdue_midterm,
    review_and_approve,
    select_and_announce,
    submit_case,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]
PROJECT_TABLE = [
    ("project_approved", "city", 15),
    ("project_excellent", "", 10),
]


def _table(code: str, level: str) -> int:
    return int(PointRule.objects.get(code=code, level=level).points)


def test_call_to_project_to_typical_case_to_points(world, live_server, page, phone_page, login):
    from tests.outcomes.conftest import make_round, set_table

    base = live_server.url
    w = world
    set_table(w)
    set_table(w, PROJECT_TABLE)
    make_experts(w)
    make_case_people(w)
    today = timezone.localdate()
    login(phone_page, "teacher")
    assert points(phone_page, base) == "0"

    # 1. The city publishes a call the counties forward to, 临渭区 with one place.
    login(page, "city_admin")
    call_url = publish_call(page, base, w, quota_of_linwei=1)
    assert "区县在名额内推荐" in page.get_by_test_id("call-forwarding").inner_text()

    # 2. The teacher applies on her phone, with the application form.
    p = apply_to_call(phone_page, call_url)
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
    number = f"{w.units['city_bureau'].code}-{today.year}-0001"
    review_and_approve(page, login, base, p, call_url, number)

    # 5. The opening report, accepted; the mid-term deadline passes: she is reminded.
    file_stage(phone_page, base, p, "opening", "开题报告.pdf")
    accept(page, base, p, "opening")
    remind_overdue_midterm(phone_page, base, p)

    # 6. Mid-term filed and accepted; the conclusion, graded 优秀.
    midterm_and_conclusion(page, phone_page, login, base, p)

    # 7. A typical case from the project, submitted by the teacher.
    rnd = make_round(w)
    case = submit_case(phone_page, base, project=p)
    assert case.project_id == p.pk

    # 8. Her school recommends it; the county sends it on; the city selects it.
    select_and_announce(page, login, base, rnd, case)

    # 9. Another school records adopting it.
    adopt_at_school_b(page, login, base, w, case)

    # 10. The PI's points rose by the table's figures: approval at city level, the 优秀
    # bonus, a typical case selected at city level, one adoption (15 + 10 + 15 + 2).
    expected = (
        _table("project_approved", "city")
        + _table("project_excellent", "")
        + _table("case_selected", "city")
        + _table("adopted", "")
    )
    assert expected == 42
    assert points(phone_page, base) == str(expected)
