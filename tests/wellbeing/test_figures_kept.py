"""The campaign figures and summary are kept between requests (core.stamps), and every
change they are counted from shows at once: a questionnaire handed in on paper or online,
a re-test, scoring the campaign again, and a roster import that moves students to another
class. Each step would show the old figure if its write did not stamp the campaign."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from jiaoyan.core.sheets import run_import
from jiaoyan.wellbeing import queries, services
from jiaoyan.wellbeing import queries_followup as fq
from jiaoyan.wellbeing.models import Participation, Student
from jiaoyan.wellbeing.sheets import StudentSheet
from tests.support import xlsx_bytes
from tests.wellbeing.helpers import screening_world, window

CALM = [0, 1, 0, 1, 0, 0, 0, 0, 0]  # total 2: minimal (all answers alike would be invalid)
LOW = [1, 1, 1, 1, 1, 0, 0, 0, 0]  # total 5: mild


@pytest.fixture
def big_class(world):
    """60 students in 七年级3班 of school A, in an open campaign of that class."""
    w = screening_world(world)
    a = w.schools["school_a"].org_unit
    for i in range(60):
        Student.objects.create(
            school=a,
            key=f"K{i:03d}",
            name=f"学生{i}",
            gender="male" if i % 2 else "female",
            birth_date=dt.date(2012, 1, 1),
            grade=7,
            class_name="3班",
        )
    start, end = window()
    c = services.create_campaign(
        actor=w.counsellor,
        org_unit=a,
        name="七年级筛查",
        scales=["phq9"],
        schools=[a],
        starts_at=start,
        ends_at=end,
        grades=[7],
        classes=["3班"],
    )
    services.open_campaign(actor=w.counsellor, campaign=c)
    w.campaign = c
    return w


def _paper(w, keys, answers):
    for key in keys:
        p = w.campaign.participations.get(student__key=key, retest_of=None)
        services.enter_paper_answers(actor=w.counsellor, participation=p, answers={"phq9": answers})


def _row(w, by, label):
    table = fq.aggregate(w.principal_user, w.campaign, by)
    rows = {r[0]: (r[1], r[2]) for r in table.rows}
    return rows.get(label), table


def _school_row(w):
    """School A's cells by PHQ-9 band key (and "pending": not handed in), and its total."""
    (cells, total), _table = _row(w, "school", w.schools["school_a"].org_unit.name)
    keys = ["minimal", "mild", "moderate", "moderately_severe", "severe", "invalid", "pending"]
    return dict(zip(keys, cells, strict=True)), total


def _summary_minimal(w):
    (row,) = queries.campaign_summary(w.principal_user, w.campaign)
    return dict(row["levels"])["minimal"]


