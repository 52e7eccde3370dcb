"""The library's statistics page (resources/stats.py, views_stats.py): every figure equals
an independent computation over the raw rows of a fixture whose times are set with
time_machine; who may see which scope; the period filter; the exports; a fixed number
of queries; and the figures registered in the metric registry."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections import Counter, defaultdict
from importlib import import_module
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiaoyan.core import metrics
from jiaoyan.core.paths import path_ids
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.resources import services, stats, use
from jiaoyan.resources.models import Resource, ResourceEvent, Status

from .conftest import criteria_scores, draft, in_review, submitted
from .scope_cases import huazhou_resource

pytestmark = pytest.mark.usefixtures("chinese")

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # in the 2025–2026 second term
PERIOD = metrics.Period(dt.date(2026, 2, 1), dt.date(2026, 7, 31))


def at(days: float):
    return START + dt.timedelta(days=days)


def _review(w, r, review, recommendation="publish", comment="好"):
    services.record_review(
        actor=w.users["district_researcher"],
        review=review,
        scores=criteria_scores(review, 10),
        comment=comment,
        recommendation=recommendation,
    )
    return Resource.objects.get(pk=r.pk)


@pytest.fixture
def library(world):
    """临渭区's resources at every step, their decisions at known times, and one of
    华州区 (in the city's scope, not 临渭区's)."""
    w = world
    principal = w.users["principal"]
    with time_machine.travel(START, tick=False) as t:
        # published after 2.5 days
        a, review = in_review(w, title="甲 教学设计")
        a = _review(w, a, review)
        t.move_to(at(2.5))
        services.decide(actor=principal, resource=a, decision="publish")
        # returned after 3.2 days, resubmitted, published 1.1 days after the resubmission
        t.move_to(at(0))
        b, review = in_review(w, title="乙 课件", kind="slides")
        b = _review(w, b, review, "return", "请修改")
        t.move_to(at(3.2))
        b = services.decide(actor=principal, resource=b, decision="return", comment="请修改")
        t.move_to(at(5))
        b = services.submit_resource(actor=w.users["teacher"], resource=b)
        review = services.assign_reviewer(
            actor=principal, resource=b, reviewer=w.people["district_researcher"]
        )
        b = _review(w, b, review)
        t.move_to(at(6.1))
        services.decide(actor=principal, resource=b, decision="publish")
        # rejected after 9 days
        t.move_to(at(1))
        c, review = in_review(w, title="丙 微课", kind="micro_lesson", video_link="https://v.cn/c")
        c = _review(w, c, review, "reject", "不符合要求")
        t.move_to(at(10))
        services.decide(actor=principal, resource=c, decision="reject", comment="不符合要求")
        # waiting, a draft (never counted), and one submitted before the term
        t.move_to(at(2))
        submitted(w, title="丁 等待评审")
        draft(w, title="戊 草稿")
        t.move_to(dt.datetime(2025, 12, 1, 9, 0, tzinfo=TZ))
        submitted(w, title="己 上学期")
        # 华州区's published resource, and uses in lessons
        t.move_to(at(3))
        hz = huazhou_resource(w)
        t.move_to(at(7))
        use.record_use(actor=w.users["counsellor"], resource=Resource.objects.get(pk=a.pk))
        use.record_use(actor=w.users["outsider"], resource=hz)
    return w


def expected(root: OrgUnit, period: metrics.Period) -> dict:
    """The figures computed in Python from every raw row (no aggregate of the database)."""
    first = period.first_moment
    after = period.after_moment
    units = {u.pk: u for u in OrgUnit.objects.all()}
    depth = len(path_ids(root.path))

    def child(unit_id):
        ids = path_ids(units[unit_id].path)
        return ids[depth] if len(ids) > depth else root.pk

    mine = [
        r
        for r in Resource.objects.all()
        if units[r.org_unit_id].path.startswith(root.path) and r.status != Status.DRAFT
    ]
    sub = [r for r in mine if r.submitted_at and first <= r.submitted_at < after]
    pub = [
        r
        for r in mine
        if r.status == Status.PUBLISHED and r.published_at and first <= r.published_at < after
    ]
    schools = {u.pk for u in units.values() if u.path.startswith(root.path) and u.kind == "school"}
    contributing = {r.org_unit_id for r in pub} & schools
    turn = defaultdict(list)
    events = list(ResourceEvent.objects.order_by("created_at", "id"))
    for e in events:
        if e.step not in ("published", "returned", "rejected"):
            continue
        if not (first <= e.created_at < after):
            continue
        r = Resource.objects.get(pk=e.resource_id)
        if not units[r.org_unit_id].path.startswith(root.path):
            continue
        before = [
            s
            for s in events
            if s.resource_id == e.resource_id
            and s.step in ("submitted", "resubmitted")
            and s.created_at <= e.created_at
        ]
        seconds = int(e.created_at.timestamp()) - int(before[-1].created_at.timestamp())
        turn[child(r.org_unit_id)].append((seconds // 8640) / 10)

    def nearest_rank(values, share):
        values = sorted(values)
        return values[math.ceil(share * len(values)) - 1] if values else None

    everything = [v for vs in turn.values() for v in vs]
    return {
        "submitted": len(sub),
        "by_kind": Counter(r.kind for r in sub),
        "by_status": Counter(r.status for r in sub),
        "by_subject": Counter(r.subject.name if r.subject_id else "" for r in sub),
        "per_child": Counter(child(r.org_unit_id) for r in sub),
        "published": len(pub),
        "schools": len(schools),
        "contributing": len(contributing),
        "median": nearest_rank(everything, 0.5),
        "p90": nearest_rank(everything, 0.9),
        "per_child_median": {k: nearest_rank(v, 0.5) for k, v in turn.items()},
        "per_child_p90": {k: nearest_rank(v, 0.9) for k, v in turn.items()},
        "decisions": len(everything),
    }


@pytest.mark.parametrize("root_key", ["city", "linwei", "school_a"])
def test_the_figures_equal_a_computation_over_the_raw_rows(library, root_key):
    w = library
    root = w.units.get(root_key) or w.schools[root_key].org_unit
    data = stats.statistics(root, PERIOD)
    want = expected(root, PERIOD)
    assert data["submitted"] == want["submitted"]
    assert {d["key"]: d["value"] for d in data["by_kind"]} == dict(want["by_kind"])
    assert {d["key"]: d["value"] for d in data["by_status"] if d["value"]} == dict(
        want["by_status"]
    )
    assert sum(d["value"] for d in data["by_subject"]) == want["submitted"]
    assert {r.unit_id: r.submitted for r in data["units"] if r.submitted} == dict(want["per_child"])
    assert data["published"] == want["published"]
    assert (data["schools"], data["contributing"]) == (want["schools"], want["contributing"])
    assert (data["median"], data["p90"], data["decisions"]) == (
        want["median"],
        want["p90"],
        want["decisions"],
    )
    per_unit = {r.unit_id: (r.median, r.p90) for r in data["units"] if r.decisions}
    assert per_unit == {
        k: (want["per_child_median"][k], want["per_child_p90"][k]) for k in want["per_child_median"]
    }


def test_the_known_figures_of_the_fixture(library):
    w = library
    data = stats.statistics(w.units["linwei"], PERIOD)
    # 甲 乙 丙 丁 this term (己 last term, 戊 a draft, 华州区's elsewhere)
    assert data["submitted"] == 4
    assert data["published"] == 2
    # 2.5 (甲), 3.2 (乙 returned), 1.1 (乙 published), 9.0 (丙 rejected)
    assert data["decisions"] == 4
    assert (data["median"], data["p90"]) == (2.5, 9.0)
    assert (data["schools"], data["contributing"], data["share"]) == (2, 1, 50.0)
    assert data["uses"] == 1  # 华州区's use is not 临渭区's
    renmin = next(r for r in data["units"] if r.unit_id == w.units["renmin"].pk)
    assert (renmin.submitted, renmin.now_published, renmin.returned) == (4, 2, 0)
    assert (renmin.rejected, renmin.in_review) == (1, 1)
    assert [a["name"] for a in data["authors"]] == ["临渭区第一初级中学"]
    assert data["authors"][0]["resources"] == 4
    city = stats.statistics(w.units["city"], PERIOD)
    assert (city["published"], city["schools"], city["contributing"]) == (3, 3, 2)
    assert city["uses"] == 2
    # The top lists: published resources of the scope only, all time.
    top = stats.top_resources(w.units["linwei"])
    assert [r.title for r in top["uses"]] == ["甲 教学设计"]
    assert {r.title for r in top["views"]} <= {"甲 教学设计", "乙 课件"}


def test_each_decision_keeps_its_turnaround_and_migration_0005_fills_it(library):
    """``services.decide`` writes the seconds since the (re)submission it answers; the
    data migration computes the same from the steps for decisions recorded before."""
    linwei = library.units["linwei"].path
    decisions = ResourceEvent.objects.filter(step__in=stats.DECISIONS)
    written = dict(decisions.values_list("pk", "turnaround"))
    mine = sorted(
        decisions.filter(resource__org_unit__path__startswith=linwei).values_list(
            "turnaround", flat=True
        )
    )
    day = 86400
    assert mine == [round(1.1 * day), round(2.5 * day), round(3.2 * day), 9 * day]
    assert (
        not ResourceEvent.objects.exclude(step__in=stats.DECISIONS)
        .exclude(turnaround=None)
        .exists()
    )
    fill = import_module("jiaoyan.resources.migrations.0005_decision_turnaround").fill
    ResourceEvent.objects.update(turnaround=None)
    fill(django_apps, SimpleNamespace(connection=connection))
    assert dict(decisions.values_list("pk", "turnaround")) == written


def test_a_period_without_decisions_has_no_turnaround(library):
    data = stats.statistics(
        library.units["linwei"], metrics.Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    )
    assert (data["submitted"], data["decisions"], data["median"], data["p90"]) == (0, 0, None, None)
    assert data["share"] == 0.0


def test_pick_period_dates_then_year_then_term():
    today = dt.date(2026, 3, 10)
    assert stats.pick_period(today=today).period == metrics.Period(
        dt.date(2026, 2, 1), dt.date(2026, 7, 31)
    )
    assert stats.pick_period(term="2025-2026-1", today=today).period.start == dt.date(2025, 8, 1)
    assert stats.pick_period(year=2025, term="2025-2026-1", today=today).period == metrics.Period(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    )
    chosen = stats.pick_period(start=dt.date(2026, 3, 1), year=2025, today=today)
    assert chosen.period == metrics.Period(dt.date(2026, 3, 1), today)


# --- the page --------------------------------------------------------------------------------


URL = "/resources/statistics/"


def test_the_page_shows_the_scope_and_every_table_exports(library, client_for):
    w = library
    c = client_for(w.users["district_researcher"])
    r = c.get(URL, {"start": "2026-02-01", "end": "2026-07-31"})
    assert r.status_code == 200
    page = r.content.decode()
    assert 'data-testid="stat-submitted">4<' in page
    assert 'data-testid="stat-median">2.5<' in page
    assert "临渭区第一初级中学" in page and "华州区" not in page.split("unit-stats")[1]
    assert 'data-chart="chart-kind"' in page
    for table, marker in [
        ("units", "人民街道"),
        ("kinds", "教学设计"),
        ("subjects", "数学"),
        ("statuses", "已发布"),
        ("top", "甲 教学设计"),
        ("authors", "临渭区第一初级中学"),
    ]:
        x = c.get(
            URL, {"start": "2026-02-01", "end": "2026-07-31", "export": "xlsx", "table": table}
        )
        assert x.status_code == 200, table
        assert x["Content-Type"].startswith("application/vnd.openxmlformats")
        ws = load_workbook(io.BytesIO(x.content)).active
        cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        assert any(marker in v for v in cells), (table, cells)
    units = load_workbook(
        io.BytesIO(
            c.get(URL, {"start": "2026-02-01", "end": "2026-07-31", "export": "xlsx"}).content
        )
    ).active
    rows = list(units.iter_rows(values_only=True))
    header = rows[1]
    renmin = next(row for row in rows if row[0] == "人民街道")
    assert renmin[header.index("报送资源")] == 4
    assert renmin[header.index("评审用时中位数（天）")] == 2.5
    assert c.get(URL, {"export": "xlsx", "table": "nope"}).status_code == 404


def test_the_period_filter_term_year_and_bad_dates(library, client_for):
    c = client_for(library.users["district_researcher"])
    page = c.get(URL, {"term": "2025-2026-1"}).content.decode()
    assert 'data-testid="stat-submitted">1<' in page  # 己, submitted in December
    page = c.get(URL, {"year": "2024"}).content.decode()
    assert 'data-testid="stat-submitted">0<' in page
    r = c.get(URL, {"start": "2026-05-01", "end": "2026-04-01"})
    assert r.status_code == 200 and "invalid-feedback" in r.content.decode()
    for bad in ({"start": "abc"}, {"year": "99999"}, {"term": "x"}, {"start": "0001-01-01"}):
        assert c.get(URL, bad).status_code == 200


def test_who_sees_which_scope(library, client_for):
    w = library
    linwei, huazhou = w.units["linwei"], w.units["huazhou"]
    school_a = w.schools["school_a"].org_unit
    # another district's scope: 404 both ways, its figures nowhere
    assert client_for(w.users["outsider"]).get(URL, {"unit": linwei.pk}).status_code == 404
    assert (
        client_for(w.users["district_researcher"]).get(URL, {"unit": huazhou.pk}).status_code == 404
    )
    page = client_for(w.users["outsider"]).get(URL).content.decode()
    assert "华州区第一小学" in page and "临渭区第一初级中学" not in page
    # a principal: their school, not the district above
    principal = client_for(w.users["principal"])
    assert principal.get(URL).status_code == 200
    assert principal.get(URL, {"unit": linwei.pk}).status_code == 404
    # a teacher manages nothing: refused, and no unit opens for them
    teacher = client_for(w.users["teacher"])
    assert teacher.get(URL).status_code == 403
    assert teacher.get(URL, {"unit": school_a.pk}).status_code == 404
    assert client_for(w.users["city_admin"]).get(URL, {"unit": huazhou.pk}).status_code == 200
    assert client_for(w.users["city_admin"]).get(URL, {"unit": "x"}).status_code == 404
    assert client_for(w.users["city_admin"]).get(URL, {"unit": "9" * 25}).status_code == 404


@pytest.mark.parametrize(
    "who, root_key", [("district_researcher", "linwei"), ("city_admin", "city")]
)
def test_a_scope_counts_what_its_manager_sees(library, who, root_key):
    """The figures read the subtree directly: for the scope's manager that is exactly the
    rows ``visible_to`` gives them, drafts left out."""
    from jiaoyan.core.scope import under_q

    w = library
    root = w.units[root_key]
    seen = (
        Resource.objects.visible_to(w.users[who])
        .filter(under_q(Resource, "org_unit__path", [root.path]))
        .exclude(status=Status.DRAFT)
    )
    assert stats.may_see(w.users[who], root)
    assert set(stats.in_scope(root).values_list("pk", flat=True)) == set(
        seen.values_list("pk", flat=True)
    )
    assert stats.in_scope(root).count() >= 5


def test_the_page_reads_a_fixed_number_of_queries(
    library, client_for, django_assert_max_num_queries
):
    w = library
    c = client_for(w.users["city_admin"])
    with CaptureQueriesContext(connection) as few:
        assert c.get(URL, {"start": "2026-02-01", "end": "2026-07-31"}).status_code == 200
    # more resources, units' and decisions: the same queries
    with time_machine.travel(at(20), tick=False) as t:
        for i in range(6):
            r, review = in_review(w, title=f"加{i}", kind="slides" if i % 2 else "lesson_design")
            r = _review(w, r, review)
            t.shift(dt.timedelta(hours=7))
            services.decide(actor=w.users["principal"], resource=r, decision="publish")
    cache.clear()  # the figures are kept two minutes: compute them again
    with CaptureQueriesContext(connection) as many:
        assert c.get(URL, {"start": "2026-02-01", "end": "2026-07-31"}).status_code == 200
    assert len(many) == len(few)
    # kept: everyone who may open the scope sees the same figures, read once
    with CaptureQueriesContext(connection) as kept:
        page = c.get(URL, {"start": "2026-02-01", "end": "2026-07-31"}).content.decode()
    assert len(kept) < len(few) - 8
    assert 'data-testid="stat-submitted">11<' in page  # 4 + 华州区's + 6
    cache.clear()
    with django_assert_max_num_queries(18):
        c.get(URL, {"start": "2026-02-01", "end": "2026-07-31"})
    with django_assert_max_num_queries(18):
        c.get(URL, {"start": "2026-02-01", "end": "2026-07-31", "export": "xlsx", "table": "top"})


def test_get_writes_nothing(library, client_for):
    c = client_for(library.users["city_admin"])
    with CaptureQueriesContext(connection) as seen:
        c.get(URL)
    writes = [
        q["sql"]
        for q in seen.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []


# --- the metric registry ---------------------------------------------------------------------


def test_the_figures_in_the_metric_registry(library):
    w = library
    values = {
        v.metric.key: v.value
        for v in metrics.compute_many(
            [
                "resources.published",
                "resources.contributing_schools",
                "resources.uses",
                "resources.review_turnaround",
            ],
            w.units["linwei"],
            PERIOD,
        )
    }
    assert values == {
        "resources.published": 2,
        "resources.contributing_schools": 50.0,
        "resources.uses": 1,
        "resources.review_turnaround": 2.5,
    }
    city = metrics.compute("resources.published", w.units["city"], PERIOD)
    assert city.value == 3


def test_the_best_rated_follow_the_mean_then_the_number_of_ratings(world):
    """The statistics' best rated of a scope: published resources of the subtree rated at
    least once, by their mean rating (kept by the database as ratings change), then their
    number of ratings, then the newest — as computed from the rows in Python."""
    from fractions import Fraction

    w = world
    linwei, huazhou = w.units["linwei"], w.units["huazhou"]
    school_a = w.schools["school_a"].org_unit
    # (unit, status, ratings, sum): ties of the mean (4.5, 4.0) and of both
    rows = [
        (school_a, "published", 2, 9),
        (school_a, "published", 4, 18),
        (linwei, "published", 1, 4),
        (school_a, "published", 3, 12),
        (school_a, "published", 3, 12),
        (school_a, "published", 0, 0),  # not rated: not listed
        (school_a, "returned", 5, 25),  # not published
        (huazhou, "published", 1, 5),  # another district
        (school_a, "published", 3, 14),
    ]
    for i, (unit, status, n, total) in enumerate(rows):
        Resource.objects.create(
            org_unit=unit,
            kind="slides",
            title=f"评分{i}",
            status=status,
            rating_count=n,
            rating_sum=total,
        )
    rated = Resource.objects.get(title="评分2")
    use.rate(actor=w.users["district_researcher"], resource=rated, score=5)  # 4, 5: 4.5

    def want(root, limit=stats.TOP):
        found = [
            r
            for r in Resource.objects.filter(status="published", rating_count__gt=0)
            if OrgUnit.objects.get(pk=r.org_unit_id).path.startswith(root.path)
        ]
        found.sort(key=lambda r: (-Fraction(r.rating_sum, r.rating_count), -r.rating_count, -r.pk))
        return [r.title for r in found[:limit]]

    def best(root):
        return [r.title for r in stats.top_resources(root)["rating"]]

    assert best(linwei) == want(linwei) == ["评分8", "评分1", "评分2", "评分0", "评分4", "评分3"]
    assert best(w.units["city"]) == want(w.units["city"])
    assert best(w.units["city"])[0] == "评分7"  # 5.0, one rating
    assert best(huazhou) == ["评分7"]
    assert best(school_a) == want(school_a) and "评分2" not in best(school_a)
    assert Resource.objects.get(title="评分5").rating_mean is None
    assert Resource.objects.get(title="评分2").rating_mean == 4.5
