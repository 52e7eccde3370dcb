"""Benchmarks of the resource library's recommendation rounds (评优/推荐) at city scale:
the rounds list, a round's page and its lists for each level (a school's candidates and
recommendations, what a county and the city received), and the API's entries. Target:
p95 ≤ 100 ms, a fixed number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page


def demo_round(ctx: BenchContext) -> int:
    return ctx.pk("resources.RecommendationRound")


PAGES = [
    Page("recommendation rounds", "/resources/rounds/", user="teacher"),
    Page("round page (city)", lambda c: f"/resources/rounds/{demo_round(c)}/", user="city_admin"),
    Page(
        "round candidates (school)",
        lambda c: f"/resources/rounds/{demo_round(c)}/candidates/",
        user="principal",
    ),
    Page(
        "round sent (school)",
        lambda c: f"/resources/rounds/{demo_round(c)}/sent/",
        user="principal",
    ),
    Page(
        "round received (county)",
        lambda c: f"/resources/rounds/{demo_round(c)}/received/",
        user="district_researcher",
        grow="size=100",
    ),
    Page(
        "round received (city)",
        lambda c: f"/resources/rounds/{demo_round(c)}/received/",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "api recommendations",
        "/api/v1/recommendations?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
]
