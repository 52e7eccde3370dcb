"""Log in on the Chinese log-in page and land on the home page with scope and counts."""

from __future__ import annotations

import pytest

from tests.support import zh

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_city_admin_logs_in_and_sees_scope_and_counts(world, page, live_server, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("label[for=id_username]").inner_text() == zh("User name")
    assert page.locator("label[for=id_password]").inner_text() == zh("Password")
    page.fill("#id_username", "city_admin")
    page.fill("#id_password", "jiaoyan-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    scope = page.get_by_test_id("scope").inner_text()
    assert "渭南市" in scope and zh("Bureau admin") in scope
    assert page.get_by_test_id("school-count").inner_text() == "3"
    assert page.get_by_test_id("people-count").inner_text() == "8"
    # The charts are drawn by app.js from server-built options (no inline script).
    page.wait_for_selector("[data-chart][data-drawn='1']")
    assert page.locator("[data-chart][data-drawn='1']").count() == 4
    assert page.locator("#nav [data-nav=audit]").count() == 1
    assert csp_violations == []


def test_wrong_password_stays_on_the_log_in_page(world, page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "city_admin")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert page.get_by_test_id("login-error").is_visible()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")


def test_teacher_home_has_no_admin_navigation(world, page, login, live_server):
    login(page, "teacher")
    # The teacher's own work, not the figures and charts of their one school.
    assert page.get_by_test_id("home-observed").is_visible()
    assert page.get_by_test_id("school-count").count() == 0
    assert page.locator("[data-chart]").count() == 0
    assert page.locator("#nav [data-nav=audit]").count() == 0
    assert page.locator("#nav [data-nav=imports]").count() == 0
