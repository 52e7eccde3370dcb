"""Benchmarks of training (研训) at city scale: the programme list, the roster and the
report of the city's 2,000-person programme, "my trainings", the API's lists, and the
job computing that programme's completion (rule, outcomes, hours credited).
Target: p95 ≤ 100 ms for pages, a fixed number of queries whatever the rows; the
completion of 2,000 participants ≤ 5 s."""

from __future__ import annotations

from jiaoyan.core.bench import BenchContext, Job, Page


def big_programme(ctx: BenchContext) -> int:
    return ctx.pk("training.Programme", order_by="-enrolled_count", status="running")


def closed_programme(ctx: BenchContext) -> int:
    return ctx.pk("training.Programme", status="closed")


def compute_big_completion(ctx: BenchContext) -> dict:
    from jiaoyan.training import services
    from jiaoyan.training.models import Programme

    p = Programme.objects.get(pk=big_programme(ctx))
    out = services.compute_completion(actor=ctx.user("city_admin"), programme=p)
    return {"participants": p.enrolled_count, **out}


PAGES = [
    Page("training programmes", "/training/", user="city_admin", grow="size=100"),
    Page("training programmes (teacher)", "/training/", user="teacher", grow="size=100"),
    Page("training my trainings", "/training/mine/", user="teacher"),
    Page(
        "training roster 2000",
        lambda c: f"/training/{big_programme(c)}/roster/",
        user="city_admin",
        grow="size=100",
    ),
    Page(
        "training report 2000", lambda c: f"/training/{big_programme(c)}/report/", user="city_admin"
    ),
    Page("training page 2000", lambda c: f"/training/{big_programme(c)}/", user="city_admin"),
    Page(
        "training report closed",
        lambda c: f"/training/{closed_programme(c)}/report/",
        user="city_admin",
    ),
    Page("api programmes", "/api/v1/programmes?limit=25", user="city_admin", grow="limit=100"),
    Page(
        "api enrolments",
        lambda c: f"/api/v1/enrolments?programme={big_programme(c)}&limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page(
        "api training attendance",
        "/api/v1/training-attendance?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page("api assignments", "/api/v1/assignments?limit=25", user="city_admin", grow="limit=100"),
]

JOBS = [Job("training completion 2000", compute_big_completion, target_seconds=5)]
