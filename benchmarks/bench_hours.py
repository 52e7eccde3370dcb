"""Benchmarks of hours at city scale (~55,000 people with a cycle, ~1,000,000 records):
a person's ledger, a district's behind-schedule list (from the cycles' kept progress),
declarations, the API's cycle and declaration lists, and the job rendering 2,000
certificates into one ZIP (target ≤ 60 s, ≤ 500 MB). Pages: p95 ≤ 100 ms, a fixed number
of queries whatever the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from jiaoyan.core.bench import BenchContext, Job, Page


def teacher(ctx: BenchContext) -> int:
    return ctx.person_pk("teacher")


PAGES = [
    Page("hours ledger (own)", "/hours/", user="teacher", grow="size=100"),
    Page(
        "hours ledger of a teacher (principal)",
        lambda c: f"/hours/people/{teacher(c)}/",
        user="principal",
        grow="size=100",
    ),
    Page(
        "hours behind schedule (district)",
        "/hours/behind/",
        user="district_researcher",
        grow="size=100",
    ),
    Page("hours behind schedule (school)", "/hours/behind/", user="principal", grow="size=100"),
    Page("hours behind schedule (city)", "/hours/behind/", user="city_admin", grow="size=100"),
    Page(
        "hours declarations (principal)", "/hours/declarations/", user="principal", grow="size=100"
    ),
    Page("hours declarations (city)", "/hours/declarations/", user="city_admin", grow="size=100"),
    Page("hours rules", "/hours/settings/", user="city_admin"),
    Page("api hours cycle (own)", "/api/v1/hours-cycle", user="teacher"),
    Page(
        "api hours cycles",
        "/api/v1/hours-cycles?limit=25",
        user="district_researcher",
        grow="limit=100",
    ),
    Page(
        "api hours declarations",
        "/api/v1/hours-declarations?limit=25",
        user="city_admin",
        grow="limit=100",
    ),
    Page(
        "api hours records",
        "/api/v1/hours?mine=false&limit=25",
        user="district_researcher",
        grow="limit=100",
    ),
]


def certificates_zip(ctx: BenchContext) -> dict:
    """Issue 2,000 certificates of one activity and render them into a ZIP (rolled back;
    the stored file is deleted)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.storage import default_storage

    from jiaoyan.activities.models import Activity
    from jiaoyan.hours import certificates
    from jiaoyan.people.models import Person

    activity = Activity.objects.order_by("pk").first()
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:2000])
    certificates.issue_for_source(
        activity,
        person_ids=people,
        title="渭南市初中数学骨干教师高级研修班",
        issuer_id=activity.org_unit_id,
        issued_on=dt.date(2026, 6, 30),
        hours_by_person={p: Decimal("24") for p in people},
    )
    source_type = ContentType.objects.get_for_model(Activity).pk
    out = certificates.write_zip(source_type, activity.pk, 0, lambda *a, **k: None)
    default_storage.delete(out["file"])
    return {"certificates": out["count"], "zip_mb": round(out["bytes"] / 2**20, 1)}


JOBS = [Job("hours 2,000 certificates ZIP", certificates_zip, target_seconds=60, target_rss_mb=500)]
