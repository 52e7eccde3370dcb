"""A phone-sized screen: log in, open the menu, read the people list."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _no_sideways_scrolling(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_phone_login_and_people_list(world, phone_page, login, live_server, csp_violations):
    pg = phone_page
    pg.goto(f"{live_server.url}/accounts/login/")
    assert _no_sideways_scrolling(pg)
    assert pg.locator("#id_username").bounding_box()["width"] > 250  # fills the screen
    login(pg, "city_admin")
    assert _no_sideways_scrolling(pg)
    assert pg.get_by_test_id("school-count").is_visible()
    # The navigation folds into a menu button; People is in the 管理 section.
    assert not pg.locator("#nav [data-nav=people]").is_visible()
    pg.click(".navbar-toggler")
    pg.click("#nav [data-nav-section=admin] .dropdown-toggle")
    pg.locator("#nav [data-nav=people]").click()
    pg.wait_for_url(f"{live_server.url}/people/")
    rows = pg.get_by_test_id("person-row")
    assert rows.count() == 8
    assert rows.first.is_visible()
    assert "13900000001" in pg.locator("#list-results").inner_text()  # the admin sees phones
    assert _no_sideways_scrolling(pg)
    assert csp_violations == []


def test_phone_teacher_sees_masked_numbers(world, phone_page, login, live_server):
    login(phone_page, "teacher")
    phone_page.goto(f"{live_server.url}/people/")
    text = phone_page.locator("#list-results").inner_text()
    assert "139****0003" in text and "13900000003" not in text
    assert "13900000004" in text  # their own
