"""What ``jiaoyan bench`` measures for research activities (plans, activities, calendar,
attendance, check-in, stats and their API), on a city-scale demo database.

Each entry of ``PAGES`` is ``{"name", "path", "user"}``: ``path`` is a string or a
callable taking the database alias and returning the path (for pages about one object,
chosen in the demo data); ``user`` is a demo account's username. ``IMPORTS`` entries are
``{"name", "kind", "user", "file"}`` where ``file(db)`` returns ``(bytes, filename)``
for ``jiaoyan.core.sheets.run_import``. ``JOBS`` entries are ``{"name", "user", "run"}``
where ``run(db, user)`` does one piece of background-sized work (its writes are rolled
back by the runner).

``benchmarks/activities_timings.py`` runs the same specs standalone and prints p50/p95.
"""

from __future__ import annotations

from functools import cache

from django.db.models import Max


@cache
def _big_activity(db: str = "default") -> int:
    """A finished county activity with the most participants (detail and attendance)."""
    from jiaoyan.activities.models import Activity
    from jiaoyan.core.bench import bench_city_path

    qs = Activity.objects.using(db).filter(
        status="finished", level="county", org_unit__path__startswith=bench_city_path(db)
    )
    top = qs.aggregate(m=Max("participant_count"))["m"] or 0
    return qs.filter(participant_count=top).values_list("pk", flat=True).first()


@cache
def _teacher_activity(db: str = "default") -> int:
    """An activity ahead that the demo teacher is invited to."""
    from django.utils import timezone

    from jiaoyan.activities.models import Participation

    return (
        Participation.objects.using(db)
        .filter(person__user__username="teacher", activity__starts_at__gte=timezone.now())
        .order_by("activity__starts_at")
        .values_list("activity_id", flat=True)
        .first()
    )


@cache
def _main_venue(db: str = "default") -> int:
    from jiaoyan.activities.models import Venue

    return Venue.objects.using(db).get(activity_id=_teacher_activity(db), is_main=True).pk


@cache
def _city_plan(db: str = "default") -> int:
    from jiaoyan.activities.models import ResearchPlan
    from jiaoyan.core.bench import bench_city_path

    return (
        ResearchPlan.objects.using(db)
        .filter(level="city", org_unit__path__startswith=bench_city_path(db))
        .order_by("-year")
        .values_list("pk", flat=True)
        .first()
    )


def _month(db: str = "default") -> str:
    from django.utils import timezone

    return timezone.localdate().strftime("%Y-%m")


