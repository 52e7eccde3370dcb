"""Class teachers (班主任): the school's principal (or an admin above the school) makes a
teacher the class teacher of a class on the person's page; others cannot; bad input is
refused in Chinese with nothing written; other modules read the classes an account looks
after from ``people.queries.homeroom_classes``."""

from __future__ import annotations

import pytest

from jiaoyan.core.errors import ServiceError
from jiaoyan.people import services
from jiaoyan.people.models import HomeroomAssignment
from jiaoyan.people.queries import homeroom_classes

pytestmark = pytest.mark.usefixtures("chinese")


def test_the_principal_makes_a_teacher_class_teacher_on_the_page(world, client_for):
    teacher = world.people["teacher"]
    url = f"/people/{teacher.pk}/homerooms/"
    page = client_for(world.principal).get(f"/people/{teacher.pk}/").content.decode()
    assert 'data-testid="homeroom-form"' in page
    for who in ("teacher", "counsellor", "outsider"):
        r = client_for(world.users[who]).post(url, {"grade": 7, "class_name": "1班"})
        assert r.status_code in (302, 403, 404), who
        assert not HomeroomAssignment.objects.exists(), who
    r = client_for(world.principal).post(url, {"grade": 7, "class_name": " 1班 "})
    assert r.status_code == 302
    row = HomeroomAssignment.objects.get()
    assert (row.school, row.grade, row.class_name) == (world.school_a.org_unit, 7, "1班")
    assert homeroom_classes(world.users["teacher"]) == [(world.school_a.org_unit.pk, 7, "1班")]
    assert homeroom_classes(world.users["counsellor"]) == []
    page = client_for(world.principal).get(f"/people/{teacher.pk}/").content.decode()
    assert 'data-testid="homeroom-row"' in page and "7年级 1班" in page
    r = client_for(world.principal).post(f"/people/{teacher.pk}/homerooms/{row.pk}/end/")
    assert r.status_code == 302
    assert homeroom_classes(world.users["teacher"]) == []


@pytest.mark.parametrize(
    ("grade", "class_name", "field"), [(13, "1班", "grade"), (7, "  ", "class_name")]
)
def test_bad_input_writes_nothing(world, grade, class_name, field):
    with pytest.raises(ServiceError) as e:
        services.assign_homeroom(
            actor=world.principal,
            person=world.people["teacher"],
            grade=grade,
            class_name=class_name,
        )
    # (the Chinese of these messages is added to the people catalogue by the lead)
    assert e.value.field == field and e.value.text
    assert not HomeroomAssignment.objects.exists()


def test_only_school_staff_and_only_once(world):
    with pytest.raises(ServiceError):
        services.assign_homeroom(
            actor=world.city_admin,
            person=world.people["district_researcher"],
            grade=7,
            class_name="1班",
        )
    services.assign_homeroom(
        actor=world.principal, person=world.people["teacher"], grade=7, class_name="1班"
    )
    with pytest.raises(ServiceError):
        services.assign_homeroom(
            actor=world.city_admin, person=world.people["teacher"], grade=7, class_name="1班"
        )
    assert HomeroomAssignment.objects.count() == 1
