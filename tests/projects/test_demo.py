"""The projects' demo step (small scale): projects at every stage and status, numbers on
the approved ones, the demo teacher's overdue mid-term, reviews waiting for the demo
district researcher, and the pages of each demo account answering."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from jiaoyan.people.models import User
from jiaoyan.projects.models import Project, ProjectCall, Review, Stage, StageRecord


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_projects(demo):
    n = Project.objects.exclude(call__forwarding=True).count()  # step 62's
    assert 90 <= n <= 130  # 3,000 a city of 1,625 schools: 60 schools
    assert set(Project.objects.values_list("status", flat=True)) == set(Project.Status.values)
    assert set(Project.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert not Project.objects.filter(approved_on__isnull=False, number__isnull=True).exists()
    assert not Project.objects.filter(approved_on__isnull=True, number__isnull=False).exists()
    assert ProjectCall.objects.exists()
    teacher = User.objects.get(username="teacher")
    overdue = Project.objects.get(pi__user=teacher, status="ongoing")
    assert overdue.overdue and overdue.stage == "midterm"
    assert StageRecord.objects.filter(project=overdue, stage="midterm", status="pending").exists()
    researcher = User.objects.get(username="district_researcher")
    assert Review.objects.filter(expert__user=researcher, status="assigned").exists()
    for username in ("teacher", "district_researcher", "principal", "city_admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for url in ("/projects/", "/projects/calls/", "/projects/reviews/", "/projects/overview/"):
            assert client.get(url).status_code == 200, (username, url)
    client = Client()
    client.force_login(teacher)
    assert client.get(overdue.get_absolute_url()).status_code == 200


def test_the_demo_forwarding_call(demo):
    """Demo step 63: one open city call the counties forward, each county within its own
    quota; applications made through the services, some forwarded, some waiting."""
    from jiaoyan.orgs.models import OrgUnit

    call = ProjectCall.objects.get(forwarding=True)
    assert call.status == "open" and call.level == "city"
    counties = OrgUnit.objects.filter(level="county", kind="region")
    assert {int(k) for k in call.quotas} == set(counties.values_list("pk", flat=True))
    rows = Project.objects.filter(call=call)
    assert call.application_count == rows.count() >= 8
    forwarded = rows.filter(forwarded_on__isnull=False)
    assert 1 <= forwarded.count() < rows.count()
    assert not forwarded.filter(forwarded_by__isnull=True).exists()
    for county in counties:
        n = forwarded.filter(org_unit__path__startswith=county.path).count()
        assert n <= call.quotas[str(county.pk)], county.name
    # The demo city admin sees the call's application table; the county researcher forwards.
    client = Client()
    client.force_login(User.objects.get(username="city_admin"))
    assert client.get(call.get_absolute_url()).status_code == 200
