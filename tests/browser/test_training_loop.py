"""The participant loop of a training programme, in a real browser.

The district researcher creates a nomination programme (the form), with two sessions
today and an assignment, gives 临渭区第一初级中学 one seat and opens it; the principal
nominates the teacher; on a phone the teacher checks in to both sessions with the codes
of their screens and hands in the assignment; the researcher grades it and closes the
programme; the teacher sees "completed" and the programme's hours on "my trainings".
(The certificate and the hours-ledger parts of the issue's loop come with the hours app.)
"""

from __future__ import annotations

import pytest

from jiaoyan.hours.models import HoursRecord
from jiaoyan.training.models import Enrolment

from .training_steps import (
    check_in_to_every_session,
    create_through_the_form,
    hand_in_grade_and_close,
    nominate_the_teacher,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reseeded"),
]


def test_nominated_teacher_checks_in_hands_in_and_completes(
    world, live_server, page, phone_page, login
):
    base = live_server.url
    w = world
    page.on("dialog", lambda d: d.accept())
    login(page, "district_researcher")

    # 1. The programme, through its form; two sessions today, an assignment, one seat.
    p, job = create_through_the_form(page, base, w, "临渭区初中数学骨干教师研修")

    # 2. The principal nominates the teacher.
    principal = page.context.browser.new_context(locale="zh-CN").new_page()
    login(principal, "principal")
    nominate_the_teacher(principal, base, p)
    principal.context.close()

    # 3. On a phone, the teacher checks in to both sessions with the code on the screen.
    login(phone_page, "teacher")
    check_in_to_every_session(page, phone_page, base, p)

    # 4. She hands in the assignment; 5. the researcher grades it and closes the programme.
    hand_in_grade_and_close(page, phone_page, base, p, job)

    # 6. She sees "completed" and the programme's hours.
    phone_page.goto(f"{base}/training/mine/")
    row = phone_page.get_by_test_id("my-training").first
    assert row.get_by_test_id("hours").inner_text().strip() == "5.5"
    assert Enrolment.objects.get(programme=p, person=w.people["teacher"]).outcome == "completed"
    phone_page.goto(f"{base}/training/{p.pk}/")
    assert "5.5" in phone_page.get_by_test_id("my-outcome").inner_text()
    assert HoursRecord.objects.get(person=w.people["teacher"]).hours == 5.5