def test_the_kept_figures_follow_every_change(big_class, django_capture_on_commit_callbacks):
    w = big_class
    w.principal_user = w.users["principal"]
    cache.clear()
    # Three figures of 10 or more in the school's row (minimal, mild, not handed in): the
    # smallest (mild) is hidden with the empty bands; minimal and not handed in show.
    _paper(w, [f"K{i:03d}" for i in range(20)], CALM)
    _paper(w, [f"K{i:03d}" for i in range(20, 32)], LOW)
    cells, invited = _school_row(w)
    assert (cells["minimal"], cells["pending"], invited) == (20, 28, 60)

    assert _summary_minimal(w) == 20
    _paper(w, [f"K{i:03d}" for i in range(32, 35)], CALM)  # handed in on paper
    cells, invited = _school_row(w)
    assert (cells["minimal"], cells["pending"], invited) == (23, 25, 60)
    assert _summary_minimal(w) == 23  # the campaign's summary reads the same figures

    # Online: a student answers every item and hands in.
    p = w.campaign.participations.get(student__key="K035")
    for step, value in enumerate(CALM):
        services.save_answer(participation_id=p.pk, step=step, value=value)
    assert _school_row(w)[0]["pending"] == 25  # answering alone changes no figure…
    services.hand_in(participation_id=p.pk)
    assert _school_row(w)[0]["pending"] == 24  # …handing in does (valid or too fast)

    # A re-test adds a questionnaire to hand in.
    services.offer_retest(actor=w.counsellor, participation=p)
    assert _school_row(w)[1] == 61

    # Scoring the campaign again (a job) reads the answers anew: K000's answers were
    # changed by a raw write (no stamp), so the kept figures still show them as before…
    minimal = _school_row(w)[0]["minimal"]
    Participation.objects.filter(campaign=w.campaign, student__key="K000").update(
        answers={"phq9": LOW}
    )
    assert _school_row(w)[0]["minimal"] == minimal
    with django_capture_on_commit_callbacks(execute=True):
        services.start_scoring(actor=w.counsellor, campaign=w.campaign)
    assert _school_row(w)[0]["minimal"] == minimal - 1  # …until the job scored them

    # A roster import moves ten students of 3班 to 4班: the class table follows.
    a = w.schools["school_a"].org_unit
    rows = [["学生编号", "姓名", "性别", "出生日期", "学校代码", "年级", "班级"]]
    rows += [
        [f"K{i:03d}", f"学生{i}", "男" if i % 2 else "女", "2012-01-01", a.code, "七年级", "4班"]
        for i in range(40, 50)
    ]
    result = run_import(StudentSheet(actor=w.counsellor), xlsx_bytes(rows), "r.xlsx")
    assert not result.errors
    table = fq.aggregate(w.principal_user, w.campaign, "class")
    assert [total for label, _cells, total in table.rows if label.endswith("4班")] == [10]


def test_the_summary_shows_nothing_the_figures_hide(world, chinese):
    """School A (62 students) and school B (one student) in one campaign: B's one
    questionnaire is hidden, so A's figure is hidden too on the figures page (else the
    total minus A gives B back). The campaign's summary hides it as well; a teacher sees
    no figures at all."""
    w = screening_world(world)
    a, b = w.schools["school_a"].org_unit, w.schools["school_b"].org_unit
    for i in range(60):
        Student.objects.create(
            school=a, key=f"K{i:03d}", name=f"学生{i}", gender="female", grade=7, class_name="3班"
        )
    start, end = window()
    c = services.create_campaign(
        actor=w.city_admin,
        org_unit=w.units["linwei"],
        name="区筛查",
        scales=["phq9"],
        schools=[a, b],
        starts_at=start,
        ends_at=end,
        grades=[4, 7],
    )
    services.open_campaign(actor=w.city_admin, campaign=c)
    w.campaign = c
    _paper(w, [f"K{i:03d}" for i in range(20)], CALM)
    _paper(w, [f"K{i:03d}" for i in range(20, 32)], LOW)
    services.enter_paper_answers(
        actor=w.users["counsellor_b"],
        participation=c.participations.get(student__key="B0401"),
        answers={"phq9": CALM},
    )
    viewer = w.users["city_admin"]
    figures = {r[0]: r[1] for r in fq.aggregate(viewer, c, "school").rows}
    assert figures[a.name][0] == fq.HIDDEN  # A's minimal (20): B's 1 would follow from it
    summary = {r["school"].pk: r for r in queries.campaign_summary(viewer, c)}
    assert dict(summary[a.pk]["levels"])["minimal"] is None
    for row in summary.values():  # nothing the figures page hides
        shown = figures[row["school"].name]
        for j, (_key, n) in enumerate(row["levels"]):
            assert n is None or shown[j] == n
    from django.test import Client

    client = Client()
    client.force_login(w.users["teacher"])
    page = client.get(f"/wellbeing/campaigns/{c.pk}/")
    assert page.status_code == 200 and 'data-testid="campaign-summary"' not in page.content.decode()
    client.force_login(viewer)
    page = client.get(f"/wellbeing/campaigns/{c.pk}/").content.decode()
    assert 'data-testid="campaign-summary"' in page
