"""The demo's follow-up cases (small scale): a bounded number per county (whatever the
number of students screened), of every shape — in follow-up with visits, referred,
overdue, closed, awaiting the district's review — each opened by the interview of a
flagged student of a demo campaign, by a counsellor of the student's school holding the
permission; the demo counsellor sees theirs on the follow-up list."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from jiaoyan.core import restricted
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import User
from jiaoyan.wellbeing.demo import FOLLOWUP_SCHOOLS, FOLLOWUP_SHAPES
from jiaoyan.wellbeing.models import Alert, Campaign, FollowUpCase, FollowUpEntry


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_follow_ups(demo):
    cases = list(FollowUpCase.objects.select_related("alert__participation__campaign", "school"))
    counties = OrgUnit.objects.filter(level="county", kind="region").count()
    assert len(FOLLOWUP_SHAPES) <= len(cases) <= counties * len(FOLLOWUP_SHAPES)
    per_county = {}
    for case in cases:
        camp = case.alert.participation.campaign
        assert case.alert.student_id == case.student_id
        assert camp.schools.filter(pk=case.school_id).exists()
        assert case.counsellor is not None
        assert restricted.has_permission(case.counsellor, restricted.WELLBEING, case.school)
        per_county.setdefault(camp.org_unit_id, set()).add(case.school_id)
    assert all(len(s) <= FOLLOWUP_SCHOOLS for s in per_county.values())

    today = timezone.localdate()
    Status = FollowUpCase.Status
    visited = set(
        FollowUpEntry.objects.filter(kind=FollowUpEntry.Kind.VISIT).values_list(
            "case_id", flat=True
        )
    )
    follow_up = [c for c in cases if c.status == Status.FOLLOW_UP]
    assert any(c.referred and c.pk in visited for c in follow_up)
    assert any(c.next_due < today for c in follow_up), "one overdue"
    assert any(c.next_due >= today for c in follow_up)
    closed = [c for c in cases if c.status == Status.CLOSED]
    assert closed and all(c.close_reason == "recovered" and c.referred for c in closed)
    assert any(c.alert.participation.campaign.status == Campaign.Status.CLOSED for c in closed)
    assert any(c.status == Status.REVIEW and c.level == "crisis" for c in cases)
    # Every case has its interview; no student has two.
    assert FollowUpEntry.objects.filter(kind="interview").count() == len(cases)
    assert not (
        FollowUpCase.objects.values("student").annotate(n=Count("id")).filter(n__gt=1).exists()
    )
    # Only the five demo accounts can log in.
    usable = {u.username for u in User.objects.all() if u.has_usable_password()}
    assert len(usable) == 5

    # The demo counsellor's school comes first where it flagged students: her follow-up
    # list shows her cases (and only those of schools where she holds the permission).
    me = User.objects.get(username="counsellor")
    mine = [c for c in cases if c.counsellor_id == me.pk]
    flagged = Alert.objects.filter(school_id=me.person.org_unit_id).exists()
    assert bool(mine) == flagged
    client = Client()
    client.force_login(me)
    page = client.get("/wellbeing/follow-ups/")
    assert page.status_code == 200
    html = page.content.decode()
    for case in cases:
        shown = restricted.has_permission(me, restricted.WELLBEING, case.school)
        assert (f">{case.student.key}<" in html) == shown, case.student.key
