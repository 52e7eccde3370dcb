"""The screening figures of the metric registry: a school of fewer than 10 screened
students never enters a published total (subtraction gives nothing back), and a figure of
fewer than 10 students is hidden to a viewer without the wellbeing permission."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.core import metrics
from jiaoyan.wellbeing import services
from jiaoyan.wellbeing.models import Student
from tests.wellbeing.helpers import screening_world, window

CALM = [0, 1, 0, 1, 0, 0, 1, 0, 0]
CRISIS = [0, 1, 0, 0, 1, 0, 0, 0, 1]


@pytest.fixture
def screened(world):
    w = screening_world(world)
    a = w.schools["school_a"].org_unit
    b = w.schools["school_b"].org_unit
    for i in range(12):
        Student.objects.create(
            school=a, key=f"A09{i:02d}", name=f"学生{i}", gender="male", grade=9, class_name="3班"
        )
    start, end = window()
    c = services.create_campaign(
        actor=w.users["city_admin"],
        org_unit=w.units["linwei"],
        name="区级筛查",
        scales=["phq9"],
        schools=[a, b],
        starts_at=start,
        ends_at=end,
    )
    services.open_campaign(actor=w.users["city_admin"], campaign=c)
    for p in c.participations.select_related("student").order_by("pk"):
        if p.student.key == "A0702":
            continue  # never answers
        answers = CRISIS if p.student.key in ("A0701", "B0401") else CALM
        services.enter_paper_answers(
            actor=w.users["counsellor" if p.school_id == a.pk else "counsellor_b"],
            participation=p,
            answers={"phq9": answers},
        )
    return w, a, b, c


def _fig(key, unit, user):
    today = timezone.localdate()
    period = metrics.Period(today - dt.timedelta(days=30), today + dt.timedelta(days=30))
    return metrics.compute(key, unit, period, viewer=user)


def test_small_schools_stay_out_of_totals_and_small_figures_are_hidden(screened):
    w, a, b, _c = screened
    admin = w.users["city_admin"]  # no wellbeing permission
    linwei = w.units["linwei"]
    # school A: 15 students invited, 14 handed in; school B: 1 student (hidden)
    assert _fig("wellbeing.screened", a, admin).value == 14
    assert _fig("wellbeing.screened", linwei, admin).value == 14
    assert _fig("wellbeing.screened", b, admin).suppressed
    assert _fig("wellbeing.participation_rate", linwei, admin).value == pytest.approx(93.3)
    # two alerts: fewer than 10, hidden to the admin ...
    assert _fig("wellbeing.alerts_open", linwei, admin).suppressed
    # ... shown to the counsellor holding the permission on the school
    mine = _fig("wellbeing.alerts_open", a, w.users["counsellor"])
    assert mine.value == 1 and not mine.suppressed
    assert _fig("wellbeing.screened", b, w.users["counsellor_b"]).value == 1
    assert _fig("wellbeing.alerts_handled", a, w.users["counsellor"]).value == 0
