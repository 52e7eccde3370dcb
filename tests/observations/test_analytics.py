"""Teacher growth, 同课异构 comparison, coverage and distributions, with exact figures."""

import datetime as dt

import pytest

from jiaoyan.observations import queries, services, stats
from jiaoyan.observations.models import (
    DimensionStat,
    Observation,
    TeacherTermStat,
    UnitTermStat,
)
from jiaoyan.observations.terms import parse_term
from jiaoyan.orgs.models import Stage, Subject
from tests.conftest import make_person, make_school

from .conftest import observe

DIMS = ["教学目标", "教学内容", "教学过程", "教学方法", "学生活动", "教学效果", "教师素养"]


def chart_option(html: str, chart_id: str) -> dict:
    import json
    import re

    m = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m[1])


def shares(*values):
    return dict(zip(DIMS, values, strict=True))


@pytest.fixture
def growth_world(world, rubric):
    """张老师 observed three times in one term, improving; plus noise that must not count.

    percent = share × 100 (all scores exact); total = Σ weight × share with weights
    10, 15, 20, 15, 15, 15, 10:
      2024-09-10  .8 .7 .7 .6 .5 .7 .9   → 8+10.5+14+9+7.5+10.5+9   = 68.5
      2024-10-15  .8 .8 .7 .7 .6 .7 .9   → 8+12+14+10.5+9+10.5+9    = 73.0 (by the researcher)
      2024-11-20  .9 .8 .8 .7 .7 .8 1.0  → 9+12+16+10.5+10.5+12+10  = 80.0
    """
    observe(
        world, rubric, date=dt.date(2024, 9, 10), share=shares(0.8, 0.7, 0.7, 0.6, 0.5, 0.7, 0.9)
    )
    observe(
        world,
        rubric,
        observer="district_researcher",
        date=dt.date(2024, 10, 15),
        share=shares(0.8, 0.8, 0.7, 0.7, 0.6, 0.7, 0.9),
    )
    observe(
        world, rubric, date=dt.date(2024, 11, 20), share=shares(0.9, 0.8, 0.8, 0.7, 0.7, 0.8, 1.0)
    )
    observe(world, rubric, date=dt.date(2024, 12, 1), share=0.1, submit=False)  # a draft
    observe(
        world,
        rubric,
        observer="district_researcher",
        teacher="teacher_b",
        subject="语文",
        stage="primary",
        share=0.95,
    )
    return world


def test_growth_exact_figures(growth_world):
    w = growth_world
    g = queries.growth(w.users["principal"], w.people["teacher"])
    assert g["count"] == 3
    assert g["totals"] == [68.5, 73.0, 80.0]
    assert g["mean_total"] == 73.83
    assert g["best_total"] == 80.0
    assert g["observers"] == 2
    assert g["labels"] == ["2024-09-10", "2024-10-15", "2024-11-20"]
    means = {d.name: d.mean for d in g["dimensions"]}
    assert means == {
        "教学目标": 83.33,
        "教学内容": 76.67,
        "教学过程": 73.33,
        "教学方法": 66.67,
        "学生活动": 60.0,
        "教学效果": 73.33,
        "教师素养": 93.33,
    }
    assert g["strongest"].name == "教师素养"
    assert g["weakest"].name == "学生活动"
    student = next(d for d in g["dimensions"] if d.name == "学生活动")
    assert (student.first, student.last, student.change) == (50.0, 70.0, 20.0)
    assert g["series"]["学生活动"] == [50.0, 60.0, 70.0]


