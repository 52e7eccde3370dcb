"""Benchmarks of using the library (resources/use.py) at city scale: "my favourites", a
published resource's page as a reader (its view counted: one INSERT), the use API's lists,
the cost of counting a view (≤ 2 ms each: 1,000 counted in one job, the figure reported
per view; and a resource's page timed with and without counting its view, the difference
reported) and the periodic aggregation of the demo's pending hits."""

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


def page_with_and_without_counting(ctx: BenchContext, repeat: int = 40) -> dict:
    """A reader's page of published resources, alternately with the view counted (a real
    INSERT: a resource not yet counted today) and with counting switched off, in the same
    process, so that the machine's load weighs on both alike; rolled back."""
    import time

    from jiaoyan.core.bench import percentile
    from jiaoyan.resources import use
    from jiaoyan.resources.models import Resource

    client = ctx.client("city_admin")
    ids = list(
        Resource.objects.filter(status="published")
        .order_by("-id")
        .values_list("pk", flat=True)[: 2 * repeat + 4]
    )
    counting = use.count_hit

    def skip(*args, **kwargs) -> None:
        return None

    def timed(pk: int) -> float:
        t0 = time.perf_counter()
        response = client.get(f"/resources/{pk}/")
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed

    with_, without = [], []
    try:
        for pk in ids[:4]:  # warm-up
            timed(pk)
        for i in range(repeat):
            use.count_hit = counting
            with_.append(timed(ids[4 + 2 * i]))
            use.count_hit = skip
            without.append(timed(ids[5 + 2 * i]))
    finally:
        use.count_hit = counting
    p50 = (percentile(with_, 50), percentile(without, 50))
    p95 = (percentile(with_, 95), percentile(without, 95))
    return {
        "pages": len(with_) + len(without),
        "counted_p50_ms": round(p50[0], 2),
        "uncounted_p50_ms": round(p50[1], 2),
        "counted_p95_ms": round(p95[0], 2),
        "uncounted_p95_ms": round(p95[1], 2),
        "added_p50_ms": round(p50[0] - p50[1], 2),
    }


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
    Job("resource page with and without counting the view", page_with_and_without_counting),
    Job("resources aggregate pending hits", aggregate, target_seconds=10),
]
