"""The resource library's demo step (small scale): resources at every step of their
review, the demo teacher's own three, reviews waiting for the demo district researcher,
and the pages of each demo account answering."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from jiaoyan.people.models import User
from jiaoyan.resources.demo import COUNT
from jiaoyan.resources.models import Resource, ResourceEvent, Review, Status


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_library(demo):
    statuses = set(Resource.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert Resource.objects.count() == COUNT["small"]
    teacher = User.objects.get(username="teacher")
    mine = Resource.objects.filter(authors__user=teacher)
    assert set(mine.values_list("status", flat=True)) >= {"published", "returned", "draft"}
    returned = mine.get(status="returned")
    assert (
        ResourceEvent.objects.filter(resource=returned, step="returned")
        .exclude(comment="")
        .exists()
    )
    researcher = User.objects.get(username="district_researcher")
    assert Review.objects.filter(reviewer__user=researcher, status="assigned").exists()
    # Every published resource was reviewed, and no draft was.
    assert not Resource.objects.filter(status="published", reviews__isnull=True).exists()
    assert not Review.objects.filter(resource__status="draft").exists()
    for username in ("teacher", "district_researcher", "principal", "city_admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for url in ("/resources/", "/resources/mine/", "/resources/reviews/", "/"):
            assert client.get(url).status_code == 200, (username, url)
    client = Client()
    client.force_login(teacher)
    assert client.get(returned.get_absolute_url()).status_code == 200
