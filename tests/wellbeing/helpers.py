"""The screening world: the counsellor of 临渭区第一初级中学 holds the wellbeing
permission on the school; a counsellor of 临渭区第二小学 on theirs; students of both."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiaoyan.wellbeing.models import Student, WellbeingPermission
from tests.conftest import make_person


def permit(user, unit) -> WellbeingPermission:
    return WellbeingPermission.objects.create(user=user, org_unit=unit, reason="测试")


def screening_world(w):
    a = w.schools["school_a"].org_unit
    b = w.schools["school_b"].org_unit
    c = w.schools["school_c"].org_unit
    permit(w.users["counsellor"], a)
    other = make_person(
        "T103", "吴心理", b, role="counsellor", username="counsellor_b", phone="13900000011"
    )
    w.users["counsellor_b"] = other.user
    permit(other.user, b)
    outsider_c = make_person(
        "H103", "郑心理", c, role="counsellor", username="counsellor_c", phone="13900000012"
    )
    w.users["counsellor_c"] = outsider_c.user
    permit(outsider_c.user, c)
    w.students = {}
    for key, name, school, grade, cls in (
        ("A0701", "林小雨", a, 7, "1班"),
        ("A0702", "高子墨", a, 7, "1班"),
        ("A0801", "宋雪晴", a, 8, "2班"),
        ("B0401", "唐一鸣", b, 4, "1班"),
        ("C0501", "冯佳怡", c, 5, "1班"),
    ):
        w.students[key] = Student.objects.create(
            school=school,
            key=key,
            name=name,
            gender="female",
            birth_date=dt.date(2012, 5, 1),
            grade=grade,
            class_name=cls,
        )
    return w


def window():
    now = timezone.now()
    return now - dt.timedelta(hours=1), now + dt.timedelta(days=7)


# The seven roles the issue names, in the order every permission matrix lists them.
SEVEN_ROLES = (
    "anonymous",
    "teacher",
    "class_teacher",
    "principal",
    "city_admin",
    "counsellor_b",
    "counsellor",
)
