"""The work ledger end to end in a real browser (issue 5's "done when"):

a decision in an activity's minutes → a ledger item → the responsible principal reports
progress → the deadline passes (a moved clock) → the item is overdue and the city, the unit
above, escalates it and sees it on its supervision board → the principal reports it done →
the researcher verifies it → the district's weekly brief counts and names it, and its
.docx (read back with python-docx) carries the same counts.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import docx
import pytest
import time_machine
from django.utils import timezone

from jiaoyan.activities import services as activity_services
from jiaoyan.activities.models import Decision
from jiaoyan.ledger.models import Item, Status, Supervision
from tests.activities.conftest import make_activity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

TITLE = "各校报送单元作业设计案例"


def _reseed():
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    seed = importlib.import_module("jiaoyan.orgs.migrations.0002_seed_stages_and_subjects")
    seed.seed(apps, None)


@pytest.fixture(autouse=True)
def _seeded(transactional_db):
    _reseed()
    yield


def _finished_activity(world):
    researcher = world.users["district_researcher"]
    activity = make_activity(world, title="单元作业设计专题研讨")
    activity_services.invite(
        actor=researcher, activity=activity, person_ids=[world.people["teacher"].pk]
    )
    activity_services.publish_activity(actor=researcher, activity=activity)
    part = activity.participations.get(person=world.people["teacher"])
    activity_services.mark_attendance(
        actor=researcher, activity=activity, marks={part.pk: "present"}
    )
    return activity_services.finish_activity(actor=researcher, activity=activity)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_minutes_to_ledger_to_supervision_to_verified_to_weekly_brief(
    world, live_server, page, phone_page, login, csp_violations
):
    base = live_server.url
    page.on("dialog", lambda d: d.accept())

    def as_user(username):
        page.context.clear_cookies()
        login(page, username)

    activity = _finished_activity(world)
    today = timezone.localdate()
    due = today + dt.timedelta(days=3)

    # 1. The researcher writes a decision into the minutes and sends it to the ledger.
    as_user("district_researcher")
    page.goto(f"{base}/activities/{activity.pk}/minutes/")
    page.fill("#id_text", TITLE)
    page.fill("#id_owner_name", "李校长")
    page.fill("#id_due_on", due.isoformat())
    page.check("#id_for_ledger")
    page.click("[data-testid=add-decision]")
    assert page.locator("[data-testid=decision]").count() == 1
    page.click("text=将标记的议定事项转入工作台账")
    decision = Decision.objects.get(activity=activity)
    item = Item.objects.get(source_decision=decision)
    assert decision.ledger_ref == str(item.pk)
    assert item.source == "minutes" and item.source_activity_id == activity.pk
    assert item.due_on == due and item.org_unit == world.units["linwei_institute"]

    # 2. The item keeps its source; the researcher names the school and its principal.
    page.goto(f"{base}/ledger/items/{item.pk}/")
    assert TITLE in page.locator("[data-testid=item-title]").inner_text()
    assert "单元作业设计专题研讨" in page.locator("[data-testid=item-source]").inner_text()
    page.goto(f"{base}/ledger/items/{item.pk}/edit/")
    page.select_option("#id_responsible_unit", label="临渭区第一初级中学")
    page.wait_for_selector("#id_responsible_person option:has-text('李校长')", state="attached")
    page.select_option("#id_responsible_person", label="李校长")
    page.click("[data-testid=save-item]")
    page.wait_for_url(re.compile(rf"/ledger/items/{item.pk}/$"))
    item.refresh_from_db()
    assert item.responsible_person == world.people["principal"]

    # 3. The principal, on a phone, finds it on their board and reports progress.
    login(phone_page, "principal")
    phone_page.goto(f"{base}/ledger/?board=mine")
    assert TITLE in phone_page.locator("[data-testid=items]").inner_text()
    phone_page.goto(f"{base}/ledger/items/{item.pk}/")
    phone_page.fill("[data-testid=report-form] textarea[name=text]", "已收集8所学校的案例初稿")
    phone_page.fill("[data-testid=report-form] input[name=percent]", "120")
    phone_page.click("[data-testid=send-report]")
    # The phone refuses to send it (0–100); the server would refuse it too (test_pages).
    percent = "[data-testid=report-form] input[name=percent]"
    assert phone_page.eval_on_selector(percent, "el => el.validity.rangeOverflow")
    item.refresh_from_db()
    assert item.percent == 0 and not item.reports.exists()  # nothing written
    phone_page.fill("[data-testid=report-form] textarea[name=text]", "已收集8所学校的案例初稿")
    phone_page.fill("[data-testid=report-form] input[name=percent]", "40")
    phone_page.click("[data-testid=send-report]")
    phone_page.wait_for_selector("[data-testid=item-status]:has-text('进行中')")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and item.percent == 40

    # 4. The clock moves past the deadline: the item is overdue. The city (the unit above
    #    the district) escalates it and sees it on its supervision board.
    later = timezone.now() + dt.timedelta(days=5)
    with time_machine.travel(later, tick=True):
        assert timezone.localdate() > due
        as_user("district_researcher")  # sessions from five days ago have expired
        page.goto(f"{base}/ledger/items/{item.pk}/")
        assert page.locator("[data-testid=overdue-badge]").count() == 1
        assert page.locator("[data-testid=escalate-card]").count() == 0  # not above itself

        as_user("city_admin")
        page.goto(f"{base}/ledger/items/{item.pk}/")
        page.fill("[data-testid=escalate-card] input[name=reason]", "逾期未完成，请加快推进")
        page.click("[data-testid=escalate]")
        page.wait_for_selector("[data-testid=supervision-badge]")
        sup = Supervision.objects.get(item=item)
        assert sup.unit == world.units["city_bureau"] and sup.closed_at is None
        page.goto(f"{base}/ledger/supervision/")
        assert TITLE in page.locator("[data-testid=supervisions]").inner_text()

        # 5. The principal, told in the notification centre, reports it done.
        assert world.users["principal"].notifications.filter(title__contains="督办").exists()
        phone_page.context.clear_cookies()
        login(phone_page, "principal")
        phone_page.goto(f"{base}/ledger/items/{item.pk}/")
        phone_page.fill("[data-testid=report-form] textarea[name=text]", "案例汇编已完成并报送")
        phone_page.fill("[data-testid=report-form] input[name=percent]", "100")
        phone_page.click("[data-testid=send-report]")
        phone_page.wait_for_selector("[data-testid=item-status]:has-text('已完成')")

        # 6. The researcher verifies it; the supervision closes with it.
        as_user("district_researcher")
        page.goto(f"{base}/ledger/items/{item.pk}/")
        page.click("[data-testid=verify]")
        page.wait_for_selector("[data-testid=item-status]:has-text('已验收')")
        item.refresh_from_db()
        sup.refresh_from_db()
        assert item.status == Status.VERIFIED and sup.closed_at is not None

        # 7. The weekly brief of this week counts and names the item.
        iso = timezone.localdate().isocalendar()
        page.goto(f"{base}/ledger/briefs/new/")
        page.select_option("#id_unit", label="临渭区教师发展中心")
        page.fill("#id_week", f"{iso[0]}-W{iso[1]:02d}")
        page.click("[data-testid=generate]")
        page.wait_for_url(re.compile(r"/ledger/briefs/\d+/$"))
        assert page.locator("[data-testid=fig-done]").inner_text().strip() == "1"
        assert page.locator("[data-testid=fig-escalated]").inner_text().strip() == "1"
        assert page.locator("[data-testid=fig-overdue]").inner_text().strip() == "0"
        page.click("[data-testid=issue]")
        page.wait_for_selector("[data-testid=brief-number]:has-text('第1期')")
        with page.expect_download() as info:
            page.click("[data-testid=download-docx]")
        data = Path(info.value.path()).read_bytes()

    text = _docx_text(data)
    assert "第1期" in text and "临渭区教师发展中心" in text
    assert "本周完成台账事项 1 项" in text
    assert "逾期 0 项" in text and "新增督办 1 项" in text
    assert TITLE in text  # named among the completed and the newly supervised items
    assert not csp_violations