def test_growth_follows_scope(growth_world, client_for):
    w = growth_world
    # The teacher sees their own growth; the outsider cannot open the page.
    assert queries.growth(w.users["teacher"], w.people["teacher"])["count"] == 3
    page = client_for(w.users["teacher"]).get(f"/observations/growth/{w.people['teacher'].pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="growth-strongest">教师素养' in html
    assert 'data-testid="growth-weakest">学生活动' in html
    assert 'data-testid="growth-mean">73.83' in html
    assert html.count('data-testid="growth-row"') == 3
    out = client_for(w.users["outsider"]).get(f"/observations/growth/{w.people['teacher'].pk}/")
    assert out.status_code == 404
    me = client_for(w.users["teacher"]).get("/observations/growth/")
    assert me.status_code == 302 and me.url.endswith(f"/growth/{w.people['teacher'].pk}/")


@pytest.fixture
def round_world(world, rubric):
    """A 临渭区 round of junior maths: 张老师 (two observers), 赵老师 and 孙老师.

    张老师: 80 % everywhere (researcher) and 90 % (principal) → 85 per dimension, total 85.
    赵老师: 70 % everywhere → total 70.
    孙老师: 1.0 .6 .8 .9 .9 .8 .7 → total 10+9+16+13.5+13.5+12+7 = 81.
    """
    school_a = world.schools["school_a"].org_unit
    third = make_school(
        "6105020003",
        "临渭区第三初级中学",
        world.units["renmin"],
        kind="junior",
        stages=("junior",),
    )
    world.people["zhao"] = make_person(
        "T005", "赵老师", school_a, role="teacher", subjects=["数学"], stages=["junior"]
    )
    world.people["sun"] = make_person(
        "T301", "孙老师", third.org_unit, role="teacher", subjects=["数学"], stages=["junior"]
    )
    rnd = services.create_round(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        topic="勾股定理",
        subject=Subject.objects.get(name="数学"),
        stage=Stage.objects.get(code="junior"),
        date=dt.date(2024, 11, 5),
        activity_title="临渭区初中数学同课异构",
    )
    day = dt.date(2024, 11, 5)
    kw = {"kind": Observation.Kind.SAME_LESSON, "round": rnd, "date": day, "topic": "勾股定理"}
    observe(world, rubric, observer="district_researcher", share=0.8, **kw)
    observe(world, rubric, observer="principal", share=0.9, **kw)  # granted the round now
    observe(world, rubric, observer="district_researcher", teacher="zhao", share=0.7, **kw)
    observe(
        world,
        rubric,
        observer="district_researcher",
        teacher="sun",
        share=shares(1.0, 0.6, 0.8, 0.9, 0.9, 0.8, 0.7),
        **kw,
    )
    observe(world, rubric, observer="principal", teacher="zhao", share=0.2, submit=False, **kw)
    world.rnd = rnd
    return world


def test_comparison_exact_figures(round_world):
    c = queries.comparison(round_world.rnd)
    assert c["dimensions"] == DIMS
    assert c["count"] == 4
    rows = [
        (t["teacher"].name, t["observations"], t["mean_total"], t["dimensions"])
        for t in c["teachers"]
    ]
    assert rows == [
        ("张老师", 2, 85.0, [85.0] * 7),
        ("孙老师", 1, 81.0, [100.0, 60.0, 80.0, 90.0, 90.0, 80.0, 70.0]),
        ("赵老师", 1, 70.0, [70.0] * 7),
    ]
    assert c["best"] == [100.0, 85.0, 85.0, 90.0, 90.0, 85.0, 85.0]


def test_round_page_and_radar(round_world, client_for):
    w = round_world
    resp = client_for(w.users["principal"]).get(f"/observations/rounds/{w.rnd.pk}/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.count('data-testid="comparison-row"') == 3
    option = chart_option(html, "chart-round")
    assert option["series"][0]["type"] == "radar"
    assert [i["name"] for i in option["radar"]["indicator"]] == DIMS
    assert option["series"][0]["data"][1] == {
        "name": "孙老师",
        "value": [100.0, 60.0, 80.0, 90.0, 90.0, 80.0, 70.0],
    }
    api = client_for(w.users["district_researcher"]).get(f"/api/v1/observation-rounds/{w.rnd.pk}")
    data = api.json()
    assert data["dimensions"] == DIMS
    assert [t["mean_total"] for t in data["teachers"]] == [85.0, 81.0, 70.0]
    # Not granted to schools outside the round.
    assert (
        client_for(w.users["outsider"]).get(f"/observations/rounds/{w.rnd.pk}/").status_code == 404
    )


@pytest.fixture
def coverage_world(world, rubric):
    school_a = world.schools["school_a"].org_unit
    world.people["zhao"] = make_person(
        "T005", "赵老师", school_a, role="teacher", subjects=["数学"], stages=["junior"]
    )
    observe(world, rubric, date=dt.date(2024, 10, 8), share=0.8)
    observe(world, rubric, observer="district_researcher", date=dt.date(2024, 12, 3), share=0.9)
    observe(world, rubric, teacher="zhao", date=dt.date(2024, 5, 10), share=0.7)  # last term
    observe(world, rubric, teacher="zhao", date=dt.date(2024, 11, 1), share=0.6, submit=False)
    return world


AUTUMN = parse_term("2024-2025-1")
SPRING = parse_term("2023-2024-2")


def test_school_coverage(coverage_world):
    w = coverage_world
    school = w.schools["school_a"].org_unit
    c = queries.school_coverage(w.users["principal"], school, AUTUMN)
    assert (c["teachers"], c["observed"], c["coverage"], c["observations"]) == (2, 1, 50.0, 2)
    assert [r["teacher"].name for r in c["never"]] == ["赵老师"]
    zhang = next(r for r in c["rows"] if r["teacher"].name == "张老师")
    assert zhang["observations"] == 2
    assert zhang["last_date"] == dt.date(2024, 12, 3)
    assert zhang["mean_total"] == 85.0
    assert sorted(zhang["observers"]) == [("李校长", 1), ("韩梅", 1)]
    assert zhang["subjects"] == "数学"
    spring = queries.school_coverage(w.users["principal"], school, SPRING)
    assert (spring["observed"], spring["observations"]) == (1, 1)
    assert [r["teacher"].name for r in spring["never"]] == ["张老师"]


def test_unit_coverage(coverage_world):
    w = coverage_world
    county = queries.unit_coverage(w.users["district_researcher"], w.units["linwei"], AUTUMN)
    assert (county["teachers"], county["observed"], county["observations"]) == (3, 1, 2)
    assert county["coverage"] == 33.3
    rows = {r["unit"].name: r for r in county["rows"]}
    assert set(rows) == {"临渭区第一初级中学", "临渭区第二小学"}
    a = rows["临渭区第一初级中学"]
    assert (a["teachers"], a["observed"], a["never"], a["coverage"], a["observations"]) == (
        2,
        1,
        1,
        50.0,
        2,
    )
    assert a["mean_total"] == 85.0
    b = rows["临渭区第二小学"]
    assert (b["teachers"], b["observed"], b["coverage"], b["observations"]) == (1, 0, 0.0, 0)
    assert county["schools_without"] == 1
    city = queries.unit_coverage(w.users["city_admin"], w.units["city"], AUTUMN)
    rows = {r["unit"].name: r for r in city["rows"]}
    assert (rows["临渭区"]["teachers"], rows["临渭区"]["observed"]) == (3, 1)
    assert (rows["华州区"]["teachers"], rows["华州区"]["observed"]) == (1, 0)
    observers = queries.top_observers(w.users["district_researcher"], w.units["linwei"], AUTUMN)
    assert sorted((o["observer_name"], o["n"]) for o in observers) == [("李校长", 1), ("韩梅", 1)]


def test_coverage_pages(coverage_world, client_for):
    w = coverage_world
    school = w.schools["school_a"].org_unit
    resp = client_for(w.users["principal"]).get(f"/observations/coverage/?term={AUTUMN.code}")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'data-testid="cov-observed">1<' in html
    assert 'data-testid="cov-never">1<' in html
    assert 'data-testid="cov-observations">2<' in html
    xlsx = client_for(w.users["principal"]).get(
        f"/observations/coverage/{school.pk}/?term={AUTUMN.code}&export=xlsx"
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    county = client_for(w.users["district_researcher"]).get(
        f"/observations/coverage/{w.units['linwei'].pk}/?term={AUTUMN.code}"
    )
    assert county.status_code == 200
    assert county.content.decode().count('data-testid="cov-unit-row"') == 2
    for name in ("teacher", "counsellor"):
        assert client_for(w.users[name]).get("/observations/coverage/").status_code == 403
    assert (
        client_for(w.users["outsider"]).get(f"/observations/coverage/{school.pk}/").status_code
        == 404
    )


def test_distribution(coverage_world):
    w = coverage_world
    d = queries.distribution(w.users["principal"], w.schools["school_a"].org_unit, AUTUMN)
    assert [x["name"] for x in d["dimensions"]] == DIMS
    goal = d["dimensions"][0]
    assert (goal["n"], goal["mean"], goal["sd"], goal["buckets"]) == (2, 85.0, 5.0, [0, 0, 0, 1, 1])
    assert (d["total"]["n"], d["total"]["mean"]) == (2, 85.0)
    assert d["subjects"] == [
        {"subject": "数学", "n": 2, "total": 85.0, "dimensions": [85.0] * 7},
    ]
    city = queries.distribution(w.users["city_admin"], w.units["city"], SPRING)
    assert city["total"]["mean"] == 70.0


def test_rebuild_gives_the_same_tables(coverage_world, rubric):
    w = coverage_world
    services.correct_observation(
        actor=w.users["principal"],
        observation=Observation.objects.filter(status="submitted").order_by("id").first(),
        reason="改日期",
        data={"date": dt.date(2024, 5, 20)},  # moves it to the spring term
    )

    def snapshot():
        return (
            sorted(
                TeacherTermStat.objects.values_list(
                    "teacher_id", "term", "observations", "last_date", "total_sum"
                )
            ),
            sorted(
                UnitTermStat.objects.values_list(
                    "unit_id", "term", "observations", "observed_teachers", "total_sum"
                )
            ),
            sorted(
                DimensionStat.objects.filter(n__gt=0).values_list(
                    "unit_id",
                    "term",
                    "subject_id",
                    "dimension",
                    "n",
                    "total",
                    "b0",
                    "b1",
                    "b2",
                    "b3",
                    "b4",
                )
            ),
        )

    incremental = snapshot()
    stats.rebuild()
    assert snapshot() == incremental
    spring = queries.school_coverage(w.users["principal"], w.schools["school_a"].org_unit, SPRING)
    assert (spring["observed"], spring["observations"]) == (2, 2)


def test_stats_command_and_task(coverage_world):
    from io import StringIO

    from django.core.management import call_command

    before = sorted(UnitTermStat.objects.values_list("unit_id", "term", "observations"))
    out = StringIO()
    call_command("observation_stats", stdout=out)
    assert "单位学期" in out.getvalue()
    assert sorted(UnitTermStat.objects.values_list("unit_id", "term", "observations")) == before
    result = stats.rebuild_stats_task.enqueue()
    assert result.return_value["unit_terms"] == len(before)
