"""The observation panels of the home page: a teacher's observed lessons, an observer's
coverage of their unit in the current term."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.utils import timezone

from tests.observations.conftest import DAY, observe

IN_TERM = timezone.make_aware(dt.datetime.combine(DAY + dt.timedelta(days=20), dt.time(10)))


def figure(html: str, testid: str) -> str:
    m = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert m, testid
    return m.group(1).strip()


def test_a_teacher_sees_their_submitted_observations(world, rubric, client_for):
    observe(world, rubric, topic="一元一次方程")
    observe(world, rubric, topic="草稿里的课", submit=False)
    observe(world, rubric, teacher="counsellor", topic="别人的课")
    html = client_for(world.teacher).get("/").content.decode()
    panel = html[html.index('data-testid="home-observed"') :]
    assert "一元一次方程" in panel and "李校长" in panel
    assert "草稿里的课" not in html and "别人的课" not in html
    assert 'href="/observations/growth/"' in panel


def test_a_teacher_never_observed_is_told_so(world, client_for):
    html = client_for(world.teacher).get("/").content.decode()
    assert "您的课还没有被听过。" in html


def test_observers_see_this_terms_coverage_of_their_unit(world, rubric, client_for):
    observe(world, rubric)
    observe(world, rubric, observer="district_researcher")
    with time_machine.travel(IN_TERM, tick=False):
        principal = client_for(world.principal).get("/").content.decode()
        researcher = client_for(world.district_researcher).get("/").content.decode()
        counsellor = client_for(world.counsellor).get("/").content.decode()
    panel = principal[principal.index('data-testid="home-coverage"') :]
    assert "临渭区第一初级中学" in panel[:800]
    assert figure(principal, "home-coverage-observations") == "2"
    assert figure(principal, "home-coverage-observed") == "1"
    assert "临渭区" in researcher[researcher.index('data-testid="home-coverage"') :][:800]
    assert figure(researcher, "home-coverage-observations") == "2"
    assert 'data-testid="home-coverage"' not in counsellor
    # The next term starts from nothing.
    with time_machine.travel(IN_TERM + dt.timedelta(days=120), tick=False):
        later = client_for(world.principal).get("/").content.decode()
    assert figure(later, "home-coverage-observations") == "0"
