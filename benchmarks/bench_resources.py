"""Benchmarks of the resource library (资源库) at city scale: the library and "my
resources", a resource's page (as its author and as its unit's manager), the review
queue and form, the curriculum page, and the API's lists. The demo has a few hundred
resources for now (the 100,000 come later); the queries must not grow. Searches
(core.search: jieba tokens, FTS5 / tsvector) of the library and the API, with and
without filters, in simplified and traditional characters: the issue's target for
search is p95 ≤ 50 ms over 100,000 resources. Target otherwise: p95 ≤ 100 ms, a fixed
number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page


def returned_resource(ctx: BenchContext) -> int:
    return ctx.pk("resources.Resource", status="returned")


def published_resource(ctx: BenchContext) -> int:
    return ctx.pk("resources.Resource", status="published")


def assigned_review(ctx: BenchContext) -> int:
    return ctx.pk(
        "resources.Review", status="assigned", reviewer__user__username="district_researcher"
    )


PAGES = [
    Page("resource library", "/resources/", user="city_admin", grow="size=100"),
    Page("resource library (teacher)", "/resources/", user="teacher", grow="size=100"),
    Page("resources mine", "/resources/mine/", user="teacher"),
    Page(
        "resource page (author)",
        lambda c: f"/resources/{returned_resource(c)}/",
        user="teacher",
    ),
    Page(
        "resource page (manager)",
        lambda c: f"/resources/{published_resource(c)}/",
        user="city_admin",
    ),
    Page("resource reviews queue", "/resources/reviews/?status=", user="district_researcher"),
    Page(
        "resource review form",
        lambda c: f"/resources/reviews/{assigned_review(c)}/",
        user="district_researcher",
    ),
    Page("resource curriculum", "/resources/curriculum/", user="teacher"),
    Page("api resources", "/api/v1/resources?limit=25", user="city_admin", grow="limit=100"),
    Page("resource search", "/resources/?q=函数", user="city_admin", target_ms=50),
    Page("resource search (traditional)", "/resources/?q=課件", user="teacher", target_ms=50),
    Page(
        "resource search filtered",
        "/resources/?q=教学设计&kind=lesson_design",
        user="city_admin",
        target_ms=50,
    ),
    Page(
        "api resource search",
        "/api/v1/resources?q=大单元&limit=25",
        user="city_admin",
        target_ms=50,
    ),
    Page(
        "api resource reviews",
        "/api/v1/reviews?limit=25",
        user="district_researcher",
        grow="limit=100",
    ),
]
