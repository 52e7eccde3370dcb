"""Benchmarks of lesson observation at city scale (~190,000 observations).

``PAGES``: dicts ``{name, path, user}``; ``path`` is a string or a callable taking the
bench context (unused: the callables look ids up with the ORM on the bench database) and
returning the path. ``JOBS``: dicts ``{name, run, target_seconds}``; ``run`` takes the
context and returns a dict of figures. The ``jiaoyan bench`` command (being written)
will read these; until then ``benchmarks/observations_timings.py`` measures them.

Targets (DESIGN.md): p95 ≤ 100 ms for the observation lists, the teacher growth view
and the school coverage view (and every other page here).
"""

from __future__ import annotations


def _pk(model: str, **lookup) -> int:
    from django.apps import apps

    return apps.get_model(model).objects.filter(**lookup).values_list("pk", flat=True).first()


def demo_teacher(_ctx=None) -> int:
    return _pk("people.Person", user__username="teacher")


def demo_school(_ctx=None) -> int:
    return _pk("orgs.OrgUnit", people__user__username="principal")


def county(_ctx=None) -> int:
    return _pk("orgs.OrgUnit", code="610502")


def city(_ctx=None) -> int:
    """The bench city (at province scale, city_admin's of the ten)."""
    from jiaoyan.core.bench import bench_city_path

    return _pk("orgs.OrgUnit", path=bench_city_path())


def observation(_ctx=None) -> int:
    return _pk("observations.Observation", teacher__user__username="teacher", status="submitted")


def st_observation(_ctx=None) -> int:
    return (
        _pk(
            "observations.Observation",
            unit_path__startswith="/",
            status="submitted",
            st_sequence__gt="",
            teacher__user__username="teacher",
        )
        or observation()
    )


def busy_round(_ctx=None) -> int:
    """A round of 临渭区 (the researcher's district)."""
    return _pk("observations.ComparisonRound", org_unit__path__startswith=_path(county()))


def _path(pk: int) -> str:
    return _pk_value("orgs.OrgUnit", "path", pk=pk)


def _pk_value(model: str, field: str, **lookup):
    from django.apps import apps

    return apps.get_model(model).objects.filter(**lookup).values_list(field, flat=True).first()


def busy_activity(_ctx=None) -> int:
    """The activity of 临渭区 in which the most lessons were observed."""
    from django.apps import apps
    from django.db.models import Count

    return (
        apps.get_model("observations.Observation")
        .objects.filter(activity__isnull=False, unit_path__startswith=_path(county()))
        .values("activity_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("activity_id", flat=True)
        .first()
    )


def term_code(_ctx=None) -> str:
    from django.utils import timezone

    from jiaoyan.observations.terms import term_of

    return term_of(timezone.localdate()).code


PAGES = [
    # The observation lists, from the widest scope to a teacher's own.
    {"name": "observations (city admin)", "path": "/observations/", "user": "city_admin"},
    {"name": "observations (researcher)", "path": "/observations/", "user": "district_researcher"},
    {"name": "observations (principal)", "path": "/observations/", "user": "principal"},
    {"name": "observations (teacher)", "path": "/observations/", "user": "teacher"},
    {
        "name": "observations this term, drop-in",
        "path": lambda c: f"/observations/?term={term_code()}&kind=drop_in",
        "user": "city_admin",
    },
    {"name": "observations by total", "path": "/observations/?sort=-total", "user": "city_admin"},
    {"name": "observations page 40", "path": "/observations/?page=40", "user": "city_admin"},
    {
        "name": "observations within county",
        "path": lambda c: f"/observations/?within={county()}",
        "user": "city_admin",
    },
    {
        "name": "observations I made",
        "path": "/observations/?mine=observed",
        "user": "district_researcher",
    },
    {
        "name": "observations of an activity",
        "path": lambda c: f"/observations/?activity={busy_activity()}",
        "user": "city_admin",
    },
    {"name": "api observations", "path": "/api/v1/observations?limit=100", "user": "city_admin"},
    {
        "name": "api observations (researcher)",
        "path": "/api/v1/observations?limit=100&kind=inspection",
        "user": "district_researcher",
    },
    # One observation.
    {
        "name": "observation detail (principal)",
        "path": lambda c: f"/observations/{st_observation()}/",
        "user": "principal",
    },
    {
        "name": "observation detail (teacher)",
        "path": lambda c: f"/observations/{st_observation()}/",
        "user": "teacher",
    },
    {
        "name": "api observation",
        "path": lambda c: f"/api/v1/observations/{st_observation()}",
        "user": "principal",
    },
    # Teacher growth.
    {
        "name": "teacher growth (own)",
        "path": lambda c: f"/observations/growth/{demo_teacher()}/",
        "user": "teacher",
    },
    {
        "name": "teacher growth (principal)",
        "path": lambda c: f"/observations/growth/{demo_teacher()}/",
        "user": "principal",
    },
    # Coverage and distributions.
    {"name": "school coverage", "path": "/observations/coverage/", "user": "principal"},
    {
        "name": "school coverage (researcher)",
        "path": lambda c: f"/observations/coverage/{demo_school()}/",
        "user": "district_researcher",
    },
    {"name": "county coverage", "path": "/observations/coverage/", "user": "district_researcher"},
    {
        "name": "city coverage",
        "path": "/observations/coverage/",
        "user": "city_admin",
        "province": True,
    },
    {
        "name": "city distribution",
        "path": "/observations/analysis/",
        "user": "city_admin",
        "province": True,
    },
    {
        "name": "county distribution",
        "path": "/observations/analysis/",
        "user": "district_researcher",
    },
    # The activity page with its panel of observations (and rounds).
    {
        "name": "activity page with observations (researcher)",
        "path": lambda c: f"/activities/{busy_activity()}/",
        "user": "district_researcher",
    },
    {
        "name": "activity page with observations (city admin)",
        "path": lambda c: f"/activities/{busy_activity()}/",
        "user": "city_admin",
    },
    # Rounds, rubrics, liaison schools.
    {"name": "rounds", "path": "/observations/rounds/", "user": "city_admin"},
    {
        "name": "round comparison",
        "path": lambda c: f"/observations/rounds/{busy_round()}/",
        "user": "district_researcher",
    },
    {"name": "rubrics", "path": "/observations/rubrics/", "user": "principal"},
    {"name": "liaison schools", "path": "/observations/liaisons/", "user": "city_admin"},
    {"name": "new observation form", "path": "/observations/new/", "user": "principal"},
]


def rebuild_stats(_ctx=None) -> dict:
    from jiaoyan.observations import stats

    return stats.rebuild()


def export_county(_ctx=None) -> dict:
    from django.test import Client

    from jiaoyan.people.models import User

    client = Client(HTTP_HOST="localhost")  # the bench runs with DEBUG off: a real host
    client.force_login(User.objects.get(username="district_researcher"))
    response = client.get("/observations/?export=xlsx")
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return {"bytes": len(response.content)}


JOBS = [
    {"name": "rebuild observation statistics", "run": rebuild_stats, "target_seconds": 120},
    {"name": "export county observations xlsx", "run": export_county, "target_seconds": 30},
]