PAGES = [
    {"name": "activities: list (city)", "path": "/activities/", "user": "city_admin"},
    {
        "name": "activities: list filtered by kind and month",
        "path": lambda db: f"/activities/?kind=observation&month={_month(db)}",
        "user": "city_admin",
    },
    {
        "name": "activities: list sorted by participants",
        "path": "/activities/?sort=-participants",
        "user": "city_admin",
    },
    {"name": "activities: list (district)", "path": "/activities/", "user": "district_researcher"},
    {"name": "activities: my list (teacher)", "path": "/activities/?mine=1", "user": "teacher"},
    {
        "name": "activities: calendar month (city)",
        "path": "/activities/calendar/",
        "user": "city_admin",
    },
    {
        "name": "activities: calendar week (city)",
        "path": "/activities/calendar/?view=week",
        "user": "city_admin",
    },
    {
        "name": "activities: calendar list (city)",
        "path": "/activities/calendar/?view=list",
        "user": "city_admin",
    },
    {
        "name": "activities: calendar month (district)",
        "path": "/activities/calendar/",
        "user": "district_researcher",
    },
    {
        "name": "activities: my calendar (teacher)",
        "path": "/activities/calendar/?mine=1",
        "user": "teacher",
    },
    {
        "name": "activities: stats (city)",
        "path": "/activities/stats/",
        "user": "city_admin",
        "province": True,
    },
    {
        "name": "activities: stats (district)",
        "path": "/activities/stats/",
        "user": "district_researcher",
    },
    {
        "name": "activities: detail (largest county activity)",
        "path": lambda db: f"/activities/{_big_activity(db)}/",
        "user": "city_admin",
    },
    {
        "name": "activities: attendance sheet",
        "path": lambda db: f"/activities/{_big_activity(db)}/attendance/",
        "user": "city_admin",
    },
    {
        "name": "activities: detail (invited teacher)",
        "path": lambda db: f"/activities/{_teacher_activity(db)}/",
        "user": "teacher",
    },
    {
        "name": "activities: check-in page (phone)",
        "path": lambda db: f"/activities/{_teacher_activity(db)}/checkin/",
        "user": "teacher",
    },
    {
        "name": "activities: projector (code + QR)",
        "path": lambda db: f"/activities/venues/{_main_venue(db)}/projector/",
        "user": "city_admin",
    },
    {"name": "activities: plans list", "path": "/activities/plans/", "user": "city_admin"},
    {
        "name": "activities: plan with theme coverage",
        "path": lambda db: f"/activities/plans/{_city_plan(db)}/",
        "user": "city_admin",
    },
    {"name": "home (teacher, with activities panel)", "path": "/", "user": "teacher"},
    {"name": "hours: mine (teacher)", "path": "/hours/", "user": "teacher"},
    {"name": "api: activities", "path": "/api/v1/activities?limit=50", "user": "city_admin"},
    {
        "name": "api: activities of a month",
        "path": lambda db: f"/api/v1/activities?month={_month(db)}&limit=100",
        "user": "district_researcher",
    },
    {
        "name": "api: activity",
        "path": lambda db: f"/api/v1/activities/{_big_activity(db)}",
        "user": "city_admin",
    },
    {
        "name": "api: participations of an activity",
        "path": lambda db: f"/api/v1/participations?activity={_big_activity(db)}&limit=100",
        "user": "city_admin",
    },
    {"name": "api: plans", "path": "/api/v1/plans?limit=100", "user": "city_admin"},
    {
        "name": "api: my activities (teacher)",
        "path": "/api/v1/activities?mine=true",
        "user": "teacher",
    },
    {"name": "api: my hours (teacher)", "path": "/api/v1/hours", "user": "teacher"},
]


def _attendance_file(db: str = "default") -> tuple[bytes, str]:
    """The attendance sheet of the largest activity, as exported (imports back unchanged)."""
    from jiaoyan.activities.sheets import AttendanceSheet
    from jiaoyan.core.sheets import export_xlsx

    sheet = AttendanceSheet()
    qs = sheet.export_queryset().filter(activity_id=_big_activity(db))
    return export_xlsx(sheet, qs), "签到表.xlsx"


IMPORTS = [
    {
        "name": "activity attendance sheet (largest activity, re-import)",
        "kind": "activity_attendance",
        "user": "city_admin",
        "file": _attendance_file,
    },
]


def _finish_one(db: str, user) -> None:
    """Close the teacher's coming activity after marking everyone present: credits hours."""
    from jiaoyan.activities import services
    from jiaoyan.activities.models import Activity, Participation

    a = Activity.objects.using(db).get(pk=_teacher_activity(db))
    if a.status == "draft":
        a = services.publish_activity(actor=user, activity=a)
    pending = Participation.objects.filter(activity=a, status__in=["invited", "registered"])
    marks = dict.fromkeys(pending.values_list("pk", flat=True), "present")
    services.mark_attendance(actor=user, activity=a, marks=marks)
    services.finish_activity(actor=user, activity=a)


def _export_year(db: str, user) -> None:
    """The activity list's export (its declared columns), every activity in scope."""
    from django.test import RequestFactory

    from jiaoyan.activities.views import ActivityList

    request = RequestFactory().get("/activities/", {"export": "xlsx"})
    request.user = user
    page = ActivityList(request)
    page.export(page.get_queryset())


JOBS = [
    {
        "name": "finish an activity (mark all, credit hours)",
        "user": "city_admin",
        "run": _finish_one,
    },
    {
        "name": "export a city's year of activities (.xlsx)",
        "user": "city_admin",
        "run": _export_year,
    },
]
