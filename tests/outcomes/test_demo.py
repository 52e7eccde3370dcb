"""The outcomes' demo step (small scale): outcomes, two rounds (one announced with
honours, one open), promotion records, adoptions and the point table; the demo teacher's
case selected at city level earns points; the pages of the demo accounts answer."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiaoyan.outcomes import points
from jiaoyan.outcomes.models import Adoption, Entry, Outcome, PointRule, Promotion, SelectionRound
from jiaoyan.people.models import User


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_outcomes(demo):
    assert Outcome.objects.count() == 300
    assert SelectionRound.objects.count() == 2
    assert SelectionRound.objects.filter(announced_at__isnull=False).count() == 1
    assert Entry.objects.filter(honoured=True, level="city").exists()
    assert Promotion.objects.exists() and Adoption.objects.exists()
    assert PointRule.objects.count() >= 10
    # some outcomes came from the demo's approved research projects, of their own school
    linked = Outcome.objects.filter(project__isnull=False).select_related("project")
    assert linked.exists()
    assert all(o.project.org_unit_id == o.org_unit_id for o in linked)
    assert all(o.project.approved_on is not None for o in linked)
    teacher = User.objects.get(username="teacher")
    case = Outcome.objects.get(authors__user=teacher, title="初中数学分层作业设计的典型案例")
    assert Entry.objects.filter(outcome=case, honoured=True, level="city").exists()
    year = timezone.localdate().year - 1
    got = points.kept(year)
    assert got.persons[teacher.person.pk].points >= 15
    for username in ("teacher", "district_researcher", "principal", "city_admin"):
        c = Client()
        c.force_login(User.objects.get(username=username))
        for url in (
            "/outcomes/",
            "/outcomes/rounds/",
            "/outcomes/points/",
            f"/outcomes/points/?year={year}&tab=units",
            "/outcomes/scores/",
            "/outcomes/points/table/",
        ):
            assert c.get(url).status_code == 200, (username, url)
        for r in SelectionRound.objects.all():
            assert c.get(f"/outcomes/rounds/{r.pk}/").status_code == 200
            assert c.get(f"/outcomes/rounds/{r.pk}/table/").status_code == 200
    c = Client()
    c.force_login(teacher)
    assert c.get(f"/outcomes/{case.pk}/").status_code == 200
