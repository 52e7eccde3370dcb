"""A person's record: create, edit (optimistic locking), status change and transfer —
through the services and the pages, with the audit trail each leaves."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError, StaleObject
from jiaoyan.core.models import AuditLog
from jiaoyan.core.scope import can
from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.people import services
from jiaoyan.people.models import Person, RoleAssignment, User
from tests.support import zh

STALE = (
    "Someone else changed this record after you opened the form. "
    "Reload the page to see their change, then make yours again."
)


def test_city_admin_adds_a_teacher_with_a_role(world):
    person = services.create_person(
        actor=world.city_admin,
        staff_no=" T900 ",
        name=" 孙老师 ",
        org_unit=world.school_b.org_unit,
        gender="female",
        phone="139 0000 0099",
        professional_title="second",
        role="teacher",
        subjects=Subject.objects.filter(name="语文"),
        stages=Stage.objects.filter(code="primary"),
    )
    person.refresh_from_db()
    assert (person.staff_no, person.name, person.phone) == ("T900", "孙老师", "13900000099")
    ra = person.roles.get()
    assert (ra.role, ra.org_unit_id) == ("teacher", world.school_b.pk)
    assert [s.name for s in ra.subjects.all()] == ["语文"]
    logs = list(AuditLog.objects.filter(object_id=person.pk).order_by("id"))
    assert [log.action for log in logs] == ["create", "update"]
    assert logs[0].changes["name"] == [None, "孙老师"]
    assert logs[0].changes["phone"] == [None, "139****0099"]  # the log keeps masked numbers
    assert logs[1].changes["roles"] == [None, zh("Teacher") + "@临渭区第二小学（语文）"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"staff_no": "T002"}, "staff_no"),  # taken by the teacher
        ({"phone": "1380013800"}, "phone"),  # ten digits
        ({"phone": "abc"}, "phone"),
    ],
)
def test_bad_person_input_is_refused(world, kwargs, field):
    args = {"staff_no": "T901", "name": "某人", "org_unit": world.school_b.org_unit}
    args.update(kwargs)
    count = Person.objects.count()
    with pytest.raises(ServiceError) as e:
        services.create_person(actor=world.city_admin, **args)
    assert e.value.field == field
    assert Person.objects.count() == count


def test_duplicate_staff_number_message(world):
    with pytest.raises(ServiceError) as e:
        services.create_person(
            actor=world.city_admin, staff_no="T002", name="某人", org_unit=world.school_b.org_unit
        )
    assert e.value.text == zh("The staff number “%(no)s” is already in use.", no="T002")


@pytest.mark.parametrize("who", ["district_researcher", "principal", "teacher", "outsider"])
def test_only_admins_of_the_scope_add_people(world, who):
    with pytest.raises(PermissionDenied):
        services.create_person(
            actor=world.users[who], staff_no="T902", name="某人", org_unit=world.school_a.org_unit
        )


def test_edit_person_and_stale_version(world):
    teacher = world.people["teacher"]
    services.update_person(
        actor=world.city_admin,
        person=teacher,
        data={"name": "张明", "phone": "13911112222"},
        expected_version=1,
    )
    teacher.refresh_from_db()
    assert (teacher.name, teacher.phone, teacher.version) == ("张明", "13911112222", 2)
    log = AuditLog.objects.get(object_id=teacher.pk, action="update")
    assert log.changes["name"] == ["张老师", "张明"]
    assert log.changes["phone"] == ["139****0004", "139****2222"]
    with pytest.raises(StaleObject) as e:
        services.update_person(
            actor=world.city_admin, person=teacher, data={"name": "过期"}, expected_version=1
        )
    assert e.value.text == zh(STALE)
    teacher.refresh_from_db()
    assert teacher.name == "张明"


def test_empty_name_is_refused(world):
    with pytest.raises(ServiceError) as e:
        services.update_person(
            actor=world.city_admin, person=world.people["teacher"], data={"name": "  "}
        )
    assert e.value.field == "name"


def test_teacher_cannot_edit_even_themselves(world):
    with pytest.raises(PermissionDenied):
        services.update_person(
            actor=world.teacher, person=world.people["teacher"], data={"name": "自己改名"}
        )


def test_leaving_ends_roles_disables_the_account_and_keeps_history(world, client):
    teacher = world.people["teacher"]
    services.update_person(actor=world.city_admin, person=teacher, data={"name": "张明"})
    services.change_status(actor=world.city_admin, person=teacher, status="left", note="辞职")
    teacher.refresh_from_db()
    assert teacher.status == "left" and teacher.status_note == "辞职"
    assert teacher.status_changed_at is not None
    assert not RoleAssignment.objects.filter(person=teacher, is_active=True).exists()
    ra = RoleAssignment.objects.get(person=teacher)
    assert ra.ended_at is not None  # ended, not erased
    assert not User.objects.get(pk=world.teacher.pk).is_active
    actions = list(
        AuditLog.objects.filter(object_id=teacher.pk, content_type__model="person")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["update", "status"]
    status_log = AuditLog.objects.get(object_id=teacher.pk, action="status")
    assert status_log.changes["status"] == ["active", "left"]
    assert status_log.changes["roles_ended"][0] == 1
    assert status_log.message == "辞职"
    # The account no longer logs in.
    resp = client.post("/accounts/login/", {"username": "teacher", "password": "jiaoyan-demo"})
    assert resp.status_code == 200 and "_auth_user_id" not in client.session
    # Nobody deletes a person, not even a superuser.
    for user in (world.city_admin, world.superuser):
        assert not can(user, "delete", teacher)
    assert Person.objects.filter(pk=teacher.pk).exists()


def test_status_returns_and_unknown_status(world):
    teacher = world.people["teacher_b"]
    services.change_status(actor=world.city_admin, person=teacher, status="retired")
    services.change_status(actor=world.city_admin, person=teacher, status="active")
    teacher.refresh_from_db()
    assert teacher.status == "active"
    with pytest.raises(ServiceError):
        services.change_status(actor=world.city_admin, person=teacher, status="fired")
    with pytest.raises(PermissionDenied):
        services.change_status(actor=world.principal, person=teacher, status="left")


def test_transfer_ends_old_roles_and_keeps_history(world):
    teacher = world.people["teacher"]
    services.transfer_person(
        actor=world.city_admin, person=teacher, to_unit=world.school_b.org_unit, note="交流轮岗"
    )
    teacher.refresh_from_db()
    assert teacher.org_unit_id == world.school_b.pk and teacher.version == 2
    assert not teacher.roles.filter(is_active=True).exists()
    log = AuditLog.objects.get(object_id=teacher.pk, action="update")
    assert log.changes == {"org_unit": ["临渭区第一初级中学", "临渭区第二小学"]}
    assert log.message == "交流轮岗"


def test_transfer_across_districts_needs_both_sides(world):
    with pytest.raises(PermissionDenied):
        services.transfer_person(
            actor=world.outsider, person=world.people["teacher"], to_unit=world.school_c.org_unit
        )
    services.transfer_person(
        actor=world.city_admin, person=world.people["teacher"], to_unit=world.school_c.org_unit
    )
    assert Person.objects.visible_to(world.outsider).filter(pk=world.people["teacher"].pk).exists()


# --- pages ------------------------------------------------------------------------


def test_person_create_page(world, client_for):
    client = client_for(world.city_admin)
    assert client.get("/people/new/").status_code == 200
    resp = client.post(
        "/people/new/",
        {
            "staff_no": "T903",
            "name": "钱老师",
            "org_unit": world.school_b.pk,
            "gender": "male",
            "phone": "13900000903",
            "professional_title": "first",
            "role": "teacher",
            "subjects": [Subject.objects.get(name="数学").pk],
            "stages": [Stage.objects.get(code="primary").pk],
        },
    )
    person = Person.objects.get(staff_no="T903")
    assert resp.status_code == 302 and resp["Location"] == f"/people/{person.pk}/"
    assert person.roles.get().role == "teacher"
    dup = client.post(
        "/people/new/", {"staff_no": "T903", "name": "重复", "org_unit": world.school_b.pk}
    )
    assert dup.status_code == 200
    assert zh("The staff number “%(no)s” is already in use.", no="T903") in dup.content.decode()
    assert client_for(world.teacher).get("/people/new/").status_code == 403


def test_person_create_page_offers_only_units_in_scope(world, client_for):
    resp = client_for(world.outsider).post(
        "/people/new/", {"staff_no": "T904", "name": "越权", "org_unit": world.school_a.pk}
    )
    assert resp.status_code == 200  # the unit is not a valid choice for them
    assert not Person.objects.filter(staff_no="T904").exists()


def test_person_edit_page_with_a_stale_form(world, client_for):
    teacher = world.people["teacher"]
    client = client_for(world.city_admin)
    url = f"/people/{teacher.pk}/edit/"
    form = {
        "staff_no": "T002",
        "gender": "female",
        "phone": "13900000004",
        "professional_title": "first",
    }
    assert client.post(url, {**form, "name": "张明", "version": 1}).status_code == 302
    stale = client.post(url, {**form, "name": "过期", "version": 1})
    assert stale.status_code == 200 and zh(STALE) in stale.content.decode()
    teacher.refresh_from_db()
    assert teacher.name == "张明" and teacher.staff_no == "T002"
    assert client_for(world.principal).get(url).status_code == 403


def test_status_and_transfer_forms(world, client_for):
    client = client_for(world.city_admin)
    teacher = world.people["teacher_b"]
    resp = client.post(
        f"/people/{teacher.pk}/transfer/", {"to_unit": world.school_a.pk, "note": "调动"}
    )
    assert resp.status_code == 302
    teacher.refresh_from_db()
    assert teacher.org_unit_id == world.school_a.pk
    resp = client.post(f"/people/{teacher.pk}/status/", {"status": "retired", "note": "退休"})
    assert resp.status_code == 302
    teacher.refresh_from_db()
    assert teacher.status == "retired"
    page = client.get(f"/people/{teacher.pk}/").content.decode()
    assert page.count('data-testid="history-entry"') == 2
    assert "退休" in page and "调动" in page
    # Not active: the default list hides them, the status filter finds them.
    assert teacher.staff_no not in client.get("/people/").content.decode()
    assert teacher.staff_no in client.get("/people/?status=retired").content.decode()
    # The principal may see but not act.
    denied = client_for(world.principal).post(
        f"/people/{world.people['teacher'].pk}/status/", {"status": "left"}
    )
    assert denied.status_code == 403
    assert world.people["teacher"].status == "active"


def test_there_is_no_way_to_delete_a_person(world, client_for):
    client = client_for(world.city_admin)
    person = world.people["teacher"]
    html = client.get(f"/people/{person.pk}/").content.decode()
    assert "/delete" not in html
    assert client.post(f"/people/{person.pk}/delete/").status_code == 404
    client.delete(f"/people/{person.pk}/")  # a page, not an action: nothing happens
    assert Person.objects.filter(pk=person.pk).exists()
