"""Benchmarks of the ledger's briefs and periodic reports (issue 5), in the format of
benchmarks/README.md: generating and issuing the city's weekly brief (figures, chart,
.docx; ≤ 3 s at city scale), and the brief and report pages (p95 ≤ 100 ms).

The pages and jobs of the ledger items (boards, supervision, import, API) are in
``bench_ledger.py``.
"""

from __future__ import annotations

from jiaoyan.core.bench import Job, Page, bench_city_path


def city(ctx) -> int:
    """The bench city (at province scale, city_admin's of the ten)."""
    return ctx.pk("orgs.OrgUnit", path=ctx.once("bench-city", bench_city_path))


def district(ctx) -> int:
    """The region of the district researcher's institute."""

    def find() -> int:
        from jiaoyan.people.models import Person

        person = Person.objects.select_related("org_unit").get(user__username="district_researcher")
        return person.org_unit.scope_root.pk

    return ctx.once("ledger-briefs-district", find)


def issued_brief(ctx) -> int:
    return ctx.pk("ledger.Brief", state="issued", order_by="-period_start")


def draft_brief(ctx) -> int:
    return ctx.pk("ledger.Brief", state="draft", order_by="-period_start")


def draft_brief_prepared(ctx) -> int:
    """The draft brief, its .docx asked for first (the download page's POST: a GET
    starts nothing)."""
    from jiaoyan.ledger import briefs
    from jiaoyan.ledger.models import Brief

    brief = Brief.objects.select_related("document_job").get(pk=draft_brief(ctx))
    briefs.request_document(brief, actor=ctx.user("city_admin"))
    return brief.pk


def generate_city_brief(ctx) -> dict:
    """The city's weekly brief of last week, as the city admin makes it: figures, draft,
    issue (number, chart, .docx stored). Rolled back afterwards."""
    from jiaoyan.ledger import briefs
    from jiaoyan.orgs.models import OrgUnit

    user = ctx.user("city_admin")
    unit = OrgUnit.objects.get(pk=city(ctx))
    brief = briefs.generate_weekly_brief(actor=user, unit=unit, week_start=briefs.last_week())
    brief = briefs.issue_brief(actor=user, brief=brief)
    # What the task worker then does: render and store the .docx (counted in the timing).
    briefs.store_document(brief.pk, brief.version)
    brief.refresh_from_db()
    f = brief.content["figures"]
    return {
        "activities": f["activities"]["total"],
        "done": f["ledger"]["done"],
        "overdue": f["ledger"]["overdue"],
        "observations": f["observations"]["total"],
        "docx_bytes": brief.docx.size,
    }


def city_figures(ctx) -> dict:
    """The figures alone, for a month-long window's worth of weeks (4 weeks in a row)."""
    import datetime as dt

    from jiaoyan.ledger import briefs
    from jiaoyan.orgs.models import OrgUnit

    user = ctx.user("city_admin")
    unit = OrgUnit.objects.get(pk=city(ctx))
    monday = briefs.last_week()
    for back in range(4):
        briefs.weekly_figures(user, unit, monday - dt.timedelta(days=7 * back))
    return {"weeks": 4}


PAGES = [
    Page("ledger briefs list", "/ledger/briefs/", user="city_admin"),
    Page("ledger briefs list", "/ledger/briefs/", user="district_researcher"),
    Page("ledger brief issued", lambda c: f"/ledger/briefs/{issued_brief(c)}/", user="city_admin"),
    Page("ledger brief draft", lambda c: f"/ledger/briefs/{draft_brief(c)}/", user="city_admin"),
    Page(
        "ledger brief docx issued",
        lambda c: f"/ledger/briefs/{issued_brief(c)}/docx/",
        user="city_admin",
    ),
    Page(
        "ledger brief docx draft",
        lambda c: f"/ledger/briefs/{draft_brief_prepared(c)}/docx/",
        user="city_admin",
        target_ms=500,
    ),
    Page(
        "ledger monthly supervision city",
        "/ledger/reports/monthly/",
        user="city_admin",
        province=True,
    ),
    Page(
        "ledger monthly supervision district",
        lambda c: f"/ledger/reports/monthly/?unit={district(c)}",
        user="district_researcher",
    ),
    Page(
        "ledger quarterly assessment city",
        "/ledger/reports/quarterly/",
        user="city_admin",
        province=True,
    ),
    Page(
        "ledger quarterly assessment district",
        lambda c: f"/ledger/reports/quarterly/?unit={district(c)}",
        user="district_researcher",
    ),
    Page("ledger quarterly assessment", "/ledger/reports/quarterly/", user="principal"),
]

JOBS = [
    Job("ledger generate city weekly brief", generate_city_brief, target_seconds=3),
    Job("ledger city brief figures × 4 weeks", city_figures, target_seconds=3),
]
