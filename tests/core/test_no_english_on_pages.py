"""The main pages of the newer apps (resources, projects, outcomes, researchers,
wellbeing), rendered in Chinese for the people who use them, show no English: neither the
words that used to leak (a screening's level codes as column headers and on the scales
page, a record's unit level and a rule's code on the points pages) nor any other."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.people.models import User
from tests.core.test_translations import english_words, visible_text

# What leaked before: the band keys of PHQ-9/GAD-7, a unit level code, point rule codes.
LEAKED = {
    "minimal",
    "mild",
    "moderate",
    "moderately_severe",
    "severe",
    "school",
    "demonstration",
    "adopted",
    "case_selected",
}
CODES: set[str] = set()
# Pages whose text holds English by right: the scales cite their (English) sources.
CITING = {"/wellbeing/scales/"}


def _resources(w):
    from tests.resources.conftest import draft

    draft(w, title="一元二次方程单元教学设计")
    return "teacher", ["/resources/", "/resources/mine/", "/resources/curriculum/"]


def _projects(w):
    from tests.projects.conftest import apply, make_call

    call = make_call(w)
    with time_machine.travel(call.opens_on + dt.timedelta(days=1)):
        p = apply(w, call)
    return "city_admin", [
        "/projects/",
        "/projects/calls/",
        f"/projects/calls/{call.pk}/",
        p.get_absolute_url(),
    ]


def _outcomes(w):
    from jiaoyan.outcomes import services
    from tests.outcomes.conftest import make_outcome, set_table

    set_table(w)
    outcome = make_outcome(w)
    services.record_promotion(
        actor=w.users["city_admin"],
        outcome=outcome,
        org_unit=w.schools["school_b"].org_unit,
        date=timezone.localdate(),
        event="现场会",
        demonstration=True,
    )
    pages = [
        "/outcomes/",
        outcome.get_absolute_url(),
        "/outcomes/points/",
        "/outcomes/points/table/",
    ]
    return "city_admin", pages


def _researchers(w):
    from jiaoyan.orgs.models import Stage, Subject
    from jiaoyan.researchers import services

    profile = services.create_profile(
        actor=w.users["city_admin"],
        person=w.people["district_researcher"],
        org_unit=w.units["linwei_institute"],
        subjects=Subject.objects.filter(name="数学"),
        stages=Stage.objects.filter(code="junior"),
        since=dt.date(2020, 9, 1),
    )
    return "city_admin", ["/researchers/", f"/researchers/{profile.pk}/", "/researchers/coverage/"]


def _wellbeing(w):
    from tests.wellbeing.helpers import screening_world
    from tests.wellbeing.test_campaigns import make_campaign

    sw = screening_world(w)
    c = make_campaign(sw)
    who = User.objects.get(pk=sw.counsellor.pk).username
    CODES.update(c.participations.values_list("code", flat=True))  # answer codes: data
    return who, [
        "/wellbeing/",
        "/wellbeing/scales/",
        f"/wellbeing/campaigns/{c.pk}/",
        f"/wellbeing/campaigns/{c.pk}/figures/",
    ]


APPS = {
    "resources": _resources,
    "projects": _projects,
    "outcomes": _outcomes,
    "researchers": _researchers,
    "wellbeing": _wellbeing,
}


@pytest.mark.parametrize("app", sorted(APPS))
def test_main_pages_show_no_english(app, world, client_for):
    who, urls = APPS[app](world)
    client = client_for(User.objects.get(username=who))
    usernames = set(User.objects.values_list("username", flat=True)) | CODES
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        text = visible_text(response.content.decode())
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), url
        words = set(english_words(re.sub(r"https?://\S+", " ", text), usernames))
        if url in CITING:
            words &= LEAKED
        if words:
            found[url] = sorted(words)
    leaked = {url: sorted(set(words) & LEAKED) for url, words in found.items()}
    assert not any(leaked.values()), f"codes shown as words: {leaked}"
    assert not found, f"English on Chinese pages: {found}"
