"""The steps of a training programme's loop that the browser tests share (the participant
loop and the certificate loop walk the same road up to the closed programme).

Each step drives the pages the way a person does and checks what they see; what is set
up without a page (the sessions of today, the assignment, the school's seat) goes
through the services, as an organiser's earlier work would have.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from jiaoyan.training import services
from jiaoyan.training.models import Assignment, Programme


def create_through_the_form(page, base, world, title: str) -> tuple[Programme, Assignment]:
    """The district researcher (signed in on ``page``) creates a nomination programme for
    teachers through its form; it gets two sessions today (check-in open, 3 and 2.5
    hours), an assignment, one seat for 临渭区第一初级中学, and is opened on its page."""
    page.goto(f"{base}/training/new/")
    page.fill("#id_title", title)
    page.select_option("#id_org_unit", str(world.units["linwei_institute"].pk))
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
    p = Programme.objects.get(title=title)

    researcher = world.users["district_researcher"]
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
        actor=researcher, programme=p, school=world.schools["school_a"].org_unit.code, seats=1
    )
    page.goto(f"{base}/training/{p.pk}/")
    page.get_by_test_id("open-programme").click()
    page.wait_for_load_state()
    assert Programme.objects.get(pk=p.pk).status == "open"
    assert p.sessions.count() == 2
    return p, job


def nominate_the_teacher(principal, base, p: Programme) -> None:
    """The principal (signed in on ``principal``) nominates 张老师 (T002) on the school's
    nominations page and sees her nominated."""
    principal.goto(f"{base}/training/{p.pk}/nominations/")
    principal.fill("#id_person", "T002")
    principal.get_by_test_id("nominate").click()
    principal.get_by_test_id("nominated-row").first.wait_for()
    assert "张老师" in principal.get_by_test_id("nominated-row").first.inner_text()


def check_in_to_every_session(page, phone_page, base, p: Programme) -> None:
    """On her phone the teacher checks in to each session with the code its projector
    page (``page``, the organiser's screen) shows; the phone page does not scroll
    sideways, and the programme's page lists both her check-ins."""
    for session in p.sessions.order_by("starts_at"):
        page.goto(f"{base}/training/sessions/{session.pk}/projector/")
        code = page.get_by_test_id("checkin-code").inner_text().strip()
        phone_page.goto(f"{base}/training/sessions/{session.pk}/checkin/")
        phone_page.fill("#id_code", code)
        phone_page.get_by_test_id("checkin-submit").click()
        phone_page.get_by_test_id("checkin-done").wait_for()
    assert not phone_page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    phone_page.goto(f"{base}/training/{p.pk}/")
    assert phone_page.get_by_test_id("my-attendance").count() == 2


def hand_in_grade_and_close(page, phone_page, base, p: Programme, job: Assignment) -> None:
    """She hands in the assignment on her phone; the researcher (``page``) grades it 86
    and closes the programme."""
    phone_page.goto(f"{base}/training/assignments/{job.pk}/")
    phone_page.fill("#id_text", "以“一次函数”为例的单元教学设计与反思。")
    phone_page.get_by_test_id("submit").click()
    phone_page.get_by_test_id("my-submission").wait_for()
    page.goto(f"{base}/training/assignments/{job.pk}/")
    page.get_by_test_id("score").fill("86")
    page.get_by_test_id("grade").click()
    page.wait_for_load_state()
    page.goto(f"{base}/training/{p.pk}/")
    page.get_by_test_id("close-programme").click()
    page.wait_for_load_state()
    page.get_by_test_id("programme-status").wait_for()
    assert Programme.objects.get(pk=p.pk).status == "closed"
