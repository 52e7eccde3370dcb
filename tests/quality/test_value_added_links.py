"""Value-added links (issue 10, finding 4): a link reads every student of two cohorts, so
linking needs the student-data permission on both exams' units and a shared cohort of at
least ``VALUE_ADDED_MIN_OVERLAP`` students; a re-import by someone who may not link the
exams does not recompute the pair. The attack tried: a self-made entry exam naming a few
students of a city exam, linked to it, then re-imported with one student more — the
difference of the two linked means is that student's exit score."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from jiaoyan.quality import analysis, services
from jiaoyan.quality.models import Candidate, Level, ValueAddedLink, ValueAddedStat
from tests.quality.helpers import dataset, import_and_analyse, make_exam

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def city_exam(world):
    exam = make_exam(world, name="2025年中考")
    import_and_analyse(world, exam, dataset(world, n_per_class=(20, 18, 16, 12), seed=5))
    return exam


def _self_made(world, city_exam, rows_taken: int, *, name="自编入学测试"):
    """The district researcher's own exam, naming the first ``rows_taken`` students of the
    city exam (their student keys) with made-up entry scores."""
    researcher = world.users["district_researcher"]
    exam = make_exam(world, name=name, owner=world.units["linwei"], actor=researcher, grade=7)
    rows = dataset(world, n_per_class=(20, 18, 16, 12), seed=5)[:rows_taken]
    for r in rows:
        r[5:] = [60.0, 60.0, 50.0]  # every entry score the same: the exit mean is the figure
    import_and_analyse(world, exam, rows, actor=researcher)
    return exam, rows


def _grant(world, user, unit):
    services.grant_student_data(
        actor=world.users["city_admin"], user=user, org_unit=unit, reason="增值评价"
    )


def test_linking_needs_the_permission_on_both_exams_units(world, city_exam, api_for):
    researcher = world.users["district_researcher"]
    entry, _rows = _self_made(world, city_exam, 40)
    api = api_for(researcher)
    pair = {"entry": entry.pk, "exit": city_exam.pk}
    # Before: any viewer of both exams could link them. Now: refused, nothing stored.
    r = api.post("/api/v1/value-added", pair, content_type="application/json")
    assert r.status_code == 403 and r.json()["detail"]
    assert city_exam.name not in r.json()["detail"]
    with pytest.raises(PermissionDenied):
        services.request_value_added(actor=researcher, entry=entry, exit_exam=city_exam)
    # the permission on their own district is not enough: the city exam is the city's
    _grant(world, researcher, world.units["linwei"])
    r = api_for(researcher).post("/api/v1/value-added", pair, content_type="application/json")
    assert r.status_code == 403
    assert not ValueAddedLink.objects.exists()
    # the page refuses alike
    from django.test import Client

    c = Client()
    c.force_login(researcher)
    r = c.post("/quality/value-added/", {"entry": entry.pk, "exit": city_exam.pk})
    assert r.status_code == 403 and not ValueAddedLink.objects.exists()


@override_settings(VALUE_ADDED_MIN_OVERLAP=30)
def test_a_small_shared_cohort_is_refused(world, city_exam, api_for):
    researcher = world.users["district_researcher"]
    _grant(world, researcher, world.units["city"])
    small, _rows = _self_made(world, city_exam, 12)
    api = api_for(researcher)
    r = api.post(
        "/api/v1/value-added",
        {"entry": small.pk, "exit": city_exam.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and "30" in r.json()["detail"]  # says the minimum
    assert not ValueAddedLink.objects.exists()
    # the threshold never drops below the small-cell threshold
    with override_settings(VALUE_ADDED_MIN_OVERLAP=2):
        assert services.value_added_min_overlap() == 10
    # a cohort large enough is linked
    big, _rows = _self_made(world, city_exam, 40, name="自编入学测试二")
    r = api.post(
        "/api/v1/value-added",
        {"entry": big.pk, "exit": city_exam.pk},
        content_type="application/json",
    )
    assert r.status_code in (200, 202)
    assert ValueAddedLink.objects.filter(entry_exam=big).exists()


def test_adding_one_student_to_the_entry_cohort_does_not_reveal_their_exit_score(
    world, city_exam, api_for
):
    """The admin, who holds the permission on the city, links the district's entry exam
    to the city exam; the district researcher (an exam manager of the entry exam, without
    the permission) re-imports it with one student more. Before: the pair was recomputed
    and (n+1)·mean' − n·mean gave that student's exit total."""
    admin = world.users["city_admin"]
    _grant(world, admin, world.units["city"])
    entry, rows = _self_made(world, city_exam, 40)
    link = services.request_value_added(actor=admin, entry=entry, exit_exam=city_exam)
    analysis.run_value_added(link.pk)
    url = f"/api/v1/value-added?entry={entry.pk}&exit={city_exam.pk}&level=all"
    researcher_api = api_for(world.users["district_researcher"])
    before = researcher_api.get(url)
    assert before.status_code == 200
    whole = ValueAddedStat.objects.get(link=link, level=Level.ALL)
    n0 = whole.n_linked
    # one student more: the 41st of the city exam
    extra = dataset(world, n_per_class=(20, 18, 16, 12), seed=5)[40]
    extra[5:] = [60.0, 60.0, 50.0]
    import_and_analyse(world, entry, [*rows, extra], actor=world.users["district_researcher"])
    after = researcher_api.get(url)
    assert after.status_code == 202  # not recomputed: no figures to subtract
    assert not ValueAddedStat.objects.filter(link=link).exists()
    link.refresh_from_db()
    assert link.awaits_refresh
    # the secret the attack wanted stays out of every answer
    target = Candidate.objects.get(exam=city_exam, student_key=extra[4])
    total = sum(target.scores)
    body = after.content.decode()
    assert f"{total:.1f}" not in body and str(n0 + 1) not in body
    # someone with the permission refreshes it (a POST), and it is current again
    r = api_for(admin).post(
        "/api/v1/value-added",
        {"entry": entry.pk, "exit": city_exam.pk},
        content_type="application/json",
    )
    assert r.status_code in (200, 202)
    link.refresh_from_db()
    if not link.is_current:
        analysis.run_value_added(link.pk)
        link.refresh_from_db()
    assert link.is_current


def test_a_reimport_by_someone_who_may_link_recomputes(world, city_exam):
    admin = world.users["city_admin"]
    _grant(world, admin, world.units["city"])
    entry, rows = _self_made(world, city_exam, 40)
    link = services.request_value_added(actor=admin, entry=entry, exit_exam=city_exam)
    analysis.run_value_added(link.pk)
    import_and_analyse(world, entry, rows[:-1], actor=admin)
    link = ValueAddedLink.objects.select_related("entry_exam", "exit_exam", "job").get()
    assert not link.awaits_refresh  # a computation was started, not dropped


def test_a_regression_through_a_few_students_is_not_shown(world, city_exam, api_for):
    """A pair made outside the service (the command line, an older release) over a
    handful of students: the line through their points is hidden like a small group."""
    entry, _rows = _self_made(world, city_exam, 6)
    link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=city_exam)
    analysis.run_value_added(link.pk)
    link.refresh_from_db()
    assert link.n_linked < 10 and link.slope is not None
    url = f"/api/v1/value-added?entry={entry.pk}&exit={city_exam.pk}&level=all"
    admin = world.users["city_admin"]
    body = api_for(admin).get(url).json()
    assert body["slope"] is None and body["intercept"] is None
    assert all(i["mean_exit"] is None for i in body["items"])
    _grant(world, admin, world.units["city"])
    body = api_for(admin).get(url).json()
    assert body["slope"] == pytest.approx(link.slope)
