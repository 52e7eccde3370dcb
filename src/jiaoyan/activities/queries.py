"""Read side of plans and activities. Every function starts from ``visible_to(user)``.

The lists, the calendar and the stats read the counters kept on :class:`Activity`
(participants, checked in, feedback, rating total), never the 600,000 participation rows
of a city's year; a page reads a bounded number of rows whatever the scope.
"""

from __future__ import annotations

import calendar as cal
import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.orgs.models import OrgUnit, Subject

from .models import (
    Activity,
    Feedback,
    Material,
    MonthlyTheme,
    Participation,
    ResearchPlan,
    Venue,
)

Att = Participation.Attendance
PStatus = Participation.Status


def visible_activities(user) -> QuerySet[Activity]:
    return Activity.objects.visible_to(user)


def for_list(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.select_related("org_unit", "subject", "stage")


def my_person_id(user) -> int | None:
    person = getattr(user, "person", None)
    return person.pk if person is not None else None


def my_participation(user, activity: Activity) -> Participation | None:
    pid = my_person_id(user)
    if pid is None:
        return None
    return (
        Participation.objects.filter(activity=activity, person_id=pid)
        .select_related("venue")
        .first()
    )


def my_feedback(user, activity: Activity) -> Feedback | None:
    pid = my_person_id(user)
    if pid is None:
        return None
    return Feedback.objects.filter(activity=activity, person_id=pid).first()


def venues_with_counts(activity: Activity) -> list[dict[str, Any]]:
    """Each venue with invited / registered / declined / checked-in / absent counts."""
    venues = list(activity.venues.select_related("unit"))
    rows = (
        Participation.objects.filter(activity=activity)
        .values("venue_id", "status", "attendance")
        .annotate(n=Count("id"))
    )
    counts: dict[int | None, Counter] = defaultdict(Counter)
    for r in rows:
        c = counts[r["venue_id"]]
        c[r["status"]] += r["n"]
        if r["status"] != PStatus.DECLINED:
            c["active"] += r["n"]
        if r["attendance"] in (Att.PRESENT, Att.LATE):
            c["checked_in"] += r["n"]
        if r["attendance"] == Att.LATE:
            c["late"] += r["n"]
        if r["attendance"] in (Att.ABSENT, Att.EXCUSED):
            c[r["attendance"]] += r["n"]
    result = []
    for v in venues:
        c = counts.get(v.pk, Counter())
        result.append(
            {
                "venue": v,
                "invited": c[PStatus.INVITED],
                "registered": c[PStatus.REGISTERED],
                "declined": c[PStatus.DECLINED],
                "active": c["active"],
                "checked_in": c["checked_in"],
                "late": c["late"],
                "absent": c[Att.ABSENT],
                "excused": c[Att.EXCUSED],
                "not_yet": c["active"] - c["checked_in"] - c[Att.ABSENT] - c[Att.EXCUSED],
                "seats_left": (v.capacity - c["active"]) if v.capacity is not None else None,
            }
        )
    return result


def participants(activity: Activity, venue: Venue | None = None) -> QuerySet[Participation]:
    qs = Participation.objects.filter(activity=activity).select_related(
        "person", "person__org_unit", "venue"
    )
    if venue is not None:
        qs = qs.filter(venue=venue)
    return qs.order_by("venue_id", "person__org_unit__path", "person__staff_no")


def feedback_summary(activity: Activity, limit: int = 50) -> dict[str, Any]:
    dist = dict(
        Feedback.objects.filter(activity=activity)
        .values("rating")
        .annotate(n=Count("id"))
        .values_list("rating", "n")
    )
    comments = list(
        Feedback.objects.filter(activity=activity)
        .exclude(comment="")
        .select_related("person")
        .order_by("-created_at")[:limit]
    )
    total = sum(dist.values())
    return {
        "distribution": [{"rating": r, "count": dist.get(r, 0)} for r in range(1, 6)],
        "count": total,
        "average": round(sum(r * n for r, n in dist.items()) / total, 1) if total else None,
        "comments": comments,
    }


def materials(activity: Activity) -> QuerySet[Material]:
    return activity.materials.order_by("phase", "id")


# --- calendar ---------------------------------------------------------------------------

PER_DAY_MONTH = 3
PER_DAY_WEEK = 12


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.min, tzinfo=tz),
    )


