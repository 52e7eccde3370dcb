"""Creating and editing schools: services, the principal's limited edit, pages, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.models import AuditLog
from jiaoyan.orgs import services
from jiaoyan.orgs.models import OrgUnit, School, Stage
from tests.support import zh

STALE = (
    "Someone else changed this record after you opened the form. "
    "Reload the page to see their change, then make yours again."
)


def fresh(school) -> School:
    return School.objects.select_related("org_unit").get(pk=school.pk)


def test_city_admin_creates_a_school(world):
    school = services.create_school(
        actor=world.city_admin,
        parent=world.units["renmin"],
        code="6105020003",
        name="临渭区第三小学",
        kind="primary",
        location="urban",
        stages=Stage.objects.filter(code="primary"),
        student_count=640,
        teacher_count=41,
        address="人民路3号",
    )
    school = fresh(school)
    assert school.org_unit.kind == "school" and school.org_unit.level == "school"
    assert school.org_unit.path.startswith(world.units["renmin"].path)
    assert [s.code for s in school.stages.all()] == ["primary"]
    log = AuditLog.objects.get(object_id=school.pk, action="create")
    assert log.changes["name"] == "临渭区第三小学" and log.changes["student_count"] == 640
    assert log.changes["stages"] == ["小学"]


def test_school_creation_is_refused_outside_scope_and_for_bad_counts(world):
    kwargs = {"code": "6105030009", "name": "华州区某小学", "kind": "primary", "location": "rural"}
    with pytest.raises(PermissionDenied):
        services.create_school(actor=world.outsider, parent=world.units["renmin"], **kwargs)
    with pytest.raises(PermissionDenied):
        services.create_school(actor=world.principal, parent=world.units["renmin"], **kwargs)
    with pytest.raises(ServiceError):
        services.create_school(
            actor=world.city_admin, parent=world.units["renmin"], student_count=-1, **kwargs
        )
    assert not OrgUnit.objects.filter(code="6105030009").exists()


def test_principal_edits_the_counts_of_own_school(world):
    school = world.school_a
    services.update_school(
        actor=world.principal,
        school=school,
        data={"student_count": 950, "teacher_count": 62},
        expected_version=1,
    )
    school = fresh(school)
    assert (school.student_count, school.teacher_count, school.version) == (950, 62, 2)
    log = AuditLog.objects.get(object_id=school.pk, action="update")
    assert log.changes == {"student_count": [900, 950], "teacher_count": [60, 62]}
    assert log.actor == world.principal


@pytest.mark.parametrize("field, value", [("name", "新校名"), ("code", "6105029999")])
def test_principal_cannot_rename_or_recode(world, field, value):
    with pytest.raises(PermissionDenied):
        services.update_school(
            actor=world.principal, school=world.school_a, data={field: value, "student_count": 1}
        )
    school = fresh(world.school_a)
    assert school.org_unit.name == "临渭区第一初级中学" and school.student_count == 900


@pytest.mark.parametrize("who", ["teacher", "counsellor", "district_researcher", "outsider"])
def test_others_cannot_edit_the_school(world, who):
    with pytest.raises(PermissionDenied):
        services.update_school(
            actor=world.users[who], school=world.school_a, data={"student_count": 1}
        )


def test_principal_cannot_edit_another_school(world):
    with pytest.raises(PermissionDenied):
        services.update_school(
            actor=world.principal, school=world.school_b, data={"student_count": 1}
        )


def test_city_admin_renames_a_school_in_one_audit_row(world):
    services.update_school(
        actor=world.city_admin,
        school=world.school_a,
        data={"name": "临渭区育英初级中学", "student_count": 901},
    )
    school = fresh(world.school_a)
    assert school.org_unit.name == "临渭区育英初级中学" and school.student_count == 901
    logs = list(AuditLog.objects.filter(object_id=school.pk, action="update"))
    assert len(logs) == 1
    assert logs[0].changes == {
        "name": ["临渭区第一初级中学", "临渭区育英初级中学"],
        "student_count": [900, 901],
    }


def test_rename_alone_is_recorded_too(world):
    services.update_school(actor=world.city_admin, school=world.school_b, data={"name": "新二小"})
    log = AuditLog.objects.get(object_id=world.school_b.pk, action="update")
    assert log.changes == {"name": ["临渭区第二小学", "新二小"]}
    assert fresh(world.school_b).version == 2


def test_negative_counts_are_refused(world):
    with pytest.raises(ServiceError) as e:
        services.update_school(
            actor=world.principal, school=world.school_a, data={"student_count": -5}
        )
    assert e.value.field == "student_count"
    assert e.value.text == zh("Counts may not be negative.")


def test_stale_school_form_is_refused(world):
    services.update_school(
        actor=world.principal, school=world.school_a, data={"student_count": 901}
    )
    with pytest.raises(StaleObject) as e:
        services.update_school(
            actor=world.city_admin,
            school=world.school_a,
            data={"student_count": 5, "name": "过期的改名"},
            expected_version=1,
        )
    assert e.value.text == zh(STALE)
    school = fresh(world.school_a)
    assert school.student_count == 901 and school.org_unit.name == "临渭区第一初级中学"


def test_stages_change_is_audited_by_name(world):
    services.update_school(
        actor=world.city_admin,
        school=world.school_a,
        data={"stages": list(Stage.objects.filter(code__in=["junior", "senior"]))},
    )
    log = AuditLog.objects.get(object_id=world.school_a.pk, action="update")
    assert log.changes == {"stages": [["初中"], ["初中", "高中"]]}


# --- pages ------------------------------------------------------------------------


def _form(school: School, **over) -> dict:
    data = {
        "code": school.code,
        "name": school.name,
        "kind": school.kind,
        "stages": [s.pk for s in school.stages.all()],
        "location": school.location,
        "student_count": school.student_count,
        "teacher_count": school.teacher_count,
        "address": school.address,
        "version": school.version,
    }
    data.update(over)
    return data


def test_principal_edit_page_keeps_name_and_code(world, client_for):
    client = client_for(world.principal)
    url = f"/orgs/schools/{world.school_a.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'name="name"' in page and "disabled" in page
    resp = client.post(url, _form(world.school_a, name="偷改校名", code="X", student_count=999))
    assert resp.status_code == 302
    school = fresh(world.school_a)
    assert school.student_count == 999
    assert (school.org_unit.name, school.org_unit.code) == ("临渭区第一初级中学", "6105020001")
    # Another school is outside the principal's scope: it does not exist for them.
    assert client.get(f"/orgs/schools/{world.school_b.pk}/edit/").status_code == 404
    assert client.get(f"/orgs/schools/{world.school_c.pk}/edit/").status_code == 404


def test_teacher_has_no_edit_button_and_no_edit_page(world, client_for):
    client = client_for(world.teacher)
    detail = client.get(f"/orgs/schools/{world.school_a.pk}/").content.decode()
    assert f"/orgs/schools/{world.school_a.pk}/edit/" not in detail
    assert client.get(f"/orgs/schools/{world.school_a.pk}/edit/").status_code == 403


def test_admin_edit_page_with_a_stale_form(world, client_for):
    client = client_for(world.city_admin)
    url = f"/orgs/schools/{world.school_b.pk}/edit/"
    assert client.post(url, _form(world.school_b, student_count=201)).status_code == 302
    stale = client.post(url, _form(world.school_b, student_count=5, version=1))
    assert stale.status_code == 200 and zh(STALE) in stale.content.decode()
    assert fresh(world.school_b).student_count == 201


def test_create_school_page(world, client_for):
    client = client_for(world.city_admin)
    renmin = world.units["renmin"]
    resp = client.post(
        f"/orgs/schools/new/?parent={renmin.pk}",
        {
            "code": "6105020003",
            "name": "临渭区第三小学",
            "kind": "primary",
            "stages": [Stage.objects.get(code="primary").pk],
            "location": "urban",
            "student_count": 10,
            "teacher_count": 2,
            "address": "",
        },
    )
    school = School.objects.get(org_unit__code="6105020003")
    assert resp.status_code == 302 and resp["Location"] == f"/orgs/schools/{school.pk}/"
    bad = client.post(
        f"/orgs/schools/new/?parent={renmin.pk}",
        {
            "code": "6105020003",
            "name": "重名",
            "kind": "primary",
            "location": "urban",
            "student_count": 1,
            "teacher_count": 1,
        },
    )
    assert bad.status_code == 200
    assert zh("The unit code “%(code)s” is already used by another unit.", code="6105020003") in (
        bad.content.decode()
    )


def test_school_page_shows_its_history_to_those_who_see_it(world, client_for):
    services.update_school(
        actor=world.principal, school=world.school_a, data={"student_count": 950}
    )
    for who in ("city_admin", "district_researcher", "principal", "teacher", "counsellor"):
        html = client_for(world.users[who]).get(f"/orgs/schools/{world.school_a.pk}/")
        html = html.content.decode()
        assert 'data-testid="history-entry"' in html, who
        assert "<del>900</del>" in html and "<ins>950</ins>" in html, who
        assert "李校长（principal）" in html
    assert client_for(world.outsider).get(f"/orgs/schools/{world.school_a.pk}/").status_code == 404


def test_school_page_counts_staff(world, client_for):
    html = client_for(world.city_admin).get(f"/orgs/schools/{world.school_a.pk}/")
    assert 'data-testid="staff-count">3<' in html.content.decode()
