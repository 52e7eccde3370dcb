"""Helpers of the observation tests: the built-in rubric and observations made through
the services, by the named people of the test world."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jiaoyan.observations import services
from jiaoyan.observations.models import Observation, Rubric
from jiaoyan.orgs.models import Stage, Subject

# A day inside the first term of 2024–2025 (terms run Aug–Jan and Feb–Jul).
DAY = dt.date(2024, 10, 15)


@pytest.fixture
def rubric(db) -> Rubric:
    """The built-in rubric shipped by the data migration (7 dimensions, 14 criteria)."""
    return Rubric.objects.get(org_unit__isnull=True)


def criteria(rubric: Rubric) -> list:
    return [c for d in services.version_dimensions(rubric.current) for c in d.criteria.all()]


def scores_at(rubric: Rubric, share: float | dict[str, float]) -> dict[int, str]:
    """Scores giving every criterion ``share`` of its highest score (rounded to 0.5);
    ``share`` may be a dict of dimension name → share."""
    out = {}
    for d in services.version_dimensions(rubric.current):
        s = share[d.name] if isinstance(share, dict) else share
        for c in d.criteria.all():
            value = (Decimal(str(s)) * c.max_score * 2).to_integral_value() / 2
            out[c.pk] = str(value)
    return out


def observe(
    world,
    rubric: Rubric,
    *,
    observer="principal",
    teacher="teacher",
    share: float | dict[str, float] = 0.8,
    date: dt.date = DAY,
    submit: bool = True,
    kind: str = Observation.Kind.DROP_IN,
    round=None,
    activity=None,
    subject="数学",
    stage="junior",
    st_sequence: str = "",
    topic: str = "一元一次方程",
) -> Observation:
    """One observation made through the service (submitted unless ``submit=False``)."""
    return services.create_observation(
        actor=world.users[observer] if isinstance(observer, str) else observer,
        teacher=world.people[teacher] if isinstance(teacher, str) else teacher,
        rubric=rubric,
        kind=kind,
        subject=Subject.objects.get(name=subject),
        stage=Stage.objects.get(code=stage),
        topic=topic,
        date=date,
        period=2,
        grade="七年级",
        class_name="3班",
        round=round,
        activity=activity,
        scores=scores_at(rubric, share),
        st_sequence=st_sequence,
        strengths="导入自然，问题设计有层次。",
        suggestions="小组合作的时间可以再充分一些。",
        submit=submit,
    )


@pytest.fixture
def give_teacher_account(world):
    """``give_teacher_account(person_key)``: an account for a person of the world."""
    from jiaoyan.people.models import User

    def make(key: str):
        person = world.people[key]
        if person.user_id is None:
            person.user = User.objects.create_user(username=key, password="jiaoyan-demo")
            person.save(update_fields=["user"])
            world.users[key] = person.user
        return person.user

    return make
