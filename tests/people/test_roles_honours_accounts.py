"""Role assignments, honours and log-in accounts of a person: services and page forms."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog
from jiaoyan.core.scope import user_scopes
from jiaoyan.orgs.models import School, Subject
from jiaoyan.people import services
from jiaoyan.people.models import Honour, RoleAssignment, User
from tests.support import zh


def test_assign_a_role_widens_the_scope(world):
    teacher_b = world.people["teacher_b"]
    services.create_account(
        actor=world.city_admin, person=teacher_b, username="liu", password="Liu-Laoshi-2024"
    )
    user = User.objects.get(username="liu")
    assert not School.objects.visible_to(user).filter(pk=world.school_a.pk).exists()
    ra = services.assign_role(
        actor=world.city_admin,
        person=teacher_b,
        role="researcher",
        org_unit=world.units["linwei"],
        subjects=Subject.objects.filter(name="语文"),
    )
    assert ra.is_active and ra.org_unit == world.units["linwei"]
    user = User.objects.get(username="liu")
    assert School.objects.visible_to(user).filter(pk=world.school_a.pk).exists()
    log = AuditLog.objects.filter(object_id=teacher_b.pk, action="update").order_by("id").last()
    assert log.changes["roles"][1] == zh("Researcher") + "@临渭区（语文）"


def test_role_rules(world):
    teacher = world.people["teacher"]
    with pytest.raises(ServiceError) as e:
        services.assign_role(actor=world.city_admin, person=teacher, role="teacher")
    assert e.value.text == zh("This person already holds this role there.")
    with pytest.raises(ServiceError):
        services.assign_role(actor=world.city_admin, person=teacher, role="janitor")
    with pytest.raises(ServiceError) as e:  # a unit that is neither theirs nor above them
        services.assign_role(
            actor=world.city_admin, person=teacher, role="teacher", org_unit=world.school_b.org_unit
        )
    assert e.value.field == "org_unit"
    with pytest.raises(PermissionDenied):
        services.assign_role(actor=world.principal, person=teacher, role="principal")
    with pytest.raises(PermissionDenied):  # the outsider governs 华州区 only
        services.assign_role(
            actor=world.outsider,
            person=world.people["teacher_c"],
            role="researcher",
            org_unit=world.units["city"],
        )
    assert RoleAssignment.objects.filter(person=teacher).count() == 1


def test_role_for_someone_who_left_is_refused(world):
    person = world.people["teacher_b"]
    services.change_status(actor=world.city_admin, person=person, status="left")
    with pytest.raises(ServiceError) as e:
        services.assign_role(actor=world.city_admin, person=person, role="teacher")
    assert e.value.text == zh("Only people in post can hold a role.")


def test_ending_a_role(world):
    ra = world.people["teacher"].roles.get()
    services.end_role(actor=world.city_admin, assignment=ra)
    ra.refresh_from_db()
    assert not ra.is_active and ra.ended_at is not None
    assert user_scopes(User.objects.get(pk=world.teacher.pk)) == ()
    log = AuditLog.objects.filter(object_id=world.people["teacher"].pk).order_by("id").last()
    assert log.changes["roles"][1] is None
    own = world.people["city_admin"].roles.get()
    with pytest.raises(ServiceError):
        services.end_role(actor=world.city_admin, assignment=own)


def test_role_forms_on_the_person_page(world, client_for):
    client = client_for(world.city_admin)
    person = world.people["teacher_b"]
    resp = client.post(
        f"/people/{person.pk}/roles/",
        {"role": "counsellor", "subjects": [Subject.objects.get(name="心理健康").pk]},
    )
    assert resp.status_code == 302
    ra = person.roles.get(role="counsellor")
    html = client.get(f"/people/{person.pk}/").content.decode()
    assert html.count('data-testid="role-row"') == 2
    resp = client.post(f"/people/{person.pk}/roles/{ra.pk}/end/")
    assert resp.status_code == 302
    ra.refresh_from_db()
    assert not ra.is_active
    # Someone else's assignment through this person's URL does not exist.
    other = world.people["teacher"].roles.get()
    assert client.post(f"/people/{person.pk}/roles/{other.pk}/end/").status_code == 404
    # The principal sees the page but has no forms, and posting is refused.
    html = client_for(world.principal).get(f"/people/{world.people['teacher'].pk}/").content
    assert b"/roles/" not in html
    refused = client_for(world.principal).post(
        f"/people/{world.people['teacher'].pk}/roles/", {"role": "principal"}
    )
    assert refused.status_code == 403


def test_honours(world):
    person = world.people["teacher"]
    honour = services.add_honour(
        actor=world.city_admin, person=person, title="key_teacher", level="city", year=2021
    )
    assert str(honour) == "骨干教师（市级，2021）"
    with pytest.raises(ServiceError) as e:
        services.add_honour(
            actor=world.city_admin, person=person, title="key_teacher", level="city"
        )
    assert e.value.text == zh("This person already has this honour at this level.")
    with pytest.raises(ServiceError) as e:
        services.add_honour(
            actor=world.city_admin, person=person, title="master_teacher", level="city", year=1900
        )
    assert e.value.field == "year"
    with pytest.raises(PermissionDenied):
        services.add_honour(
            actor=world.principal, person=person, title="master_teacher", level="school"
        )
    other = services.add_honour(
        actor=world.city_admin, person=person, title="other", level="county", title_text="教学能手"
    )
    assert str(other) == "教学能手（县级）"
    services.remove_honour(actor=world.city_admin, honour=honour)
    assert list(Honour.objects.filter(person=person)) == [other]
    changes = [
        log.changes["honours"]
        for log in AuditLog.objects.filter(object_id=person.pk).order_by("id")
    ]
    assert changes == [
        [None, "骨干教师（市级，2021）"],
        [None, "教学能手（县级）"],
        ["骨干教师（市级，2021）", None],
    ]


def test_honour_forms_on_the_person_page(world, client_for):
    client = client_for(world.city_admin)
    person = world.people["teacher"]
    resp = client.post(
        f"/people/{person.pk}/honours/",
        {"title": "subject_leader", "level": "county", "year": 2020},
    )
    assert resp.status_code == 302
    honour = Honour.objects.get(person=person)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "学科带头人（县级，2020）" in page
    dup = client.post(
        f"/people/{person.pk}/honours/", {"title": "subject_leader", "level": "county"}, follow=True
    )
    assert zh("This person already has this honour at this level.") in dup.content.decode()
    bad = client.post(f"/people/{person.pk}/honours/", {"title": "x", "level": "y"}, follow=True)
    assert bad.status_code == 200
    assert client.post(f"/people/{person.pk}/honours/{honour.pk}/remove/").status_code == 302
    assert not Honour.objects.exists()


def test_create_account_and_log_in(world, client):
    person = world.people["teacher_b"]
    user = services.create_account(
        actor=world.city_admin, person=person, username="liu_laoshi", password="Spring-Rain-2024"
    )
    person.refresh_from_db()
    assert person.user == user and user.first_name == "刘老师"
    log = AuditLog.objects.get(object_id=person.pk)
    assert log.changes == {"account": [None, "liu_laoshi"]}
    resp = client.post(
        "/accounts/login/", {"username": "liu_laoshi", "password": "Spring-Rain-2024"}
    )
    assert resp.status_code == 302 and resp["Location"] == "/"
    with pytest.raises(ServiceError) as e:
        services.create_account(actor=world.city_admin, person=person, username="x", password="y")
    assert e.value.text == zh("This person already has an account.")


@pytest.mark.parametrize(
    "username, password, field",
    [
        ("teacher", "Liu-Laoshi-2024", "username"),  # taken
        ("TEACHER", "Liu-Laoshi-2024", "username"),  # taken, in other letters
        ("刘 老师", "Liu-Laoshi-2024", "username"),
        ("liu", "123", "password"),  # too short, numeric
        ("liu", "password", "password"),  # too common
    ],
)
def test_bad_accounts_are_refused(world, username, password, field):
    with pytest.raises(ServiceError) as e:
        services.create_account(
            actor=world.city_admin,
            person=world.people["teacher_b"],
            username=username,
            password=password,
        )
    assert e.value.field == field
    assert world.people["teacher_b"].user_id is None


def test_only_admins_manage_accounts(world):
    with pytest.raises(PermissionDenied):
        services.create_account(
            actor=world.principal,
            person=world.people["teacher_b"],
            username="liu",
            password="Liu-Laoshi-2024",
        )
    with pytest.raises(PermissionDenied):
        services.reset_password(
            actor=world.outsider, person=world.people["teacher"], password="New-Pass-2024"
        )


def test_disable_enable_and_reset(world, client):
    teacher = world.people["teacher"]
    services.set_account_active(actor=world.city_admin, person=teacher, active=False)
    assert not User.objects.get(pk=world.teacher.pk).is_active
    services.set_account_active(actor=world.city_admin, person=teacher, active=True)
    services.reset_password(actor=world.city_admin, person=teacher, password="Brand-New-2024")
    resp = client.post("/accounts/login/", {"username": "teacher", "password": "Brand-New-2024"})
    assert resp.status_code == 302 and client.session["_auth_user_id"] == str(world.teacher.pk)
    actions = list(
        AuditLog.objects.filter(object_id=teacher.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["update", "update", "password"]
    with pytest.raises(ServiceError):
        services.set_account_active(
            actor=world.city_admin, person=world.people["city_admin"], active=False
        )


def test_account_forms_on_the_person_page(world, client_for):
    client = client_for(world.city_admin)
    person = world.people["teacher_b"]
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert f"/people/{person.pk}/account/" in page
    weak = client.post(
        f"/people/{person.pk}/account/", {"username": "liu", "password": "123"}, follow=True
    )
    assert weak.status_code == 200 and "alert-danger" in weak.content.decode()
    person.refresh_from_db()
    assert person.user_id is None
    ok = client.post(
        f"/people/{person.pk}/account/", {"username": "liu", "password": "Liu-2024-ok"}
    )
    assert ok.status_code == 302
    person.refresh_from_db()
    assert person.user.username == "liu"
    toggled = client.post(f"/people/{person.pk}/account/active/", {"active": "0"})
    assert toggled.status_code == 302
    assert not User.objects.get(username="liu").is_active
    assert (
        client_for(world.principal)
        .post(f"/people/{world.people['teacher'].pk}/account/active/", {"active": "0"})
        .status_code
        == 403
    )


def test_a_password_reset_revokes_the_accounts_api_tokens(world, api_for):
    """Whoever knew the old password may have made tokens with it: after an admin resets
    it, those tokens are refused; the audit row says how many were revoked."""
    teacher = world.people["teacher"]
    api = api_for(world.teacher)
    assert api.get("/api/v1/me").status_code == 200
    services.reset_password(actor=world.city_admin, person=teacher, password="Brand-New-2024")
    assert api.get("/api/v1/me").status_code == 401
    row = AuditLog.objects.filter(object_id=teacher.pk, action="password").get()
    assert row.changes == {"api_tokens_revoked": [0, 1]}
    assert api_for(world.teacher).get("/api/v1/me").status_code == 200  # a new one works
