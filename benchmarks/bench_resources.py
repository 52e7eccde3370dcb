"""Benchmarks of the resource library (资源库) at city scale — 100,000 resources, about
2,000,000 views counted: the library and "my resources", a resource's page (as its author
and as its unit's manager), the review queue and form, the curriculum page, the
statistics page, and the API's lists. Target: p95 ≤ 100 ms, a fixed number of queries
whatever the rows.

Searches (core.search: jieba tokens, FTS5 / tsvector) over the 100,000, through the
library page and ``GET /api/v1/resources?q=``: a two-character word, a word in traditional
characters, several words, a word the index holds tens of thousands of times, with and
without the filters (kind, subject, stage, unit, honour). The issue's target for search:
p95 ≤ 50 ms.

A page another change adds (the statistics page, the honour filter) is skipped with its
reason while this build has none (``bench.Skip``), not counted as an error."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page, Skip, path_or_skip

SEARCH_MS = 50


def returned_resource(ctx: BenchContext) -> int:
    return ctx.pk("resources.Resource", status="returned")


def published_resource(ctx: BenchContext) -> int:
    return ctx.pk("resources.Resource", status="published")


def assigned_review(ctx: BenchContext) -> int:
    return ctx.pk(
        "resources.Review", status="assigned", reviewer__user__username="district_researcher"
    )


def math(ctx: BenchContext) -> int:
    return ctx.pk("orgs.Subject", name="数学")


def junior(ctx: BenchContext) -> int:
    return ctx.pk("orgs.Stage", code="junior")


def teacher_school(ctx: BenchContext) -> int:
    def find() -> int:
        from jiaoyan.people.models import Person

        return Person.objects.get(user__username="teacher").org_unit_id

    return ctx.once("teacher_school", find)


def busiest_county(ctx: BenchContext) -> int:
    """The county (or city district) whose schools wrote the most resources."""

    def find() -> int:
        from collections import Counter

        from jiaoyan.orgs.models import OrgUnit
        from jiaoyan.resources.models import Resource

        counties = dict(
            OrgUnit.objects.filter(level="county", kind="region").values_list("path", "pk")
        )
        found: Counter[int] = Counter()
        for path in Resource.objects.values_list("org_unit__path", flat=True).iterator():
            county = "/" + "/".join(path.strip("/").split("/")[:3]) + "/"
            if county in counties:
                found[counties[county]] += 1
        return found.most_common(1)[0][0]

    return ctx.once("busiest_county", find)


def honour_filter(ctx: BenchContext) -> str:
    """The library's filter by recommendation level (校优/县优/市优), when it has one."""
    from jiaoyan.resources.filters import ResourceFilter

    for name in ("honour", "level", "honours"):
        if name in ResourceFilter.base_filters:
            return name
    raise Skip("skipped: the library has no filter by recommendation level in this build")


def statistics(query: str = ""):
    return lambda ctx: path_or_skip("resources:statistics", query=query)


def county_statistics(ctx: BenchContext) -> str:
    return path_or_skip("resources:statistics", query=f"unit={busiest_county(ctx)}")


def search(name: str, path, user: str = "city_admin") -> Page:
    return Page(name, path, user=user, target_ms=SEARCH_MS)


PAGES = [
    Page("resource library", "/resources/", user="city_admin", grow="size=100"),
    Page("resource library (teacher)", "/resources/", user="teacher", grow="size=100"),
    Page(
        "resource library filtered",
        lambda c: f"/resources/?subject={math(c)}&stage={junior(c)}&kind=slides",
        user="teacher",
        grow="size=100",
    ),
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
    Page("resource statistics", statistics(), user="city_admin", province=True),
    Page("resource statistics (county)", county_statistics, user="city_admin"),
    Page("resource statistics (researcher)", statistics(), user="district_researcher"),
    # The figures are kept two minutes per scope and period: measured computed too.
    Page("resource statistics (cold)", statistics(), user="city_admin", cold=True),
    Page("resource statistics (county, cold)", county_statistics, user="city_admin", cold=True),
    Page("api resources", "/api/v1/resources?limit=25", user="city_admin", grow="limit=100"),
    # Search: the library page.
    search("resource search", "/resources/?q=函数"),
    search("resource search (teacher)", "/resources/?q=浮力", user="teacher"),
    search("resource search (traditional)", "/resources/?q=課件", user="teacher"),
    search("resource search (traditional 2)", "/resources/?q=勾股定理+教學設計", user="teacher"),
    search("resource search (words)", "/resources/?q=二次函数+大单元+教学设计"),
    search("resource search (common word)", "/resources/?q=教学设计"),
    search("resource search (English)", "/resources/?q=Unit+3+pencil", user="teacher"),
    search("resource search by kind", "/resources/?q=教学设计&kind=lesson_design"),
    search(
        "resource search by subject, stage",
        lambda c: f"/resources/?q=函数&subject={math(c)}&stage={junior(c)}",
        user="teacher",
    ),
    search(
        "resource search by honour",
        lambda c: f"/resources/?q=课件&{honour_filter(c)}=county",
    ),
    # Search: the API (relevance order, the filters as parameters).
    search("api resource search", "/api/v1/resources?q=大单元&limit=25"),
    search("api resource search (traditional)", "/api/v1/resources?q=課件&limit=25", "teacher"),
    search("api resource search (words)", "/api/v1/resources?q=勾股定理+微课&limit=25"),
    search(
        "api resource search filtered",
        lambda c: (
            f"/api/v1/resources?q=函数&kind=micro_lesson&subject={math(c)}"
            f"&stage={junior(c)}&limit=25"
        ),
    ),
    search(
        "api resource search by unit",
        lambda c: f"/api/v1/resources?q=教学设计&org_unit={teacher_school(c)}&limit=25",
        "teacher",
    ),
    Page(
        "api resource reviews",
        "/api/v1/reviews?limit=25",
        user="district_researcher",
        grow="limit=100",
    ),
]
