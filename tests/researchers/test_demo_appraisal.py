"""The demo's self-reviews and appraisals (small scale): every serving researcher has a
submitted self-review and a confirmed appraisal of last year; the 优秀 quota holds in
every scheme; a demo researcher's computed indicators are those of their work record; the
demo accounts' pages answer and the grade shows on the researcher's profile."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from jiaoyan.people.models import User
from jiaoyan.researchers import queries_appraisal as aq
from jiaoyan.researchers.models import (
    Appraisal,
    AppraisalScheme,
    Grade,
    ResearcherProfile,
    SelfReview,
)


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


def test_the_demo_appraisals(demo):
    year = timezone.localdate().year - 1
    serving = set(ResearcherProfile.objects.filter(status="active").values_list("pk", flat=True))
    assert serving
    reviewed = set(
        SelfReview.objects.filter(year=year, status="submitted").values_list(
            "profile_id", flat=True
        )
    )
    appraised = set(
        Appraisal.objects.filter(year=year, status="confirmed").values_list("profile_id", flat=True)
    )
    assert reviewed == serving and appraised == serving
    for scheme in AppraisalScheme.objects.all():
        assert aq.excellent_used(scheme) <= scheme.excellent_quota
    # The computed indicators are the work record's.
    her = ResearcherProfile.objects.select_related("person").get(
        person__user__username="district_researcher"
    )
    a = Appraisal.objects.get(profile=her, year=year)
    measured = aq.measures(her, year)
    assert a.scores["observed"]["value"] == measured["observed"]
    assert a.scores["liaison"]["value"] == measured["liaison"]
    assert a.scores["ledger"]["value"] == measured["ledger_on_time"]
    assert a.grade in Grade.values
    admin = Client()
    admin.force_login(User.objects.get(username="city_admin"))
    for url in (
        "/researchers/appraisal/",
        f"/researchers/appraisal/{a.pk}/",
        f"/researchers/appraisal/schemes/{a.scheme_id}/",
        f"/researchers/appraisal/self-reviews/?year={year}",
    ):
        assert admin.get(url).status_code == 200, url
    page = admin.get(f"/researchers/{her.pk}/").content.decode()
    assert f'data-testid="profile-grade">{a.get_grade_display()}<' in page