def calendar_items(
    user, start: dt.date, end: dt.date, *, mine: bool = False, community: Any = None
) -> QuerySet:
    """Activities the user sees starting in [start, end), not cancelled drafts; with
    ``community``, only those it organises (a community's workspace calendar)."""
    lo, hi = _day_bounds(start, end)
    qs = visible_activities(user).filter(starts_at__gte=lo, starts_at__lt=hi)
    if community is not None:
        qs = qs.filter(community=community)
    if mine:
        pid = my_person_id(user)
        qs = qs.filter(
            pk__in=Participation.objects.filter(
                person_id=pid, status__in=[PStatus.INVITED, PStatus.REGISTERED]
            ).values("activity_id")
        )
    return qs.exclude(status=Activity.Status.DRAFT).order_by("starts_at", "id")


def month_grid(
    user, year: int, month: int, *, mine: bool = False, community: Any = None
) -> dict[str, Any]:
    """Weeks of the month (Monday first), each day with up to three activities and the
    number of the others. Two queries whatever the scope: the (id, time) of every
    activity of the month, read from a covering index, then the titles of the few shown."""
    first = dt.date(year, month, 1)
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(year, month)
    start, end = weeks[0][0], weeks[-1][-1] + dt.timedelta(days=1)
    shown: dict[dt.date, list[int]] = defaultdict(list)
    counts: Counter = Counter()
    items = calendar_items(user, start, end, mine=mine, community=community)
    for pk, starts in items.values_list("pk", "starts_at"):
        day = timezone.localtime(starts).date()
        counts[day] += 1
        if len(shown[day]) < PER_DAY_MONTH:
            shown[day].append(pk)
    wanted = [pk for ids in shown.values() for pk in ids]
    rows = {
        r[0]: {"pk": r[0], "title": r[1], "starts_at": r[2], "status": r[3], "kind": r[4]}
        for r in Activity.objects.filter(pk__in=wanted).values_list(
            "pk", "title", "starts_at", "status", "kind"
        )
    }
    today = timezone.localdate()
    return {
        "first": first,
        "weeks": [
            [
                {
                    "date": d,
                    "in_month": d.month == month,
                    "today": d == today,
                    "items": [rows[pk] for pk in shown.get(d, []) if pk in rows],
                    "more": max(0, counts[d] - PER_DAY_MONTH),
                    "count": counts[d],
                }
                for d in week
            ]
            for week in weeks
        ],
        "total": sum(counts.values()),
    }


def week_days(user, monday: dt.date, *, mine: bool = False) -> list[dict[str, Any]]:
    end = monday + dt.timedelta(days=7)
    shown: dict[dt.date, list[int]] = defaultdict(list)
    counts: Counter = Counter()
    for pk, starts in calendar_items(user, monday, end, mine=mine).values_list("pk", "starts_at"):
        day = timezone.localtime(starts).date()
        counts[day] += 1
        if len(shown[day]) < PER_DAY_WEEK:
            shown[day].append(pk)
    wanted = [pk for ids in shown.values() for pk in ids]
    objs = {a.pk: a for a in for_list(Activity.objects.filter(pk__in=wanted))}
    today = timezone.localdate()
    days = []
    for i in range(7):
        d = monday + dt.timedelta(days=i)
        days.append(
            {
                "date": d,
                "today": d == today,
                "items": [objs[pk] for pk in shown.get(d, []) if pk in objs],
                "more": max(0, counts[d] - PER_DAY_WEEK),
            }
        )
    return days


# --- stats ------------------------------------------------------------------------------


STATS_SECONDS = 120


