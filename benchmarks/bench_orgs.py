"""Benchmarks of the org tree and schools: tree, unit list and details, school list with
its filters, school detail, their API endpoints, and the schools export."""

from jiaoyan.core.bench import BenchContext, Job, Page


def city(ctx: BenchContext) -> int:
    return ctx.pk("orgs.OrgUnit", level="city", kind="region")


def county(ctx: BenchContext) -> int:
    """临渭区, the demo district (the researcher's, principal's and teacher's)."""
    return ctx.pk("orgs.OrgUnit", code="610502")


def demo_school(ctx: BenchContext) -> int:
    return ctx.pk("orgs.OrgUnit", people__user__username="principal")


def stage(ctx: BenchContext, code: str) -> int:
    return ctx.pk("orgs.Stage", code=code)


PAGES = [
    Page("tree", "/orgs/", user="city_admin"),
    Page("tree", "/orgs/", user="teacher"),
    Page("units", "/orgs/units/", user="city_admin", grow="size=100"),
    Page("units filtered", "/orgs/units/?level=town&q=镇", user="city_admin", grow="size=100"),
    Page("units sorted", "/orgs/units/?sort=-name", user="city_admin", grow="size=100"),
    Page("unit detail (city)", lambda c: f"/orgs/units/{city(c)}/", user="city_admin"),
    Page("unit detail (county)", lambda c: f"/orgs/units/{county(c)}/", user="city_admin"),
    Page(
        "unit detail (county)",
        lambda c: f"/orgs/units/{county(c)}/",
        user="district_researcher",
    ),
    Page("unit children (city)", lambda c: f"/orgs/units/{city(c)}/children/", user="city_admin"),
    Page(
        "unit children (county)", lambda c: f"/orgs/units/{county(c)}/children/", user="city_admin"
    ),
    Page("schools", "/orgs/schools/", user="city_admin", grow="size=100"),
    Page(
        "schools within county",
        lambda c: f"/orgs/schools/?within={county(c)}",
        user="city_admin",
        grow="size=100",
    ),
    Page("schools by kind", "/orgs/schools/?kind=primary", user="city_admin", grow="size=100"),
    Page(
        "schools by stage",
        lambda c: f"/orgs/schools/?stage={stage(c, 'junior')}",
        user="city_admin",
        grow="size=100",
    ),
    Page("schools by location", "/orgs/schools/?location=rural", user="city_admin"),
    Page("schools by students", "/orgs/schools/?sort=-students", user="city_admin"),
    Page("schools page 20", "/orgs/schools/?page=20", user="city_admin"),
    Page("schools search", "/orgs/schools/?q=第一", user="city_admin"),
    Page("schools", "/orgs/schools/", user="district_researcher", grow="size=100"),
    Page("school detail", lambda c: f"/orgs/schools/{demo_school(c)}/", user="city_admin"),
    Page("school detail", lambda c: f"/orgs/schools/{demo_school(c)}/", user="principal"),
    Page("api org-units", "/api/v1/org-units?limit=100", user="city_admin", grow="limit=500"),
    Page("api org-units by level", "/api/v1/org-units?level=town&limit=100", user="city_admin"),
    Page("api org-unit", lambda c: f"/api/v1/org-units/{county(c)}", user="city_admin"),
    Page("api schools", "/api/v1/schools?limit=100", user="city_admin", grow="limit=500"),
    Page(
        "api schools filtered",
        lambda c: f"/api/v1/schools?within={county(c)}&kind=primary&limit=100",
        user="city_admin",
    ),
    Page("api schools by stage", "/api/v1/schools?stage=junior&limit=100", user="city_admin"),
    Page("api schools offset", "/api/v1/schools?limit=100&offset=1500", user="city_admin"),
    Page("api school", lambda c: f"/api/v1/schools/{demo_school(c)}", user="city_admin"),
]


def export_schools(ctx: BenchContext) -> dict:
    response = ctx.client("city_admin").get("/orgs/schools/?export=xlsx")
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return {"bytes": len(response.content)}


JOBS = [Job("export schools xlsx", export_schools, target_seconds=15)]
