"""Edit a school in the browser, then see the change in its history."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_edit_a_school_and_see_its_history(world, page, login, live_server, csp_violations):
    login(page, "city_admin")
    url = f"{live_server.url}/orgs/schools/{world.school_a.pk}/"
    page.goto(url)
    assert "No changes recorded yet." in page.locator("#history").inner_text() or (
        page.get_by_test_id("history-entry").count() == 0
    )
    page.click(f"a[href='/orgs/schools/{world.school_a.pk}/edit/']")
    page.fill("#id_student_count", "950")
    page.fill("#id_address", "临渭区人民街道育才路8号")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(url)
    entries = page.get_by_test_id("history-entry")
    assert entries.count() == 1
    text = entries.first.inner_text()
    assert "王局长（city_admin）" in text
    assert "900" in text and "950" in text and "育才路8号" in text
    assert page.locator("#history del", has_text="900").count() == 1
    assert csp_violations == []


def test_principal_edits_counts_and_the_teacher_reads_the_history(world, page, login, live_server):
    login(page, "principal")
    page.goto(f"{live_server.url}/orgs/schools/{world.school_a.pk}/edit/")
    assert page.locator("#id_name").is_disabled() and page.locator("#id_code").is_disabled()
    page.fill("#id_teacher_count", "61")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{live_server.url}/orgs/schools/{world.school_a.pk}/")
    page.context.clear_cookies()
    login(page, "teacher")
    page.goto(f"{live_server.url}/orgs/schools/{world.school_a.pk}/")
    entry = page.get_by_test_id("history-entry").first
    assert "李校长（principal）" in entry.inner_text() and "61" in entry.inner_text()
    assert page.locator(f"a[href='/orgs/schools/{world.school_a.pk}/edit/']").count() == 0