def stats(user, *, root: OrgUnit | None, year: int, filters: dict | None = None) -> dict:
    """Activities of the year in the user's scope (under ``root``): per child unit of the
    root, by kind, by subject, by month.

    One query reads one narrow row per activity from a covering index (a city's year is
    about 21,000 rows, some 20 ms); the roll-up is done in memory. The result is kept for
    ``STATS_SECONDS`` per (root, year, filters) when the root lies inside the user's own
    role scope — then every user who may ask sees exactly the same figures — so a
    dashboard opened by many people in a meeting costs the database once.
    """
    from django.core.cache import cache

    from jiaoyan.core.scope import scope_paths

    shareable = root is not None and (
        user.is_superuser or any(root.path.startswith(p) for p in scope_paths(user))
    )
    if not shareable:
        return _stats(user, root=root, year=year, filters=filters)
    wanted = ",".join(f"{k}={v}" for k, v in sorted((filters or {}).items()) if v)
    key = f"activities:stats:{root.pk}:{year}:{wanted}"
    data = cache.get(key)
    if data is None:
        data = _stats(user, root=root, year=year, filters=filters)
        cache.set(key, data, STATS_SECONDS)
    return data


def _stats(user, *, root: OrgUnit | None, year: int, filters: dict | None = None) -> dict:
    qs = visible_activities(user).filter(
        start_month__gte=year * 100 + 1, start_month__lte=year * 100 + 12
    )
    qs = qs.exclude(status=Activity.Status.CANCELLED)
    if root is not None:
        qs = qs.filter(org_unit__path__under=root.path)
    for key, value in (filters or {}).items():
        if value:
            qs = qs.filter(**{key: value})
    rows = list(
        qs.order_by().values_list(
            "org_unit_id",
            "kind",
            "subject_id",
            "start_month",
            "checked_in_count",
            "feedback_count",
            "rating_total",
            "status",
        )
    )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    by_kind = Counter(cols[1])
    by_subject = Counter(cols[2])
    by_month = Counter(m % 100 for m in cols[3])
    finished = Activity.Status.FINISHED
    per_unit: dict[int, list[int]] = {}
    for unit_id, checked_in, fb, rating, status in zip(
        cols[0], cols[4], cols[5], cols[6], cols[7], strict=True
    ):
        a = per_unit.get(unit_id)
        if a is None:
            per_unit[unit_id] = a = [0, 0, 0, 0, 0]
        a[0] += 1
        a[1] += checked_in
        a[2] += fb
        a[3] += rating
        a[4] += status == finished
    units: dict[int, Counter] = defaultdict(Counter)
    if root is not None:
        depth = root.path.count("/")
        paths = dict(OrgUnit.objects.filter(pk__in=list(per_unit)).values_list("pk", "path"))
        for unit_id, (n, checked_in, fb, rating, done) in per_unit.items():
            parts = paths.get(unit_id, "").split("/")
            child = int(parts[depth]) if len(parts) > depth + 1 and parts[depth] else root.pk
            c = units[child]
            c["activities"] += n
            c["participants"] += checked_in
            c["feedback"] += fb
            c["rating"] += rating
            c["finished"] += done
    total_fb, total_rating = sum(cols[5]), sum(cols[6])
    names = dict(
        Subject.objects.filter(pk__in=[k for k in by_subject if k]).values_list("pk", "name")
    )
    unit_rows = []
    if units:
        unit_objs = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(units))}
        for uid, c in units.items():
            u = unit_objs.get(uid)
            if u is None:
                continue
            unit_rows.append(
                {
                    "unit": u,
                    "activities": c["activities"],
                    "finished": c["finished"],
                    "participants": c["participants"],
                    "feedback": c["feedback"],
                    "average_rating": round(c["rating"] / c["feedback"], 2)
                    if c["feedback"]
                    else None,
                    "is_root": uid == root.pk,
                }
            )
        unit_rows.sort(key=lambda r: (not r["is_root"], r["unit"].kind != "region", r["unit"].path))
    kinds = dict(Activity.Kind.choices)
    return {
        "total": len(rows),
        "participants": sum(cols[4]),
        "feedback": total_fb,
        "average_rating": round(total_rating / total_fb, 2) if total_fb else None,
        "by_kind": [
            {"key": k, "name": str(kinds[k]), "value": n}
            for k, n in sorted(by_kind.items(), key=lambda kv: -kv[1])
        ],
        "by_subject": [
            {"key": k, "name": names.get(k, "—") if k else str(_("Cross-subject")), "value": n}
            for k, n in sorted(by_subject.items(), key=lambda kv: -kv[1])
        ],
        "by_month": [by_month.get(m, 0) for m in range(1, 13)],
        "units": unit_rows,
    }


