"""Mobile numbers: in full for the bureau admins of a person's scope and for the person;
masked (139****0003) for everyone else — in the list, the profile, the API and exports."""

from __future__ import annotations

import pytest

from jiaoyan.people import services
from tests.support import read_xlsx

PRINCIPAL_FULL, PRINCIPAL_MASKED = "13900000003", "139****0003"
TEACHER_FULL, TEACHER_MASKED = "13900000004", "139****0004"


def test_masked_phone_format(world):
    assert world.people["principal"].masked_phone == PRINCIPAL_MASKED


def _export_phones(client) -> dict[str, str]:
    resp = client.get("/people/?export=xlsx")
    assert resp.status_code == 200
    rows = read_xlsx(resp.content)
    header = rows[1]
    col = header.index("手机号")
    return {r[0]: r[col] for r in rows[2:]}


def test_city_admin_sees_full_numbers_everywhere(world, client_for, api_for):
    client = client_for(world.city_admin)
    principal = world.people["principal"]
    listing = client.get("/people/").content.decode()
    assert PRINCIPAL_FULL in listing and PRINCIPAL_MASKED not in listing
    detail = client.get(f"/people/{principal.pk}/").content.decode()
    assert f'data-testid="phone">{PRINCIPAL_FULL}<' in detail
    api = api_for(world.city_admin)
    assert api.get(f"/api/v1/people/{principal.pk}").json()["phone"] == PRINCIPAL_FULL
    items = api.get("/api/v1/people?limit=100").json()["items"]
    assert {i["staff_no"]: i["phone"] for i in items}["T001"] == PRINCIPAL_FULL
    assert _export_phones(client)["T001"] == PRINCIPAL_FULL


@pytest.mark.parametrize("who", ["district_researcher", "principal", "teacher", "counsellor"])
def test_others_see_masked_numbers(world, client_for, api_for, who):
    client = client_for(world.users[who])
    target = world.people["principal"] if who != "principal" else world.people["teacher"]
    full, masked = (
        (PRINCIPAL_FULL, PRINCIPAL_MASKED) if who != "principal" else (TEACHER_FULL, TEACHER_MASKED)
    )
    listing = client.get("/people/").content.decode()
    assert masked in listing and full not in listing
    detail = client.get(f"/people/{target.pk}/").content.decode()
    assert f'data-testid="phone">{masked}<' in detail and full not in detail
    api = api_for(world.users[who])
    assert api.get(f"/api/v1/people/{target.pk}").json()["phone"] == masked
    items = api.get("/api/v1/people?limit=100").json()["items"]
    assert {i["id"]: i["phone"] for i in items}[target.pk] == masked
    assert full not in api.get("/api/v1/people?limit=100").content.decode()
    assert _export_phones(client)[target.staff_no] == masked


@pytest.mark.parametrize("who", ["teacher", "principal", "district_researcher"])
def test_a_person_sees_their_own_number(world, client_for, api_for, who):
    me = world.people[who]
    client = client_for(world.users[who])
    assert f'data-testid="phone">{me.phone}<' in client.get(f"/people/{me.pk}/").content.decode()
    assert api_for(world.users[who]).get(f"/api/v1/people/{me.pk}").json()["phone"] == me.phone
    assert me.phone in client.get("/people/?q=" + me.staff_no).content.decode()


def test_history_never_shows_a_full_number(world, client_for):
    teacher = world.people["teacher"]
    services.update_person(actor=world.city_admin, person=teacher, data={"phone": "13611112222"})
    html = client_for(world.city_admin).get(f"/people/{teacher.pk}/").content.decode()
    assert "<del>139****0004</del>" in html and "<ins>136****2222</ins>" in html
    assert "13611112222" in html  # the admin's own view of the field, not the log
    principal_view = client_for(world.principal).get(f"/people/{teacher.pk}/").content.decode()
    assert "13611112222" not in principal_view and TEACHER_FULL not in principal_view


def test_audit_export_has_no_full_numbers(world, client_for):
    services.update_person(
        actor=world.city_admin, person=world.people["teacher"], data={"phone": "13611112222"}
    )
    rows = read_xlsx(client_for(world.city_admin).get("/audit/?export=xlsx").content)
    assert not any("13611112222" in str(c) for r in rows for c in r if c)
