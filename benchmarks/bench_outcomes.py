"""Benchmarks of outcomes (成果) at city scale (~8,000 outcomes, two selection rounds,
promotion records, the city's point table): the outcomes list and an outcome's page with
its reach; the rounds list, a round's page and its selection table at the city (best
expert score first) and at a county; an expert's scores; the points ranking (persons and
units) and the point table; the overview (by kind, the newest round by level and kind) as the city
and as a county; the API's lists and the points ranking. Target: p95 ≤ 100 ms,
a fixed number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page


def open_round(ctx: BenchContext) -> int:
    return ctx.pk("outcomes.SelectionRound", order_by="-opens_on")


def last_round(ctx: BenchContext) -> int:
    return ctx.pk("outcomes.SelectionRound", order_by="opens_on")


def selected_outcome(ctx: BenchContext) -> int:
    return ctx.pk("outcomes.Outcome", entries__honoured=True, entries__level="city")


PAGES = [
    Page("outcomes", "/outcomes/", user="city_admin", grow="size=100"),
    Page("outcomes (teacher)", "/outcomes/", user="teacher"),
    Page("outcome page", lambda c: f"/outcomes/{selected_outcome(c)}/", user="city_admin"),
    Page("selection rounds", "/outcomes/rounds/", user="teacher"),
    Page(
        "selection round (city)", lambda c: f"/outcomes/rounds/{open_round(c)}/", user="city_admin"
    ),
    Page(
        "selection round (school)", lambda c: f"/outcomes/rounds/{open_round(c)}/", user="principal"
    ),
    Page(
        "selection table (city)",
        lambda c: f"/outcomes/rounds/{open_round(c)}/table/",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "selection table (county)",
        lambda c: f"/outcomes/rounds/{open_round(c)}/table/",
        user="district_researcher",
        grow="size=100",
    ),
    Page(
        "selection table (announced)",
        lambda c: f"/outcomes/rounds/{last_round(c)}/table/",
        user="city_admin",
    ),
    Page("expert scores", "/outcomes/scores/", user="district_researcher"),
    Page("points ranking", "/outcomes/points/", user="city_admin", grow="size=100"),
    Page("points ranking (units)", "/outcomes/points/?tab=units", user="city_admin"),
    Page("points ranking (teacher)", "/outcomes/points/", user="teacher"),
    Page("point table", "/outcomes/points/table/", user="city_admin"),
    Page("outcomes overview", "/outcomes/overview/", user="city_admin"),
    Page("outcomes overview (county)", "/outcomes/overview/", user="district_researcher"),
    Page(
        "outcomes overview (announced round)",
        lambda c: f"/outcomes/overview/?round={last_round(c)}",
        user="city_admin",
    ),
    Page("api outcomes", "/api/v1/outcomes?limit=25", user="city_admin", grow="limit=100"),
    Page(
        "api selection entries",
        "/api/v1/selection-entries?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page("api points", "/api/v1/points?limit=25", user="city_admin", grow="limit=100"),
]