def stats_roots(user) -> list[OrgUnit]:
    """Regions the user may look at in stats: their top units and the regions below."""
    return list(
        OrgUnit.objects.visible_to(user)
        .filter(kind=OrgUnit.Kind.REGION)
        .exclude(level=OrgUnit.Level.TOWN)
        .order_by("path")[:200]
    )


# --- plans ------------------------------------------------------------------------------


def visible_plans(user) -> QuerySet[ResearchPlan]:
    return ResearchPlan.objects.visible_to(user).select_related("org_unit", "subject", "stage")


def theme_coverage(user, plan: ResearchPlan) -> list[dict[str, Any]]:
    """Each theme of the plan with the number of (visible, not cancelled) activities tied
    to it: the plan page shows which themes are covered and which are still empty."""
    themes = list(plan.themes.select_related("subject", "stage").order_by("month", "id"))
    counts = dict(
        visible_activities(user)
        .filter(theme__plan=plan)
        .exclude(status=Activity.Status.CANCELLED)
        .values("theme_id")
        .annotate(n=Count("id"))
        .values_list("theme_id", "n")
    )
    return [{"theme": t, "activities": counts.get(t.pk, 0)} for t in themes]


def themes_for_choice(user, year: int | None = None) -> QuerySet[MonthlyTheme]:
    qs = MonthlyTheme.objects.visible_to(user).select_related("plan", "plan__org_unit")
    if year:
        qs = qs.filter(plan__year=year)
    return qs.order_by("-plan__year", "plan__org_unit__path", "month")


# --- home -------------------------------------------------------------------------------


def upcoming_for(user, limit: int = 6) -> list[Participation]:
    """The user's own coming activities (invited or registered), soonest first."""
    pid = my_person_id(user)
    if pid is None:
        return []
    since = timezone.now() - dt.timedelta(hours=12)
    return list(
        Participation.objects.filter(
            person_id=pid,
            status__in=[PStatus.INVITED, PStatus.REGISTERED],
            activity__starts_at__gte=since,
            activity__status__in=[Activity.Status.PUBLISHED, Activity.Status.IN_PROGRESS],
        )
        .select_related("activity", "activity__org_unit", "venue")
        .order_by("activity__starts_at")[:limit]
    )


def awaiting_feedback(user, limit: int = 3) -> list[Participation]:
    pid = my_person_id(user)
    if pid is None:
        return []
    since = timezone.now() - dt.timedelta(days=30)
    return list(
        Participation.objects.filter(
            person_id=pid,
            attendance__in=[Att.PRESENT, Att.LATE],
            activity__status=Activity.Status.FINISHED,
            activity__starts_at__gte=since,
        )
        .exclude(activity__feedback__person_id=pid)
        .select_related("activity")
        .order_by("-activity__starts_at")[:limit]
    )


def open_for_registration(user, limit: int = 3) -> list[Activity]:
    """Open-registration activities shared with the user that they have not joined."""
    from jiaoyan.core.scope import granted_ids

    pid = my_person_id(user)
    if pid is None:
        return []
    return list(
        Activity.objects.filter(
            pk__in=granted_ids(user, Activity),
            registration=Activity.Registration.OPEN,
            status=Activity.Status.PUBLISHED,
            starts_at__gte=timezone.now(),
        )
        .exclude(participations__person_id=pid)
        .select_related("org_unit")
        .order_by("starts_at")[:limit]
    )
