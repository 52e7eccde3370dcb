"""The participant loop of a training programme, in a real browser.

The district researcher creates a nomination programme (the form), with two sessions
today and an assignment, gives 临渭区第一初级中学 one seat and opens it; the principal
nominates the teacher; on a phone the teacher checks in to both sessions with the codes
of their screens and hands in the assignment; the researcher grades it and closes the
programme; the teacher sees "completed" and the programme's hours on "my trainings".
(The certificate and the hours-ledger parts of the issue's loop come with the hours app.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from jiaoyan.hours.models import HoursRecord
from jiaoyan.training import services
from jiaoyan.training.models import Enrolment, Programme

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _seeded(transactional_db):
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)
    yield


def _code(page, base, session_pk) -> str:
    page.goto(f"{base}/training/sessions/{session_pk}/projector/")
    return page.get_by_test_id("checkin-code").inner_text().strip()


def test_nominated_teacher_checks_in_hands_in_and_completes(
    world, live_server, page, phone_page, login
):
    base = live_server.url
    w = world
    page.on("dialog", lambda d: d.accept())
    login(page, "district_researcher")

    # 1. The programme, through its form.
    page.goto(f"{base}/training/new/")
    page.fill("#id_title", "临渭区初中数学骨干教师研修")
    page.select_option("#id_org_unit", str(w.units["linwei_institute"].pk))
    page.check("input[name=cohorts][value=teacher]")
    page.select_option("#id_tier", "key")
    page.select_option("#id_format", "face")
    page.select_option("#id_mode", "nomination")
    page.fill("#id_min_attendance", "100")
    page.check("#id_assignment_required")
    page.fill("#id_assignment_pass_mark", "60")
    page.select_option("#id_hours_mode", "all")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/training/\d+/$"))
    p = Programme.objects.get(title="临渭区初中数学骨干教师研修")

    # Two sessions today (check-in open), an assignment, one seat for the school; open.
    researcher = w.users["district_researcher"]
    now = timezone.now()
    for n, (start, hours) in enumerate(((now - dt.timedelta(minutes=5), 3), (now, 2.5))):
        services.add_session(
            actor=researcher,
            programme=p,
            title=f"第{n + 1}讲",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            hours=hours,
            place="临渭区教师发展中心",
        )
    job = services.add_assignment(
        actor=researcher, programme=p, title="单元教学设计", deadline=now + dt.timedelta(days=7)
    )
    services.set_quota(
        actor=researcher, programme=p, school=w.schools["school_a"].org_unit.code, seats=1
    )
    page.goto(f"{base}/training/{p.pk}/")
    page.get_by_test_id("open-programme").click()
    page.wait_for_load_state()
    assert Programme.objects.get(pk=p.pk).status == "open"

    # 2. The principal nominates the teacher.
    principal = page.context.browser.new_context(locale="zh-CN").new_page()
    login(principal, "principal")
    principal.goto(f"{base}/training/{p.pk}/nominations/")
    principal.fill("#id_person", "T002")
    principal.get_by_test_id("nominate").click()
    principal.get_by_test_id("nominated-row").first.wait_for()
    assert "张老师" in principal.get_by_test_id("nominated-row").first.inner_text()
    principal.context.close()

    # 3. On a phone, the teacher checks in to both sessions with the code on the screen.
    login(phone_page, "teacher")
    for session in p.sessions.order_by("starts_at"):
        code = _code(page, base, session.pk)
        phone_page.goto(f"{base}/training/sessions/{session.pk}/checkin/")
        phone_page.fill("#id_code", code)
        phone_page.get_by_test_id("checkin-submit").click()
        phone_page.get_by_test_id("checkin-done").wait_for()
    assert not phone_page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    phone_page.goto(f"{base}/training/{p.pk}/")
    assert phone_page.get_by_test_id("my-attendance").count() == 2

    # 4. She hands in the assignment.
    phone_page.goto(f"{base}/training/assignments/{job.pk}/")
    phone_page.fill("#id_text", "以“一次函数”为例的单元教学设计与反思。")
    phone_page.get_by_test_id("submit").click()
    phone_page.get_by_test_id("my-submission").wait_for()

    # 5. The researcher grades it and closes the programme.
    page.goto(f"{base}/training/assignments/{job.pk}/")
    page.get_by_test_id("score").fill("86")
    page.get_by_test_id("grade").click()
    page.wait_for_load_state()
    page.goto(f"{base}/training/{p.pk}/")
    page.get_by_test_id("close-programme").click()
    page.wait_for_load_state()
    page.get_by_test_id("programme-status").wait_for()
    assert Programme.objects.get(pk=p.pk).status == "closed"

    # 6. She sees "completed" and the programme's hours.
    phone_page.goto(f"{base}/training/mine/")
    row = phone_page.get_by_test_id("my-training").first
    assert row.get_by_test_id("hours").inner_text().strip() == "5.5"
    assert Enrolment.objects.get(programme=p, person=w.people["teacher"]).outcome == "completed"
    phone_page.goto(f"{base}/training/{p.pk}/")
    assert "5.5" in phone_page.get_by_test_id("my-outcome").inner_text()
    assert HoursRecord.objects.get(person=w.people["teacher"]).hours == 5.5
