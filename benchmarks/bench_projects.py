"""Benchmarks of research projects (课题) at city scale: the project list (the city's and
a teacher's), a project's page, the call with the most applications and its application
table, the call the counties forward (区县推荐, demo step 63) as the city, as the county
that forwards and as a school, the expert's queue, the overview, and the API's lists.
Target: p95 ≤ 100 ms for pages, a fixed number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page


def busy_call(ctx: BenchContext) -> int:
    return ctx.pk("projects.ProjectCall", order_by="-application_count")


def forwarding_call(ctx: BenchContext) -> int:
    return ctx.pk("projects.ProjectCall", forwarding=True, order_by="-opens_on")


def concluded_project(ctx: BenchContext) -> int:
    return ctx.pk("projects.Project", status="concluded")


def ongoing_project(ctx: BenchContext) -> int:
    return ctx.pk("projects.Project", status="ongoing")


PAGES = [
    Page("projects list", "/projects/", user="city_admin", grow="size=100"),
    Page(
        "projects list overdue",
        "/projects/?overdue=true&level=county",
        user="city_admin",
        grow="size=100",
    ),
    Page("projects list (teacher)", "/projects/", user="teacher", grow="size=100"),
    Page(
        "project page concluded",
        lambda c: f"/projects/{concluded_project(c)}/",
        user="city_admin",
    ),
    Page("project page ongoing", lambda c: f"/projects/{ongoing_project(c)}/", user="city_admin"),
    Page("project calls", "/projects/calls/", user="city_admin", grow="size=100"),
    Page(
        "project call applications",
        lambda c: f"/projects/calls/{busy_call(c)}/",
        user="city_admin",
    ),
    # A call the counties forward: the city sees every county's applications and what
    # each forwarded; the county's researcher sees its schools' with their forward buttons.
    Page(
        "project forwarding call (city)",
        lambda c: f"/projects/calls/{forwarding_call(c)}/",
        user="city_admin",
    ),
    Page(
        "project forwarding call (county)",
        lambda c: f"/projects/calls/{forwarding_call(c)}/",
        user="district_researcher",
    ),
    Page(
        "project forwarding call (school)",
        lambda c: f"/projects/calls/{forwarding_call(c)}/",
        user="principal",
    ),
    Page("project reviews (researcher)", "/projects/reviews/", user="district_researcher"),
    Page("projects overview", "/projects/overview/", user="city_admin"),
    Page("api projects", "/api/v1/projects?limit=25", user="city_admin", grow="limit=100"),
    Page(
        "api project calls", "/api/v1/project-calls?limit=25", user="city_admin", grow="limit=100"
    ),
    Page(
        "api project reviews",
        "/api/v1/project-reviews?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
]
