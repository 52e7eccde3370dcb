"""The follow-up pages read a fixed number of queries, whatever the number of cases (more
than a page holds), and the figures page's cost does not grow with the students."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jiaoyan.wellbeing.models import FollowUpCase, FollowUpEntry, Participation, Student
from tests.wellbeing.followup_helpers import followup_world


def _grow(w, n: int) -> None:
    a = w.schools["school_a"].org_unit
    base = Student.objects.count()
    students = Student.objects.bulk_create(
        Student(
            school=a,
            key=f"Q{base + i:05d}",
            name=f"学生{i}",
            gender="male" if i % 2 else "female",
            grade=7,
            class_name=f"{i % 3 + 1}班",
        )
        for i in range(n)
    )
    due = timezone.localdate() + dt.timedelta(days=1)
    cases = FollowUpCase.objects.bulk_create(
        FollowUpCase(student=s, school=a, level="watch", next_due=due) for s in students
    )
    FollowUpEntry.objects.bulk_create(
        FollowUpEntry(case=c, school=a, kind="visit", on=timezone.localdate(), note="随访")
        for c in cases
        for _k in range(3)
    )
    Participation.objects.bulk_create(
        Participation(
            campaign=w.campaign,
            student=s,
            school=a,
            code=f"QC{s.pk:08d}",
            status="finished",
            results={"phq9": {"level": "mild"}},
        )
        for s in students
    )


@pytest.mark.parametrize(
    ("who", "url", "limit"),
    [
        ("counsellor", "/wellbeing/follow-ups/", 14),
        ("counsellor", "/wellbeing/follow-ups/?sort=due&page=2", 14),
        ("counsellor", "/wellbeing/follow-ups/{case}/?reason=随访", 20),
        ("class_teacher", "/wellbeing/follow-ups/due/", 8),
        ("principal", "/wellbeing/campaigns/{c}/figures/?by=class", 10),
        ("principal", "/wellbeing/campaigns/{c}/figures/?by=gender", 10),
    ],
)
def test_follow_up_pages_read_a_fixed_number_of_queries(
    world, django_assert_max_num_queries, who, url, limit
):
    w = followup_world(world)
    _grow(w, 30)
    case = FollowUpCase.objects.order_by("pk").first()
    client = Client()
    client.force_login(w.users[who])
    url = url.format(case=case.pk, c=w.campaign.pk)
    client.get(url)  # warm the per-process caches
    with django_assert_max_num_queries(limit):
        r = client.get(url)
    assert r.status_code == 200
    _grow(w, 30)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
