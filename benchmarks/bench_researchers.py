"""Benchmarks of the researchers app at city scale: the list of researchers, a busy
researcher's profile and work record for a year (and its .xlsx), the city's and a
district's liaison coverage pages, the residency visits list, the appraisal table (and
its .xlsx), an appraisal, a scheme, the self-reviews' distribution, and the API.
Target: p95 ≤ 100 ms, a fixed number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page


def busy_profile(ctx: BenchContext) -> int:
    from jiaoyan.researchers.models import ResearcherProfile

    key = "researchers:busy"
    if key not in ctx.cache:
        p = ResearcherProfile.objects.filter(person__user__username="district_researcher").first()
        ctx.cache[key] = p.pk if p else ctx.pk("researchers.ResearcherProfile")
    return ctx.cache[key]


def _year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


def an_appraisal(ctx: BenchContext) -> int:
    """The busy researcher's (a city's bureau appraises her: the demo city admin's)."""
    return ctx.pk("researchers.Appraisal", profile_id=busy_profile(ctx))


def a_scheme(ctx: BenchContext) -> int:
    return ctx.pk("researchers.AppraisalScheme", appraisals__profile_id=busy_profile(ctx))


def a_residency(ctx: BenchContext) -> int:
    return ctx.pk("researchers.Residency", order_by="-start_date")


PAGES = [
    Page("researchers list", "/researchers/", user="city_admin", grow="size=100"),
    Page("researcher profile", lambda c: f"/researchers/{busy_profile(c)}/", user="city_admin"),
    Page(
        "researcher work record year",
        lambda c: f"/researchers/{busy_profile(c)}/record/?year={_year()}",
        user="district_researcher",
    ),
    Page(
        "researcher work record xlsx",
        lambda c: f"/researchers/{busy_profile(c)}/record/?year={_year()}&export=xlsx",
        user="district_researcher",
    ),
    Page("liaison coverage city", "/researchers/coverage/", user="city_admin"),
    Page("liaison coverage district", "/researchers/coverage/", user="district_researcher"),
    Page(
        "residency page", lambda c: f"/researchers/residencies/{a_residency(c)}/", user="city_admin"
    ),
    Page("residency visits", "/researchers/visits/", user="city_admin", grow="size=100"),
    Page("api researchers", "/api/v1/researchers?limit=25", user="city_admin", grow="limit=100"),
    Page("api residencies", "/api/v1/residencies?limit=25", user="city_admin", grow="limit=100"),
    Page(
        "api work record",
        lambda c: f"/api/v1/researchers/{busy_profile(c)}/work-record?year={_year()}",
        user="district_researcher",
    ),
    # the annual appraisal (年度考核) and the self-review (专业标准自评)
    Page("appraisal table", "/researchers/appraisal/", user="city_admin", grow="size=100"),
    Page(
        "appraisal table year",
        lambda c: f"/researchers/appraisal/?year={_year() - 1}",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "appraisal table xlsx",
        lambda c: f"/researchers/appraisal/?year={_year() - 1}&export=xlsx",
        user="city_admin",
    ),
    Page(
        "appraisal page", lambda c: f"/researchers/appraisal/{an_appraisal(c)}/", user="city_admin"
    ),
    Page(
        "appraisal scheme",
        lambda c: f"/researchers/appraisal/schemes/{a_scheme(c)}/",
        user="city_admin",
    ),
    Page(
        "self-review distribution",
        lambda c: f"/researchers/appraisal/self-reviews/?year={_year() - 1}",
        user="city_admin",
    ),
    Page("api appraisals", "/api/v1/appraisals?limit=25", user="city_admin", grow="limit=100"),
    Page("api self-reviews", "/api/v1/self-reviews?limit=25", user="city_admin", grow="limit=100"),
]
