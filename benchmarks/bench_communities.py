"""Benchmarks of communities of practice at city scale (3,368 studios, 315 consortia, 266
principal communities, ~50,000 memberships): the list, the members list, coverage, the
upward report, a studio's workspace, the assessment ranking and the API's lists.

``PAGES`` entries are ``{name, path, user[, grow]}``; a callable ``path`` looks a real id
up in the bench database. Target (DESIGN.md): p95 ≤ 100 ms, a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from functools import cache


@cache
def _busy_studio(db: str = "default") -> int:
    """The county studio with the most activities organised for it."""
    from django.db.models import Count

    from jiaoyan.communities.models import Community

    return (
        Community.objects.using(db)
        .filter(kind="studio", level="county")
        .annotate(n=Count("activities"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )


@cache
def _busy(kind: str, level: str, db: str = "default") -> int:
    """The community of ``kind`` and ``level`` with the most members."""
    from jiaoyan.communities.models import Community

    return (
        Community.objects.using(db)
        .filter(kind=kind, level=level)
        .order_by("-member_count", "pk")
        .values_list("pk", flat=True)
        .first()
    )


YEAR = dt.date.today().year

PAGES: list[dict] = [
    {"name": "communities list", "path": "/communities/", "user": "city_admin", "grow": "size=100"},
    {
        "name": "communities members list",
        "path": "/communities/members/",
        "user": "city_admin",
        "grow": "size=100",
    },
    {"name": "communities coverage (city)", "path": "/communities/coverage/", "user": "city_admin"},
    {
        "name": "communities coverage (district)",
        "path": "/communities/coverage/",
        "user": "district_researcher",
    },
    {
        "name": "communities upward report (city)",
        "path": "/communities/report/",
        "user": "city_admin",
    },
    {
        "name": "communities studio workspace",
        "path": lambda db: f"/communities/{_busy_studio(db)}/",
        "user": "city_admin",
    },
    {
        "name": "communities studio calendar",
        "path": lambda db: f"/communities/{_busy_studio(db)}/calendar/",
        "user": "city_admin",
    },
    {
        "name": "communities studio tasks API",
        "path": lambda db: f"/api/v1/communities/{_busy_studio(db)}/tasks?year={YEAR}",
        "user": "city_admin",
    },
    {
        "name": "communities assessment ranking (county studios)",
        "path": f"/communities/assessment/?year={YEAR}&kind=studio&level=county",
        "user": "city_admin",
    },
    {
        "name": "communities assessment ranking (all studios)",
        "path": f"/communities/assessment/?year={YEAR}&kind=studio",
        "user": "city_admin",
    },
    {
        "name": "communities API list",
        "path": "/api/v1/communities",
        "user": "city_admin",
        "grow": "limit=500",
    },
    {
        "name": "communities API coverage",
        "path": "/api/v1/communities/coverage",
        "user": "city_admin",
    },
    # Added with issue 12's speed work: every other page and list endpoint of the module.
    {
        "name": "communities list (district researcher)",
        "path": "/communities/",
        "user": "district_researcher",
        "grow": "size=100",
    },
    {
        "name": "communities list (teacher)",
        "path": "/communities/",
        "user": "teacher",
        "grow": "size=100",
    },
    {
        "name": "communities members list (district researcher)",
        "path": "/communities/members/",
        "user": "district_researcher",
        "grow": "size=100",
    },
    {
        "name": "communities upward report (district)",
        "path": "/communities/report/",
        "user": "district_researcher",
    },
    {
        "name": "communities city studio workspace",
        "path": lambda db: f"/communities/{_busy('studio', 'city', db)}/",
        "user": "city_admin",
    },
    {
        "name": "communities consortium workspace",
        "path": lambda db: f"/communities/{_busy('consortium', 'county', db)}/",
        "user": "city_admin",
    },
    {
        "name": "communities principal community workspace",
        "path": lambda db: f"/communities/{_busy('principal', 'city', db)}/",
        "user": "city_admin",
    },
    {
        "name": "communities assessment ranking (district researcher)",
        "path": f"/communities/assessment/?year={YEAR}&kind=studio",
        "user": "district_researcher",
    },
    {
        "name": "communities API memberships",
        "path": "/api/v1/memberships",
        "user": "city_admin",
        "grow": "limit=500",
    },
    {
        "name": "communities API assessment (all studios)",
        "path": f"/api/v1/communities/assessment?year={YEAR}&kind=studio&limit=100",
        "user": "city_admin",
        "grow": "limit=500",
    },
    {
        "name": "communities API coverage (district)",
        "path": "/api/v1/communities/coverage",
        "user": "district_researcher",
    },
    {
        "name": "communities API detail",
        "path": lambda db: f"/api/v1/communities/{_busy_studio(db)}",
        "user": "city_admin",
    },
    {
        "name": "communities API tasks",
        "path": lambda db: f"/api/v1/communities/{_busy_studio(db)}/tasks?year={YEAR}",
        "user": "city_admin",
    },
]
