"""Issue 13's whole loop in a real browser: training, hours and certificates.

A district creates a programme with two sessions (the form); 临渭区第一初级中学's principal
nominates the teacher; on a phone she checks in to both sessions and hands in the
assignment; it is graded and the programme closes; on her phone she downloads her
certificate (a PDF); the public verification page, in a fresh browser without a login,
verifies its code, and says revoked after the city admin revokes it on the programme's
certificates page. Her 学时档案 (hours ledger page): a research activity she attended
counts there; the programme raises her cycle progress by exactly its 5.5 hours; an
external training she declares, approved by her principal, counts too.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from jiaoyan.activities import services as activity_services
from jiaoyan.hours.models import Certificate, ExternalDeclaration, HoursCycle, HoursRecord
from tests.activities.conftest import make_activity

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

TITLE = "临渭区初中数学骨干教师研修"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _progress(pg, base) -> Decimal:
    """The earned hours of the cycle progress on her hours ledger page ("8.5 / 360.0 学时")."""
    pg.goto(f"{base}/hours/")
    text = pg.get_by_test_id("cycle-progress").inner_text()
    m = re.match(r"\s*([\d.]+)\s*/\s*([\d.]+)", text)
    assert m, text
    return Decimal(m.group(1))


def _attended_activity(world):
    """A research activity of the district that the teacher attended (finished: credited)."""
    researcher = world.users["district_researcher"]
    activity = make_activity(
        world, title="单元作业设计专题研讨", start_in=dt.timedelta(hours=-3), hours=3
    )
    activity_services.invite(
        actor=researcher, activity=activity, person_ids=[world.people["teacher"].pk]
    )
    activity_services.publish_activity(actor=researcher, activity=activity)
    part = activity.participations.get(person=world.people["teacher"])
    activity_services.mark_attendance(
        actor=researcher, activity=activity, marks={part.pk: "present"}
    )
    return activity_services.finish_activity(actor=researcher, activity=activity)


def test_programme_to_certificate_to_verification_and_the_hours_ledger(
    world, live_server, page, phone_page, login, browser, tmp_path
):
    base = live_server.url
    w = world
    teacher = w.people["teacher"]
    page.on("dialog", lambda d: d.accept())

    # 0. A research activity she attended is on her ledger, and counts in her cycle.
    _attended_activity(w)
    login(phone_page, "teacher")
    assert _progress(phone_page, base) == Decimal("3.0")
    rows = phone_page.get_by_test_id("hours-row")
    assert rows.count() == 1 and "单元作业设计专题研讨" in rows.first.inner_text()
    before = _progress(phone_page, base)

    # 1. The district creates the programme through its form, with two sessions today.
    login(page, "district_researcher")
    p, job = create_through_the_form(page, base, w, TITLE)

    # 2. The school (its principal) nominates the teacher.
    principal_ctx = browser.new_context(locale="zh-CN")
    principal = principal_ctx.new_page()
    principal.set_default_timeout(15000)
    login(principal, "principal")
    nominate_the_teacher(principal, base, p)

    # 3. On her phone she checks in to both sessions with the codes on the screen.
    check_in_to_every_session(page, phone_page, base, p)

    # 4. She hands in the assignment; it is graded; the programme closes.
    hand_in_grade_and_close(page, phone_page, base, p, job)
    cert = Certificate.objects.get(person=teacher)
    assert cert.source_id == p.pk and cert.hours == Decimal("5.5")

    # 5. She downloads her certificate from the programme's page: a PDF.
    phone_page.goto(f"{base}/training/{p.pk}/")
    assert "5.5" in phone_page.get_by_test_id("my-outcome").inner_text()
    assert cert.code in phone_page.get_by_test_id("mine").inner_text()
    with phone_page.expect_download() as info:
        phone_page.get_by_test_id("my-certificate").click()
    download = info.value
    saved = tmp_path / "certificate.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")
    text = "".join(
        subprocess.run(
            ["pdftotext", str(saved), "-"], capture_output=True, check=True, text=True
        ).stdout.split()
    )
    assert "张老师" in text and TITLE in text and "5.5" in text and cert.code in text

    # 6. The public page (a fresh browser, nobody signed in) verifies the code.
    public_ctx = browser.new_context(locale="zh-CN")
    public = public_ctx.new_page()
    public.set_default_timeout(15000)
    public.goto(f"{base}/hours/verify/")
    public.fill("input[name=code]", cert.code)
    public.locator("form[action$='/hours/verify/'] button").click()
    public.get_by_test_id("verify-valid").wait_for()
    result = public.get_by_test_id("verify-result").inner_text()
    assert "张*师" in result and TITLE in result and "5.5" in result
    assert "张老师" not in result

    # 7. The city admin revokes it on the programme's certificates page; the page says so.
    admin_ctx = browser.new_context(locale="zh-CN")
    admin = admin_ctx.new_page()
    admin.set_default_timeout(15000)
    admin.on("dialog", lambda d: d.accept())
    login(admin, "city_admin")
    admin.goto(f"{base}/training/{p.pk}/")
    admin.get_by_test_id("programme-certificates").click()
    admin.wait_for_url(re.compile(r"/hours/certificates/source/\d+/\d+/$"))
    revoke = admin.locator(f"form[action$='/certificates/{cert.pk}/revoke/']")
    revoke.locator("input[name=reason]").fill("参训信息有误，重新核定")
    revoke.locator("button").click()
    admin.wait_for_load_state()
    cert.refresh_from_db()
    assert cert.revoked_at is not None and cert.revoke_reason == "参训信息有误，重新核定"
    public.goto(f"{base}/hours/verify/{cert.code}/")
    public.get_by_test_id("verify-revoked").wait_for()
    assert public.get_by_test_id("verify-valid").count() == 0
    phone_page.goto(f"{base}/training/{p.pk}/")
    assert phone_page.get_by_test_id("my-certificate").count() == 0  # no download once revoked

    # 8. Her cycle progress rose by exactly the programme's hours.
    assert _progress(phone_page, base) - before == Decimal("5.5")
    assert HoursRecord.objects.filter(person=teacher).count() == 2

    # 9. She declares an external training; her principal approves it; it counts.
    phone_page.goto(f"{base}/hours/")
    phone_page.get_by_test_id("declare").click()
    phone_page.get_by_test_id("declaration-form").wait_for()
    year = timezone.localdate().year
    phone_page.fill("#id_title", "陕西省中小学教师信息技术应用能力提升培训")
    phone_page.fill("#id_organiser", "陕西师范大学继续教育学院")
    phone_page.fill("#id_start_date", f"{year}-03-02")
    phone_page.fill("#id_end_date", f"{year}-03-06")
    phone_page.fill("#id_hours", "12")
    phone_page.set_input_files(
        "#id_evidence", {"name": "证书.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    phone_page.get_by_test_id("save").click()
    phone_page.wait_for_load_state()
    decl = ExternalDeclaration.objects.get(person=teacher)
    assert decl.status == "pending"
    assert _progress(phone_page, base) - before == Decimal("5.5")  # pending: not yet

    principal.goto(f"{base}/hours/declarations/{decl.pk}/")
    principal.get_by_test_id("approve").click()
    principal.wait_for_load_state()
    decl.refresh_from_db()
    assert decl.status == "approved"
    assert _progress(phone_page, base) - before == Decimal("17.5")
    assert HoursCycle.objects.get(person=teacher, is_current=True).earned == Decimal("20.5")

    for ctx in (principal_ctx, public_ctx, admin_ctx):
        ctx.close()
