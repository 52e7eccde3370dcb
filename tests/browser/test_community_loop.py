"""A teacher studio's loop in a real browser (issue 12, "Done when").

The district researcher creates a teacher studio hosted by the teacher (an urban school),
adds a member from a rural school — the studio coverage on the coverage page moves from
0% to 50% and its target (50%, the default) flips to met — organises an activity for the
studio and invites the teacher; the teacher checks in on a phone; the studio's task
progress and points go up; the yearly report downloads as .docx whose text holds those
numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from docx import Document

from jiaoyan.communities.models import Community

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


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _coverage(page, base) -> tuple[str, str]:
    page.goto(f"{base}/communities/coverage/")
    card = page.locator("[data-testid=coverage-studio]")
    return page.locator("[data-testid=share-studio]").inner_text(), card.get_attribute("data-met")


def _task(page, name: str) -> int:
    return int(page.locator(f"[data-testid=task][data-task='{name}']").get_attribute("data-done"))


def test_studio_members_coverage_activity_checkin_progress_points_report(
    world, live_server, page, phone_page, login
):
    base = live_server.url
    year = timezone.localdate().year
    login(page, "district_researcher")
    share, met = _coverage(page, base)
    assert (share, met) == ("0%", "0")

    # 1. A teacher studio of the district, hosted by the teacher (an urban school).
    page.goto(f"{base}/communities/new/?kind=studio")
    page.select_option("#id_org_unit", label="临渭区教师发展中心")
    page.fill("#id_name", "张老师初中数学名师工作室")
    page.fill("#id_code", "MS-LW-001")
    page.fill("#id_start_on", f"{year - 1}-09-01")
    page.fill("#id_end_on", f"{year + 2}-08-31")
    page.fill("#id_leader", "T002")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/communities/\d+/$"))
    studio = Community.objects.get(code="MS-LW-001")
    assert _coverage(page, base) == ("0.0%", "0")

    # 2. A member from a rural school: 1 of 2 teachers, 50% ≥ 50%: met.
    page.goto(f"{base}/communities/{studio.pk}/")
    page.fill("#id_member", "T101")
    page.fill("#id_joined_on", f"{year - 1}-09-01")
    page.click("[data-testid=add-member]")
    assert page.locator("[data-testid=member-count]").inner_text() == "2"
    assert _coverage(page, base) == ("50.0%", "1")

    # 3. The year's tasks from the template; nothing done yet.
    page.goto(f"{base}/communities/{studio.pk}/?year={year}")
    page.click("[data-testid=generate-tasks]")
    assert _task(page, "示范课") == 0 and _task(page, "集体研修活动") == 0
    assert page.locator("[data-testid=points-total]").inner_text() == "0"

    # 4. An activity organised for the studio (a demonstration lesson), the teacher invited.
    page.click("[data-testid=organise-activity]")
    assert page.input_value("#id_community") == "MS-LW-001"
    start = timezone.now() + dt.timedelta(minutes=5)
    page.fill("#id_title", "工作室示范课：函数的概念")
    page.select_option("#id_kind", "demonstration")
    page.select_option("#id_org_unit", label="临渭区教师发展中心")
    page.fill("#id_starts_at", _local(start))
    page.fill("#id_ends_at", _local(start + dt.timedelta(hours=2)))
    page.fill("#id_venue_name", "区教师发展中心报告厅")
    page.fill("#id_venue_address", "临渭区人民路1号")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/activities/\d+/$"))
    activity = studio.activities.get()
    page.click("[data-testid=invite]")
    page.select_option("#id_within", label="临渭区")
    page.select_option("#id_subject", label="数学")
    page.click("[data-testid=preview]")
    page.click("[data-testid=confirm-invite]")
    page.click("[data-testid=publish]")
    venue = activity.venues.get(is_main=True)
    page.goto(f"{base}/activities/venues/{venue.pk}/projector/")
    code = page.locator("[data-testid=checkin-code]").inner_text().strip()

    # 5. The teacher (the studio's host, a member) checks in on a phone.
    login(phone_page, "teacher")
    phone_page.goto(f"{base}/activities/{activity.pk}/")
    phone_page.click("[data-testid=go-checkin]")
    phone_page.fill("#id_code", code)
    phone_page.click("[data-testid=checkin-submit]")
    phone_page.wait_for_selector("[data-testid=checkin-done]")
    # The teacher sees the studio's workspace too.
    phone_page.goto(f"{base}/communities/{studio.pk}/?year={year}")
    assert _task(phone_page, "示范课") == 1

    # 6. Progress and points went up (a county-level demonstration: 3 points).
    page.goto(f"{base}/communities/{studio.pk}/?year={year}")
    assert _task(page, "示范课") == 1 and _task(page, "集体研修活动") == 1
    assert page.locator("[data-testid=points-total]").inner_text() == "3"
    page.goto(f"{base}/communities/assessment/?year={year}")
    row = page.locator("[data-testid=rank-row][data-code='MS-LW-001']")
    assert row.get_attribute("data-points") == "3"

    # 7. The yearly report, rendered by a job, downloads as .docx holding those numbers.
    page.goto(f"{base}/communities/{studio.pk}/?year={year}")
    page.click("[data-testid=yearly-report]")
    page.wait_for_selector("[data-testid=download-report]")
    with page.expect_download() as info:
        page.click("[data-testid=download-report]")
    path = info.value.path()
    with open(path, "rb") as f:
        doc = Document(io.BytesIO(f.read()))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    assert "张老师初中数学名师工作室" in text
    assert ["示范课", "4", "1", "25%"] in cells
    assert any(r[1] == "工作室示范课：函数的概念" and r[-1] == "1" for r in cells if len(r) == 4)
    assert any("刘老师" in r[0] for r in cells)  # the member from the rural school

    # 8. On the phone: the studio's month calendar lists the activity; the host shares a
    # file in the workspace and the feed says so; the file comes back as a download.
    phone_page.goto(f"{base}/communities/{studio.pk}/calendar/")
    listed = phone_page.locator("[data-testid=calendar-day-list] [data-testid=calendar-item]")
    assert "工作室示范课：函数的概念" in listed.all_inner_texts()[0]
    phone_page.goto(f"{base}/communities/{studio.pk}/?year={year}")
    phone_page.set_input_files(
        "[data-testid=file-form] input[type=file]",
        files=[{"name": "研修计划.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}],
    )
    phone_page.click("[data-testid=share-file]")
    phone_page.wait_for_selector("[data-testid=file-row]")
    feed = phone_page.locator("[data-testid=feed-item][data-kind=file]").inner_text()
    assert "研修计划.pdf" in feed
    with phone_page.expect_download() as info:
        phone_page.click("[data-testid=file-row] a")
    assert info.value.suggested_filename == "研修计划.pdf"
