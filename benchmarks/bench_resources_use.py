"""Benchmarks of using the library (resources/use.py) at city scale: "my favourites", a
published resource's page as a reader (its view counted: one INSERT), the use API's lists,
the cost of counting a view (≤ 2 ms each: 1,000 counted in one job, the figure reported
per view) and the periodic aggregation of the demo's pending hits."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Job, Page


def published_resource(ctx: BenchContext) -> int:
    return ctx.pk("resources.Resource", status="published")


def count_views(ctx: BenchContext) -> dict:
    """1,000 views of published resources by distinct readers, each one ``count_hit``."""
    import time

    from django.contrib.auth import get_user_model

    from jiaoyan.resources import use
    from jiaoyan.resources.models import Resource

    resources = list(Resource.objects.filter(status="published").order_by("id")[:50])
    users = list(get_user_model().objects.order_by("id")[:20])
    start = time.perf_counter()
    n = 0
    for r in resources:
        for u in users:
            use.count_hit(u, r)
            n += 1
    seconds = time.perf_counter() - start
    return {"views": n, "ms_per_view": round(1000 * seconds / max(n, 1), 3)}


def aggregate(ctx: BenchContext) -> dict:
    from jiaoyan.resources import use

    return use.aggregate_hits()


PAGES = [
    Page("resources my favourites", "/resources/favourites/", user="teacher", grow="size=100"),
    Page(
        "resource page (reader, view counted)",
        lambda c: f"/resources/{published_resource(c)}/",
        user="city_admin",
    ),
    Page(
        "api resource comments",
        lambda c: f"/api/v1/resources/{published_resource(c)}/comments?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page("api resource favourites", "/api/v1/resource-favourites?limit=25", user="teacher"),
]
JOBS = [
    Job("resources count 1,000 views", count_views, target_seconds=2),
    Job("resources aggregate pending hits", aggregate, target_seconds=10),
]
