"""Benchmarks of pairing assistance at city scale (~50 pairings): the lists of pairings,
funds and people sent, a pairing page (the school pairing with the most comparable
schools' rows to pool, and the city↔city pairing), the API's lists and a pairing's
figures. Target: p95 ≤ 100 ms, a fixed number of queries whatever the rows."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Page


def school_pairing(ctx: BenchContext) -> int:
    return ctx.pk("pairing.Pairing", level="school", start_date__year=2023)


def city_pairing(ctx: BenchContext) -> int:
    return ctx.pk("pairing.Pairing", level="city")


def county_pairing(ctx: BenchContext) -> int:
    return ctx.pk("pairing.Pairing", level="county")


PAGES = [
    Page("pairings", "/pairing/", user="city_admin", grow="size=100"),
    Page("pairings (principal)", "/pairing/", user="principal", grow="size=100"),
    Page("pairing funds", "/pairing/funds/", user="city_admin", grow="size=100"),
    Page("pairing people sent", "/pairing/people/", user="city_admin", grow="size=100"),
    Page("pairing page school", lambda c: f"/pairing/{school_pairing(c)}/", user="city_admin"),
    Page("pairing page city", lambda c: f"/pairing/{city_pairing(c)}/", user="city_admin"),
    Page("api pairings", "/api/v1/pairings?limit=25", user="city_admin", grow="limit=100"),
    Page(
        "api pairing funds", "/api/v1/pairing-funds?limit=25", user="city_admin", grow="limit=100"
    ),
    Page(
        "api pairing people", "/api/v1/pairing-people?limit=25", user="city_admin", grow="limit=100"
    ),
    Page(
        "api pairing reports",
        "/api/v1/pairing-reports?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page(
        "api pairing joint activities",
        "/api/v1/pairing-activities?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page(
        "api pairing figures",
        lambda c: f"/api/v1/pairings/{school_pairing(c)}/figures",
        user="city_admin",
    ),
    # Added with issue 12's speed work.
    Page(
        "pairings (district researcher)", "/pairing/", user="district_researcher", grow="size=100"
    ),
    Page("pairing funds (principal)", "/pairing/funds/", user="principal", grow="size=100"),
    Page("pairing page county", lambda c: f"/pairing/{county_pairing(c)}/", user="city_admin"),
    Page(
        "api pairing figures county",
        lambda c: f"/api/v1/pairings/{county_pairing(c)}/figures",
        user="city_admin",
    ),
    Page(
        "api pairing figures city",
        lambda c: f"/api/v1/pairings/{city_pairing(c)}/figures",
        user="city_admin",
    ),
    Page(
        "api pairing detail", lambda c: f"/api/v1/pairings/{school_pairing(c)}", user="city_admin"
    ),
]
