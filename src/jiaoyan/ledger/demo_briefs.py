"""Demo data: the issued weekly briefs (周简报) of the demo city's institutes for the last
weeks, generated from the demo's activities, ledger items and observations through the
brief services, so the archive and the numbering look like a year in use.

Runs after the ledger items step (order 90). ``jiaoyan demo`` discovers ``demo`` modules
only: ``ledger/demo.py`` imports this module so the step is registered.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiaoyan.core.demo import DemoContext, step
from jiaoyan.orgs.models import OrgUnit

from . import briefs

WEEKS = {"small": (4, 2), "city": (8, 8), "province": (8, 8)}  # (city, each county)


@step(95)
def build_briefs(ctx: DemoContext) -> None:
    accounts = ctx.data.get("accounts", {})
    admin = getattr(accounts.get("city_admin"), "user", None)
    cities = ctx.data.get("cities") or []
    if admin is None or not cities:
        return
    city = cities[0]
    counties = ctx.data.get("counties", {}).get(city.pk, [])
    offices = {
        u.parent_id: u
        for u in OrgUnit.objects.filter(
            parent_id__in=[city.pk, *(c.pk for c in counties)], kind=OrgUnit.Kind.INSTITUTE
        )
    }
    city_weeks, county_weeks = WEEKS.get(ctx.scale.name, (4, 2))
    plan = [(offices.get(city.pk, city), city_weeks)]
    plan += [(offices.get(c.pk, c), county_weeks) for c in counties]
    latest = briefs.last_week(timezone.localtime(ctx.now).date())
    made = 0
    for unit, weeks in plan:
        for back in range(weeks - 1, -1, -1):
            monday = latest - dt.timedelta(days=7 * back)
            brief = briefs.generate_weekly_brief(actor=admin, unit=unit, week_start=monday)
            issued = timezone.make_aware(
                dt.datetime.combine(monday + dt.timedelta(days=8), dt.time(9, 30))
            )
            brief = briefs.issue_brief(actor=admin, brief=brief, issued_at=min(issued, ctx.now))
            # The archive's documents are rendered here rather than left to the worker.
            briefs.store_document(brief.pk, brief.version)
            made += 1
    # This week's brief of the city, still a draft to edit and issue.
    this_week = briefs.monday_of(timezone.localtime(ctx.now).date())
    briefs.generate_weekly_brief(actor=admin, unit=plan[0][0], week_start=this_week)
    ctx.log(f"  周简报：已印发 {made} 期，草稿 1 期")
