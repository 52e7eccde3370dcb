"""The auditor (审计员) reads the audit log of its subtree, exports it, and nothing else: no
person, unit, activity or figure, on pages or in the API, and no write."""

from __future__ import annotations

import pytest

from jiaoyan.core.models import AuditLog
from jiaoyan.core.roles import ROLE_BY_SHEET_NAME, Role
from jiaoyan.core.scope import can, user_scopes
from jiaoyan.orgs import services as org_services
from jiaoyan.people.models import Person
from tests.conftest import make_person
from tests.support import read_xlsx


@pytest.fixture
def auditor(world):
    person = make_person(
        "AUD901", "审计员甲", world.units["linwei"], role=Role.AUDITOR, username="auditor"
    )
    return person.user


@pytest.fixture
def history(world):
    """One change inside 临渭区 and one in 华州区."""
    org_services.update_unit(
        actor=world.users["city_admin"], unit=world.units["linwei"], data={"name": "临渭区（改）"}
    )
    org_services.update_unit(
        actor=world.users["city_admin"],
        unit=world.units["huazhou"],
        data={"name": "华州区（改）"},
    )


def test_the_auditor_reads_and_exports_the_audit_log_of_its_subtree(
    world, auditor, history, client_for
):
    client = client_for(auditor)
    page = client.get("/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "临渭区（改）" in html and "华州区（改）" not in html
    assert 'href="/audit/"' in client.get("/").content.decode()  # in the navigation
    export = client.get("/audit/?export=xlsx")
    assert export.status_code == 200
    rows = read_xlsx(export.content)
    assert any("临渭区（改）" in str(cell) for row in rows for cell in row)
    assert not any("华州区（改）" in str(cell) for row in rows for cell in row)
    visible = AuditLog.objects.visible_to(auditor)
    assert visible.filter(object_repr__contains="临渭区").exists()
    assert not visible.filter(object_repr__contains="华州区").exists()


def test_the_auditor_sees_no_data_and_writes_nothing(world, auditor, client_for, api_for):
    assert user_scopes(auditor) == ()
    school = world.schools["school_a"]
    # Their own record only (as everyone sees their own).
    assert list(Person.objects.visible_to(auditor)) == [auditor.person]
    assert not can(auditor, "change", school.org_unit)
    client = client_for(auditor)
    assert client.get(f"/orgs/schools/{school.pk}/").status_code == 404
    assert client.get(f"/orgs/units/{world.units['linwei'].pk}/").status_code == 404
    people = client.get("/people/")
    assert people.status_code in (200, 403, 404)
    assert "李校长" not in people.content.decode()
    home = client.get("/").content.decode()
    for link in ('href="/people/"', 'href="/orgs/"', 'href="/activities/"', 'href="/imports/"'):
        assert link not in home
    api = api_for(auditor)
    assert [p["id"] for p in api.get("/api/v1/people").json()["items"]] == [auditor.person.pk]
    assert api.get(f"/api/v1/schools/{school.pk}").status_code == 404
    figures = client.get("/metrics/")
    assert "临渭区" not in figures.content.decode()


def test_the_sheets_know_the_auditor():
    assert ROLE_BY_SHEET_NAME["审计员"] == Role.AUDITOR
