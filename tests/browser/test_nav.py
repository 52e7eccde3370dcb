"""The grouped navigation in a browser: on a phone the menu lists the sections, each opens
in place, and a page inside one is reached; on a desktop a section is a dropdown."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_phone_menu_opens_a_section_and_reaches_its_page(
    world, phone_page, login, live_server, csp_violations
):
    pg = phone_page
    login(pg, "teacher")
    menu = pg.locator("#nav")
    assert not menu.is_visible()
    pg.click(".navbar-toggler")
    pg.locator("#nav [data-nav-section=training] .dropdown-toggle").wait_for()
    # Collapsed: the home link and one line per section, no page of a section visible.
    assert pg.locator("#nav > li:visible").count() == 6  # 首页 教研 研训 评价 质量 管理
    assert not pg.locator("#nav [data-nav=hours]").is_visible()
    assert not pg.locator("#nav [data-nav=activities]").is_visible()
    pg.click("#nav [data-nav-section=training] .dropdown-toggle")  # 研训
    hours = pg.locator("#nav [data-nav=hours]")
    hours.wait_for(state="visible")
    assert not pg.locator("#nav [data-nav=activities]").is_visible()  # 教研 stays closed
    # The open section's pages fit the screen (no sideways scrolling).
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    hours.click()
    pg.wait_for_url(f"{live_server.url}/hours/")
    # Back on the menu, the current page's section is marked.
    pg.click(".navbar-toggler")
    assert "active" in pg.locator("#nav [data-nav-section=training]").get_attribute("class")
    assert csp_violations == []


def test_desktop_section_is_a_dropdown(world, page, login, live_server):
    login(page, "city_admin")
    quality = page.locator("#nav [data-nav=quality]")
    assert not quality.is_visible()
    page.click("#nav [data-nav-section=quality] .dropdown-toggle")  # 质量
    quality.wait_for(state="visible")
    quality.click()
    page.wait_for_url(f"{live_server.url}/quality/")
