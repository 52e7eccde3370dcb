"""Benchmarks of admission (准入) at city scale: the rounds and applications lists, a
round's page with its applications' pre-check, an application's page, and the API.
Target: p95 ≤ 100 ms, a fixed number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page, bench_city_path


def a_round(ctx: BenchContext) -> int:
    """The newest round of the city (the province's rounds are out of its accounts' reach)."""
    return ctx.pk(
        "researchers.AdmissionRound",
        order_by="-opens_on",
        org_unit__path__startswith=bench_city_path(),
    )


def an_application(ctx: BenchContext) -> int:
    return ctx.pk(
        "researchers.AdmissionApplication",
        order_by="-created_at",
        round__org_unit__path__startswith=bench_city_path(),
    )


PAGES = [
    Page("admission rounds", "/researchers/admission/", user="city_admin", grow="size=100"),
    Page(
        "admission applications",
        "/researchers/admission/applications/",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "admission round page", lambda c: f"/researchers/admission/{a_round(c)}/", user="city_admin"
    ),
    Page(
        "admission application page",
        lambda c: f"/researchers/admission/applications/{an_application(c)}/",
        user="city_admin",
    ),
    Page(
        "api admission rounds",
        "/api/v1/admission-rounds?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page(
        "api admission applications",
        "/api/v1/admission-applications?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
]
