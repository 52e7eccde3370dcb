"""The admission tests' round: 临渭区教育局 admits junior-school math researchers to
临渭区教师发展中心 — at least 5 years of teaching, 一级 or higher, a county-level key
teacher, a demonstration lesson (pass mark 80) and an interview. 张老师 (the world's
teacher) applies; her records say she has taught since 2016 and is 一级."""

from __future__ import annotations

import datetime as dt

from jiaoyan.orgs.models import Stage, Subject
from jiaoyan.people.models import Honour, Person
from jiaoyan.researchers import services_admission as services

REQUIREMENTS = [
    {"kind": "years", "years": 5},
    {"kind": "title", "title": "first"},
    {"kind": "honour", "honour": "key_teacher", "level": "county"},
    {"kind": "demo_lesson", "pass_mark": 80},
    {"kind": "interview"},
]


def make_round(w, *, requirements=REQUIREMENTS, publish=True, **kw):
    values = {
        "org_unit": w.units["linwei_bureau"],
        "institute": w.units["linwei_institute"],
        "title": "2025年临渭区初中数学教研员准入",
        "opens_on": dt.date(2025, 6, 1),
        "closes_on": dt.date(2025, 7, 15),
        "requirements": requirements,
        "places": 2,
        "subject": Subject.objects.get(name="数学"),
        "stage": Stage.objects.get(code="junior"),
        **kw,
    }
    actor = values.pop("actor", w.users["city_admin"])
    rnd = services.create_round(actor=actor, **values)
    if publish:
        rnd = services.publish_round(actor=actor, round=rnd)
    return rnd


def qualify(person: Person, *, since=dt.date(2016, 9, 1), title="first", honour="county"):
    """Give ``person`` the records the round asks for (as an import would)."""
    Person.objects.filter(pk=person.pk).update(teaching_since=since, professional_title=title)
    if honour:
        Honour.objects.create(person=person, title="key_teacher", level=honour, year=2022)
    person.refresh_from_db()
    return person
