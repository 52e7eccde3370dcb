"""The org tree: expand nodes (HTMX) down to a school; a district researcher's tree holds
their district only."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_expand_the_tree_down_to_a_school(world, page, login, live_server, csp_violations):
    login(page, "city_admin")
    page.click("#nav [data-nav-section=admin] .dropdown-toggle")  # 管理
    page.click("#nav [data-nav=orgs]")
    page.wait_for_url(f"{live_server.url}/orgs/")
    root = page.get_by_test_id("tree-root")
    assert root.count() == 1 and "渭南市" in root.inner_text()
    linwei = world.units["linwei"]
    assert page.locator(f"#sub-{linwei.pk}").inner_text() == ""
    page.get_by_test_id("expand-610502").click()  # HTMX loads the children into the node
    page.wait_for_selector(f"#sub-{linwei.pk} >> text=人民街道")
    page.get_by_test_id("expand-610502001").click()
    renmin = world.units["renmin"]
    school_link = page.locator(f"#sub-{renmin.pk} a", has_text="临渭区第一初级中学")
    school_link.wait_for()
    node_text = page.locator(f"#sub-{linwei.pk}").inner_text()
    assert "临渭区第二小学" in node_text and "华州区第一小学" not in node_text
    school_link.click()
    page.wait_for_url(f"{live_server.url}/orgs/schools/{world.school_a.pk}/")
    assert "临渭区第一初级中学" in page.locator(".page-title").inner_text()
    assert page.get_by_test_id("staff-count").inner_text() == "3"
    assert csp_violations == []


def test_district_researcher_sees_only_their_district(world, page, login, live_server):
    login(page, "district_researcher")
    page.goto(f"{live_server.url}/orgs/")
    roots = page.get_by_test_id("tree-root")
    assert roots.count() == 1 and "临渭区" in roots.inner_text()
    body = page.locator("body").inner_text()
    assert "华州区" not in body and "渭南市教育局" not in body
    page.get_by_test_id("expand-610502001").click()
    page.wait_for_selector("text=临渭区第一初级中学")
    assert "华州区" not in page.locator("body").inner_text()
    # Guessing another district's URL leads nowhere.
    resp = page.goto(f"{live_server.url}/orgs/units/{world.units['huazhou'].pk}/")
    assert resp.status == 404
