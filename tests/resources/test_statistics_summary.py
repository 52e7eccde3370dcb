"""The statistics' day and month tables (resources/summary.py): every service that moves
a resource keeps them equal to a recomputation from the raw rows, and the statistics read
from them equal an independent computation over the raw rows after each write — over
whole months (the month table), over days around them (both tables) and within a month
(the day table); the migrations, the ``resource_stats`` command and the rebuild job fill
or repair them; while the units' tree has moved since the month table was rolled up, the
figures come from the day table alone, right."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from importlib import import_module
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection

from jiaoyan.core import metrics, stamps
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.models import Job
from jiaoyan.orgs import services as org_services
from jiaoyan.orgs.models import Subject
from jiaoyan.resources import services, stats, summary, use
from jiaoyan.resources.models import (
    Application,
    Resource,
    ResourceDayStat,
    ResourceMonthStat,
    StatFact,
)
from jiaoyan.resources.tasks import REBUILD_STATS

from .conftest import criteria_scores, draft, in_review
from .scope_cases import huazhou_resource
from .test_statistics import PERIOD, START, at, expected

pytestmark = pytest.mark.usefixtures("chinese")

#: Whole months with days on either side (January's last days hold a use in a lesson;
#: March, whole, every submission and decision), and days within one month.
AROUND = metrics.Period(dt.date(2026, 1, 20), dt.date(2026, 4, 10))
WITHIN = metrics.Period(dt.date(2026, 3, 3), dt.date(2026, 3, 12))
PERIODS = (PERIOD, AROUND, WITHIN)


def test_a_period_is_split_into_whole_months_and_days():
    d = dt.date
    assert stats.split(PERIOD) == ((d(2026, 2, 1), d(2026, 7, 1)), [])
    assert stats.split(AROUND) == (
        (d(2026, 2, 1), d(2026, 3, 1)),
        [(d(2026, 1, 20), d(2026, 1, 31)), (d(2026, 4, 1), d(2026, 4, 10))],
    )
    assert stats.split(WITHIN) == (None, [(WITHIN.start, WITHIN.end)])
    december = metrics.Period(d(2025, 12, 1), d(2026, 1, 31))
    assert stats.split(december) == ((d(2025, 12, 1), d(2026, 1, 1)), [])
    feb = metrics.Period(d(2026, 2, 2), d(2026, 2, 28))
    assert stats.split(feb) == (None, [(feb.start, feb.end)])


def figures(root, period=PERIOD) -> dict:
    """The statistics' figures (computed, not from the cache) in ``expected``'s terms."""
    data = stats.compute(root, period)
    return {
        "submitted": data["submitted"],
        "by_kind": Counter({d["key"]: d["value"] for d in data["by_kind"]}),
        "by_status": Counter({d["key"]: d["value"] for d in data["by_status"] if d["value"]}),
        "by_subject": Counter({d["name"]: d["value"] for d in data["by_subject"]}),
        "per_child": Counter({r.unit_id: r.submitted for r in data["units"] if r.submitted}),
        "published": data["published"],
        "schools": data["schools"],
        "contributing": data["contributing"],
        "median": data["median"],
        "p90": data["p90"],
        "per_child_median": {r.unit_id: r.median for r in data["units"] if r.decisions},
        "per_child_p90": {r.unit_id: r.p90 for r in data["units"] if r.decisions},
        "decisions": data["decisions"],
    }


def raw(root, period=PERIOD) -> dict:
    want = dict(expected(root, period))
    # expected() names resources without a subject ""; the page says 无学科
    want["by_subject"] = Counter({(k or "无学科"): v for k, v in want["by_subject"].items() if v})
    return want


def authors_raw(root, period=PERIOD) -> list[tuple[int, int, int]]:
    """Authors per school from the raw rows: (school, people, resources with authors)."""
    first, after = period.first_moment, period.after_moment
    people: dict[int, set] = {}
    resources: Counter = Counter()
    for r in Resource.objects.filter(org_unit__path__startswith=root.path).exclude(status="draft"):
        if r.org_unit.kind != "school" or not (r.submitted_at and first <= r.submitted_at < after):
            continue
        authors = set(r.authors.values_list("pk", flat=True))
        if authors:
            people.setdefault(r.org_unit_id, set()).update(authors)
            resources[r.org_unit_id] += 1
    return sorted((u, len(p), resources[u]) for u, p in people.items())


def check(w, periods=PERIODS) -> None:
    """The tables equal a recomputation, and the page's figures the raw rows', for the
    city, the district and a school, over each of ``periods``."""
    assert summary.differences() == {}
    for period in periods:
        for root in (w.units["city"], w.units["linwei"], w.schools["school_a"].org_unit):
            assert figures(root, period) == raw(root, period), (root.name, period)
            data = stats.compute(root, period)
            got = [(a["unit_id"], a["authors"], a["resources"]) for a in data["authors"]]
            assert sorted(got) == authors_raw(root, period), (root.name, period)
        data = stats.compute(w.units["city"], period)
        uses = sum(1 for u in Application.objects.all() if period.start <= u.day <= period.end)
        assert data["uses"] == uses, period


def _review(w, review, recommendation="publish", comment="好"):
    services.record_review(
        actor=w.users["district_researcher"],
        review=review,
        scores=criteria_scores(review, 10),
        comment=comment,
        recommendation=recommendation,
    )


def test_every_write_keeps_the_table_and_the_figures_right(world):
    w = world
    principal, teacher = w.users["principal"], w.users["teacher"]
    with time_machine.travel(START, tick=False) as t:
        check(w)
        # a draft counts nowhere
        a = draft(w, title="甲 教学设计")
        assert not ResourceDayStat.objects.exists()
        check(w)
        # submitted, reviewers, reviewed, returned
        t.move_to(at(0.5))
        a = services.submit_resource(actor=teacher, resource=a)
        check(w)
        review = services.assign_reviewer(
            actor=principal, resource=a, reviewer=w.people["district_researcher"]
        )
        check(w)
        _review(w, review, "return", "请修改")
        t.move_to(at(3.3))
        a = services.decide(
            actor=principal,
            resource=Resource.objects.get(pk=a.pk),
            decision="return",
            comment="请修改",
        )
        check(w)
        # revised while returned (kind, subject, authors: it is still counted), resubmitted
        # on another day, published
        a = services.update_resource(
            actor=teacher,
            resource=a,
            data={
                "kind": "slides",
                "subject": Subject.objects.get(name="语文"),
                "curriculum_node": None,
                "authors": [w.people["teacher"], w.people["teacher_b"]],
            },
        )
        check(w)
        t.move_to(at(6))
        a = services.submit_resource(actor=teacher, resource=a)
        review = services.assign_reviewer(
            actor=principal, resource=a, reviewer=w.people["district_researcher"]
        )
        _review(w, review)
        t.move_to(at(8.25))
        a = services.decide(
            actor=principal, resource=Resource.objects.get(pk=a.pk), decision="publish"
        )
        check(w)
        # another one rejected, one waiting, 华州区's published
        b, review = in_review(w, title="乙 微课", kind="micro_lesson", video_link="https://v.cn/b")
        _review(w, review, "reject", "不符合要求")
        t.move_to(at(12))
        services.decide(
            actor=principal,
            resource=Resource.objects.get(pk=b.pk),
            decision="reject",
            comment="不符合要求",
        )
        in_review(w, title="丙 等待")
        huazhou_resource(w)
        check(w)
        # uses in lessons, recorded and withdrawn
        t.move_to(at(13))
        first = use.record_use(actor=w.users["counsellor"], resource=a)
        use.record_use(actor=w.users["counsellor"], resource=a, day=at(-40).date())
        check(w)
        use.delete_use(actor=w.users["counsellor"], application=first)
        check(w)
        # a draft deleted
        gone = draft(w, title="丁 草稿")
        services.delete_resource(actor=teacher, resource=gone)
        check(w)
    linwei = stats.compute(w.units["linwei"], PERIOD)
    assert (linwei["submitted"], linwei["published"], linwei["decisions"]) == (3, 1, 3)
    assert {d["key"]: d["value"] for d in linwei["by_kind"]} == {
        "slides": 1,
        "micro_lesson": 1,
        "lesson_design": 1,
    }
    # the turnarounds of 临渭区第一初级中学's decisions, in tenths of a day: 2.25 days to
    # the publication after the resubmission, 2.8 to the return, 3.75 to the rejection
    school = w.schools["school_a"].org_unit
    decided = ResourceDayStat.objects.filter(fact=StatFact.DECIDED, org_unit=school)
    assert sorted(decided.values_list("key", flat=True)) == [22, 28, 37]


def test_a_failed_write_changes_nothing(world):
    w = world
    r, _review_row = in_review(w, title="戊")
    before = list(ResourceDayStat.objects.values_list("fact", "day", "status", "n"))
    with pytest.raises(ServiceError):
        services.decide(actor=w.users["principal"], resource=r, decision="publish")
    assert list(ResourceDayStat.objects.values_list("fact", "day", "status", "n")) == before
    assert summary.differences() == {}


@pytest.fixture
def filled(world):
    w = world
    with time_machine.travel(START, tick=False) as t:
        r, review = in_review(w, title="甲")
        _review(w, review)
        t.move_to(at(2.5))
        services.decide(
            actor=w.users["principal"], resource=Resource.objects.get(pk=r.pk), decision="publish"
        )
        t.move_to(at(3))
        use.record_use(actor=w.users["counsellor"], resource=Resource.objects.get(pk=r.pk))
        in_review(w, title="乙")
        huazhou_resource(w)
    return w


def test_the_command_finds_and_repairs_a_wrong_table(filled, capsys):
    w = filled
    want = figures(w.units["city"])
    call_command("resource_stats", "--check")
    assert "一致" in capsys.readouterr().out
    # rows lost and a count gone wrong (a write around the services)
    ResourceDayStat.objects.filter(fact=StatFact.PUBLISHED).delete()
    ResourceDayStat.objects.filter(fact=StatFact.SUBMITTED).update(n=7)
    ResourceMonthStat.objects.filter(fact=StatFact.PUBLISHED).delete()
    ResourceMonthStat.objects.filter(fact=StatFact.SUBMITTED).update(n=7)
    assert figures(w.units["city"]) != want
    with pytest.raises(CommandError, match=r"资源统计表有 \d+ 行与重新计算的结果不一致"):
        call_command("resource_stats", "--check")
    call_command("resource_stats")
    assert "统计行" in capsys.readouterr().out
    assert summary.differences() == {}
    assert figures(w.units["city"]) == want == raw(w.units["city"])


def test_the_rebuild_job(filled):
    ResourceDayStat.objects.all().delete()
    ResourceMonthStat.objects.filter(fact=StatFact.DECIDED).update(n=3)
    job = start_job(REBUILD_STATS, defer=False)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.result["resources"] == Resource.objects.count()
    assert summary.differences() == {}


def test_migration_0006_fills_what_the_services_keep(filled):
    kept = sorted(ResourceDayStat.objects.values_list(*summary.COLUMNS, "n"))
    assert kept
    ResourceDayStat.objects.all().delete()
    fill = import_module("jiaoyan.resources.migrations.0006_day_statistics").fill
    fill(django_apps, SimpleNamespace(connection=connection))
    assert sorted(ResourceDayStat.objects.values_list(*summary.COLUMNS, "n")) == kept


def test_days_are_local_dates(world):
    """A submission at 23:30 UTC is counted on the next day in Beijing time."""
    w = world
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(late, tick=False):
        r = draft(w, title="己")
        services.submit_resource(actor=w.users["teacher"], resource=r)
    days = set(ResourceDayStat.objects.values_list("day", flat=True))
    assert days == {dt.date(2026, 3, 3)}


def test_migration_0007_fills_the_months_from_the_days(filled):
    kept = sorted(ResourceMonthStat.objects.values_list(*summary.MONTH_COLUMNS, "n"))
    assert kept
    # every unit on the path of 临渭区第一初级中学 has its published resource of March
    school = filled.schools["school_a"].org_unit
    published = ResourceMonthStat.objects.filter(fact=StatFact.PUBLISHED, month="2026-03-01")
    assert set(published.values_list("org_unit_id", flat=True)) >= set(
        summary.path_ids(school.path)
    )
    ResourceMonthStat.objects.all().delete()
    fill = import_module("jiaoyan.resources.migrations.0007_month_statistics").fill
    fill(django_apps, SimpleNamespace(connection=connection))
    assert sorted(ResourceMonthStat.objects.values_list(*summary.MONTH_COLUMNS, "n")) == kept
    assert summary.tree_unchanged()


def test_a_unit_moved_the_figures_come_from_the_days_until_the_rebuild(filled):
    """The month table counts each school under the district it was in; a school moved to
    another district: the figures are still the raw rows' (the day table alone), and the
    rebuild rolls the months up under the new tree."""
    w = filled
    school = w.schools["school_a"].org_unit
    org_services.move_unit(actor=w.users["superuser"], unit=school, new_parent=w.units["huazhou"])
    school.refresh_from_db()
    w.schools["school_a"].org_unit.refresh_from_db()
    assert not summary.tree_unchanged()
    for period in PERIODS:
        for root in (w.units["city"], w.units["linwei"], w.units["huazhou"]):
            assert figures(root, period) == raw(root, period), (root.name, period)
    assert summary.differences()  # the months still under the old district
    call_command("resource_stats")
    assert summary.tree_unchanged()
    check(w)
    huazhou = stats.compute(w.units["huazhou"], PERIOD)
    assert huazhou["submitted"] == raw(w.units["huazhou"])["submitted"] >= 2


def test_moving_a_school_starts_the_rebuild(filled, django_capture_on_commit_callbacks):
    """Moving a school (orgs.services.move_unit) starts the rebuild job when the move
    commits: the month table is rolled up under the new tree at once — read again (not
    the day table alone) — and the old and the new district count the school's
    resources where it is now."""
    w = filled
    school = w.schools["school_a"].org_unit
    linwei, huazhou = w.units["linwei"], w.units["huazhou"]
    before = {u: figures(u) for u in (linwei, huazhou)}
    moved = Resource.objects.filter(org_unit=school).exclude(status="draft").count()
    assert moved >= 2 and before[linwei]["submitted"] >= moved
    with django_capture_on_commit_callbacks(execute=True):
        org_services.move_unit(actor=w.users["superuser"], unit=school, new_parent=huazhou)
    job = Job.objects.get(kind=REBUILD_STATS)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert summary.tree_unchanged()  # the month table is read again
    assert summary.differences() == {}
    w.schools["school_a"].org_unit.refresh_from_db()
    for period in PERIODS:
        for root in (w.units["city"], linwei, huazhou):
            assert figures(root, period) == raw(root, period), (root.name, period)
    after = {u: figures(u) for u in (linwei, huazhou)}
    assert after[linwei]["submitted"] == before[linwei]["submitted"] - moved
    assert after[huazhou]["submitted"] == before[huazhou]["submitted"] + moved
    assert after[huazhou]["per_child"][school.pk] == moved
    # a second move while a rebuild waits in the queue adds none
    with django_capture_on_commit_callbacks(execute=False):
        org_services.move_unit(actor=w.users["superuser"], unit=school, new_parent=linwei)
        org_services.move_unit(actor=w.users["superuser"], unit=school, new_parent=huazhou)
    assert Job.objects.filter(kind=REBUILD_STATS, status=Job.Status.QUEUED).count() == 1


def test_another_change_of_the_units_keeps_the_figures_right(filled):
    """Any new version of the units (a school's weak flag …) only makes the figures read
    the day table: never wrong."""
    w = filled
    want = {p: figures(w.units["city"], p) for p in PERIODS}
    stamps.bump(summary.UNITS)
    ResourceMonthStat.objects.all().update(n=99)  # not read any more
    assert {p: figures(w.units["city"], p) for p in PERIODS} == want
