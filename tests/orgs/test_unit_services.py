"""Creating, editing, closing and moving org units: services and their pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.models import AuditLog
from jiaoyan.orgs import services
from jiaoyan.orgs.models import OrgUnit
from tests.support import zh

STALE = (
    "Someone else changed this record after you opened the form. "
    "Reload the page to see their change, then make yours again."
)


def test_city_admin_creates_a_town(world):
    town = services.create_unit(
        actor=world.city_admin,
        parent=world.units["linwei"],
        code=" 610502100 ",
        name=" 双王街道 ",
        level="town",
        kind="region",
    )
    town.refresh_from_db()
    assert (town.code, town.name) == ("610502100", "双王街道")
    assert town.path == f"{world.units['linwei'].path}{town.pk}/" and town.depth == 3
    log = AuditLog.objects.get(object_id=town.pk, action="create")
    assert log.actor == world.city_admin
    assert log.changes["name"] == "双王街道" and log.changes["code"] == "610502100"
    assert log.unit_path == town.path


@pytest.mark.parametrize("who", ["district_researcher", "principal", "teacher", "outsider"])
def test_others_cannot_add_units_in_linwei(world, who):
    with pytest.raises(PermissionDenied):
        services.create_unit(
            actor=world.users[who],
            parent=world.units["linwei"],
            code="610502100",
            name="双王街道",
            level="town",
            kind="region",
        )
    assert not OrgUnit.objects.filter(code="610502100").exists()


def test_only_a_superuser_adds_a_top_level_unit(world):
    with pytest.raises(PermissionDenied):
        services.create_unit(
            actor=world.city_admin,
            parent=None,
            code="620000",
            name="甘肃省",
            level="province",
            kind="region",
        )
    unit = services.create_unit(
        actor=world.superuser,
        parent=None,
        code="620000",
        name="甘肃省",
        level="province",
        kind="region",
    )
    assert unit.parent is None and unit.depth == 0


@pytest.mark.parametrize(
    "parent, level, kind, field",
    [
        ("linwei", "city", "region", "level"),  # a city under a county
        ("linwei", "town", "bureau", "level"),  # a bureau has its region's level
        ("linwei_bureau", "county", "institute", "parent"),  # only regions have children
        ("renmin", "school", "region", "level"),  # only schools are level "school"
    ],
)
def test_the_tree_shape_is_enforced(world, parent, level, kind, field):
    with pytest.raises(ServiceError) as e:
        services.create_unit(
            actor=world.city_admin,
            parent=world.units[parent],
            code="X1",
            name="错位单位",
            level=level,
            kind=kind,
        )
    assert e.value.field == field
    assert not OrgUnit.objects.filter(code="X1").exists()


def test_a_used_code_is_refused(world):
    with pytest.raises(ServiceError) as e:
        services.create_unit(
            actor=world.city_admin,
            parent=world.units["linwei"],
            code="610503",
            name="重复",
            level="town",
            kind="region",
        )
    assert e.value.field == "code"
    assert e.value.text == zh(
        "The unit code “%(code)s” is already used by another unit.", code="610503"
    )


def test_rename_records_the_change(world):
    unit = world.units["renmin"]
    services.update_unit(
        actor=world.city_admin, unit=unit, data={"name": "人民路街道"}, expected_version=1
    )
    unit.refresh_from_db()
    assert unit.name == "人民路街道" and unit.version == 2
    log = AuditLog.objects.get(object_id=unit.pk, action="update")
    assert log.changes == {"name": ["人民街道", "人民路街道"]}


def test_saving_unchanged_values_writes_nothing(world):
    unit = world.units["renmin"]
    services.update_unit(actor=world.city_admin, unit=unit, data={"name": "人民街道"})
    unit.refresh_from_db()
    assert unit.version == 1
    assert not AuditLog.objects.filter(object_id=unit.pk).exists()


def test_stale_version_is_refused_and_changes_nothing(world):
    unit = world.units["renmin"]
    services.update_unit(actor=world.city_admin, unit=unit, data={"name": "甲"}, expected_version=1)
    with pytest.raises(StaleObject) as e:
        services.update_unit(
            actor=world.city_admin, unit=unit, data={"name": "乙"}, expected_version=1
        )
    assert e.value.text == zh(STALE)
    unit.refresh_from_db()
    assert unit.name == "甲" and unit.version == 2
    assert AuditLog.objects.filter(object_id=unit.pk).count() == 1


def test_district_researcher_cannot_edit_units(world):
    with pytest.raises(PermissionDenied):
        services.update_unit(
            actor=world.district_researcher, unit=world.units["renmin"], data={"name": "x"}
        )
    assert OrgUnit.objects.get(pk=world.units["renmin"].pk).name == "人民街道"


def test_closing_a_unit_with_open_children_is_refused(world):
    with pytest.raises(ServiceError) as e:
        services.update_unit(
            actor=world.city_admin, unit=world.units["renmin"], data={"is_active": False}
        )
    assert e.value.field == "is_active"
    services.update_unit(
        actor=world.city_admin, unit=world.units["linwei_bureau"], data={"is_active": False}
    )
    assert not OrgUnit.objects.get(pk=world.units["linwei_bureau"].pk).is_active


def test_a_unit_is_never_deleted(world):
    from jiaoyan.core.scope import can

    for user in (world.city_admin, world.superuser):
        assert not can(user, "delete", world.units["renmin"])


def test_moving_a_unit_rewrites_the_paths_below(world):
    renmin, huazhou = world.units["renmin"], world.units["huazhou"]
    services.move_unit(actor=world.city_admin, unit=renmin, new_parent=huazhou)
    renmin.refresh_from_db()
    school = OrgUnit.objects.get(pk=world.school_a.pk)
    assert renmin.parent == huazhou and renmin.path == f"{huazhou.path}{renmin.pk}/"
    assert school.path == f"{renmin.path}{school.pk}/" and school.depth == 4
    log = AuditLog.objects.get(object_id=renmin.pk, action="update")
    assert log.changes == {"parent": ["临渭区", "华州区"]}
    # The district researcher of 临渭区 no longer sees the moved school.
    assert not OrgUnit.objects.visible_to(world.district_researcher).filter(pk=school.pk).exists()


def test_moving_under_its_own_subtree_is_refused(world):
    with pytest.raises(ServiceError):
        services.move_unit(
            actor=world.city_admin, unit=world.units["linwei"], new_parent=world.units["renmin"]
        )


# --- pages ------------------------------------------------------------------------


def test_create_unit_page(world, client_for):
    client = client_for(world.city_admin)
    linwei = world.units["linwei"]
    assert client.get(f"/orgs/units/new/?parent={linwei.pk}").status_code == 200
    resp = client.post(
        f"/orgs/units/new/?parent={linwei.pk}",
        {
            "code": "610502100",
            "name": "双王街道",
            "level": "town",
            "kind": "region",
            "is_active": "on",
        },
    )
    unit = OrgUnit.objects.get(code="610502100")
    assert resp.status_code == 302 and resp["Location"] == f"/orgs/units/{unit.pk}/"


def test_create_unit_page_shows_the_service_error(world, client_for):
    linwei = world.units["linwei"]
    resp = client_for(world.city_admin).post(
        f"/orgs/units/new/?parent={linwei.pk}",
        {"code": "610503", "name": "重复", "level": "town", "kind": "region"},
    )
    assert resp.status_code == 200
    assert zh("The unit code “%(code)s” is already used by another unit.", code="610503") in (
        resp.content.decode()
    )


def test_create_unit_page_refuses_the_researcher(world, client_for):
    linwei = world.units["linwei"]
    client = client_for(world.district_researcher)
    assert client.get(f"/orgs/units/new/?parent={linwei.pk}").status_code == 403
    huazhou = world.units["huazhou"]
    assert client.get(f"/orgs/units/new/?parent={huazhou.pk}").status_code == 404
    assert client.get("/orgs/units/new/?parent=abc").status_code == 404


def test_edit_unit_page_with_a_stale_form(world, client_for):
    unit = world.units["renmin"]
    client = client_for(world.city_admin)
    form = {"code": unit.code, "level": "town", "kind": "region", "is_active": "on"}
    ok = client.post(f"/orgs/units/{unit.pk}/edit/", {**form, "name": "新名", "version": 1})
    assert ok.status_code == 302
    stale = client.post(f"/orgs/units/{unit.pk}/edit/", {**form, "name": "旧表单", "version": 1})
    assert stale.status_code == 200
    assert zh(STALE) in stale.content.decode()
    unit.refresh_from_db()
    assert unit.name == "新名"


def test_unit_page_shows_history(world, client_for):
    unit = world.units["renmin"]
    services.update_unit(actor=world.city_admin, unit=unit, data={"name": "人民路街道"})
    html = client_for(world.district_researcher).get(f"/orgs/units/{unit.pk}/").content.decode()
    assert 'id="history"' in html and 'data-testid="history-entry"' in html
    assert "<del>人民街道</del>" in html and "<ins>人民路街道</ins>" in html
    assert "王局长（city_admin）" in html
    assert client_for(world.outsider).get(f"/orgs/units/{unit.pk}/").status_code == 404
