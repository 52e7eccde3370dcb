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
    n = Project.objects.count()
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
