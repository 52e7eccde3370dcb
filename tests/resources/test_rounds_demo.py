"""The demo's recommendation round (small scale): open, with entries at every level that
respect the chain, and its pages answering each demo account."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from jiaoyan.core.paths import is_under
from jiaoyan.people.models import User
from jiaoyan.resources.models import Recommendation, RecommendationRound


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_round(demo):
    r = RecommendationRound.objects.get()
    assert r.phase() == "open"
    levels = set(Recommendation.objects.filter(round=r).values_list("level", flat=True))
    assert levels == {"school", "county", "city"}
    for e in Recommendation.objects.filter(round=r).select_related(
        "resource__org_unit", "org_unit", "to_unit", "source"
    ):
        assert e.resource.status == "published" and e.resource.kind in r.kinds
        if e.level == "school":
            assert is_under(e.resource.org_unit.path, e.org_unit.path)
        else:
            assert e.source.to_unit_id == e.org_unit_id
    for username in ("city_admin", "district_researcher", "principal", "teacher"):
        c = Client()
        c.force_login(User.objects.get(username=username))
        for url in ("/resources/rounds/", f"/resources/rounds/{r.pk}/"):
            assert c.get(url).status_code == 200, (username, url)
    city = Client()
    city.force_login(User.objects.get(username="city_admin"))
    html = city.get(f"/resources/rounds/{r.pk}/received/").content.decode()
    assert 'data-testid="entry-row"' in html
