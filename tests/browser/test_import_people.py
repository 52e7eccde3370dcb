"""Upload shared/data/people.xlsx through the import page: the error report lists the
README's seven rows; "import the valid rows only" then writes the 56 valid people."""

from __future__ import annotations

import pytest

from jiaoyan.people.models import Person
from tests.support import DATA, load_org_units_and_schools

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_import_people_and_see_the_error_report(world, page, login, live_server, csp_violations):
    load_org_units_and_schools()
    before = Person.objects.count()
    login(page, "city_admin")
    page.click("#nav [data-nav-section=admin] .dropdown-toggle")  # 管理
    page.click("#nav [data-nav=imports]")
    page.wait_for_url(f"{live_server.url}/imports/")
    page.goto(f"{live_server.url}/imports/new/")
    page.select_option("#id_kind", "people")
    page.set_input_files("#id_file", str(DATA / "people.xlsx"))
    page.get_by_test_id("upload").click()
    page.wait_for_url(f"{live_server.url}/imports/*/")
    page.wait_for_selector("#import-status[data-status=rejected]")
    rows = page.get_by_test_id("error-row")
    assert rows.count() == 7
    numbers = [int(rows.nth(i).locator("td").first.inner_text()) for i in range(7)]
    assert numbers == [12, 17, 23, 28, 29, 33, 35]
    columns = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(7)]
    assert columns == [
        "手机号",
        "所属单位代码",
        "工号",
        "姓名",
        "所属单位代码",
        "岗位",
        "所属单位代码",
    ]
    assert page.get_by_test_id("import-rejected").is_visible()
    assert Person.objects.count() == before

    page.once("dialog", lambda dialog: dialog.accept())  # "import only the valid rows?"
    page.get_by_test_id("import-valid-only").click()
    page.wait_for_selector("#import-status[data-status=succeeded]")
    assert page.get_by_test_id("created").inner_text() == "56"
    assert page.get_by_test_id("error-row").count() == 7
    assert Person.objects.count() == before + 56
    assert csp_violations == []


def test_cancelling_the_confirmation_imports_nothing(world, page, login, live_server):
    load_org_units_and_schools()
    before = Person.objects.count()
    login(page, "city_admin")
    page.goto(f"{live_server.url}/imports/new/?kind=people")
    page.set_input_files("#id_file", str(DATA / "people_gb18030.csv"))
    page.get_by_test_id("upload").click()
    page.wait_for_selector("#import-status[data-status=rejected]")
    assert page.get_by_test_id("error-row").count() == 7
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("import-valid-only").click()
    page.wait_for_timeout(300)
    assert page.locator("#import-status[data-status=rejected]").count() == 1
    assert Person.objects.count() == before
