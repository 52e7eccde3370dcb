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

import pytest
from django.utils import timezone

from tests.browser.project_steps import (
    accept,
    apply_to_call,
    file_stage,
    make_experts,
    midterm_and_conclusion,
    publish_call,
    remind_overdue_midterm,
    review_and_approve,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]


def test_call_application_review_approval_stages_and_conclusion(
    world, live_server, page, phone_page, login
):
    base = live_server.url
    make_experts(world)
    today = timezone.localdate()

    # 1. The city publishes a call.
    login(page, "city_admin")
    call_url = publish_call(page, base, world)

    # 2. The teacher applies on her phone, with the application form.
    login(phone_page, "teacher")
    p = apply_to_call(phone_page, call_url)

    # 3. Two experts are assigned and score it; 4. the city approves it in a batch.
    number = f"610500901-{today.year}-0001"
    review_and_approve(page, login, base, p, call_url, number)

    # 5. The opening report, accepted.
    file_stage(phone_page, base, p, "opening", "开题报告.pdf")
    accept(page, base, p, "opening")
    p.refresh_from_db()
    assert p.stage == "midterm"

    # 6. The mid-term deadline passes: the periodic reminder tells the teacher.
    remind_overdue_midterm(phone_page, base, p)

    # 7. Mid-term, then the conclusion with its final report, graded by the experts.
    midterm_and_conclusion(page, phone_page, login, base, p)
    p.refresh_from_db()
    assert (p.status, p.grade, p.number) == ("concluded", "excellent", number)
