"""The demo's use figures (small scale): favourites, ratings, comments and applications
of published resources by readers who are not their authors, counts that agree with the
rows, views summed to the scale's total, a few of today's hits pending for the job, and
the demo teacher's figures of the term on their home page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.test import Client

from jiaoyan.people.models import User
from jiaoyan.resources import use
from jiaoyan.resources.demo import VIEWS
from jiaoyan.resources.models import (
    Application,
    Comment,
    Favourite,
    Rating,
    Resource,
    ResourceHit,
    ResourceTermStats,
)


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_use_figures(demo):
    published = Resource.objects.filter(status="published")
    for model in (Favourite, Rating, Comment, Application):
        assert model.objects.exists(), model
        assert not model.objects.exclude(resource__status="published").exists(), model
    # Nobody rated their own resource.
    assert not Rating.objects.filter(resource__authors__user=F("user")).exists()
    total = published.aggregate(v=Sum("view_count"))["v"]
    assert 0.97 * VIEWS["small"] <= total <= 1.03 * VIEWS["small"]
    ratings = dict(
        Rating.objects.values("resource").annotate(n=Count("id")).values_list("resource", "n")
    )
    for r in published:
        assert r.rating_count == ratings.get(r.pk, 0)
        assert r.use_count == Application.objects.filter(resource=r).count()
        terms = ResourceTermStats.objects.filter(resource=r).aggregate(v=Sum("views"))
        assert (terms["v"] or 0) == r.view_count
    pending = ResourceHit.objects.count()
    assert pending > 0
    before = published.aggregate(v=Sum("view_count"))["v"]
    assert use.aggregate_hits()["hits"] == pending
    assert published.aggregate(v=Sum("view_count"))["v"] == before + pending

    client = Client()
    client.force_login(User.objects.get(username="teacher"))
    assert 'data-testid="home-resource-figures"' in client.get("/").content.decode()
