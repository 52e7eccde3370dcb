"""Outcomes fixtures: an outcome of 临渭区第一初级中学 by its math teacher, a city round
open today (the city bureau runs it), and the city's point table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.outcomes import rounds, services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

TABLE = [
    ("case_selected", "county", 8),
    ("case_selected", "city", 15),
    ("case_selected", "province", 25),
    ("outcome_selected", "county", 5),
    ("outcome_selected", "city", 10),
    ("demonstration", "", 3),
    ("demonstration", "city", 6),
    ("adopted", "", 2),
]


def make_outcome(
    w, *, actor="teacher", unit=None, kind="case", title="分层作业设计的典型案例", **kwargs
):
    return services.create_outcome(
        actor=w.users[actor],
        org_unit=unit or w.schools["school_a"].org_unit,
        kind=kind,
        title=title,
        summary="九年级数学分层作业",
        year=timezone.localdate().year,
        **kwargs,
    )


def make_round(w, **kwargs):
    today = timezone.localdate()
    data = {
        "org_unit": w.units["city_bureau"],
        "title": "渭南市年度典型案例遴选",
        "kinds": ["case", "teaching"],
        "opens_on": today - dt.timedelta(days=1),
        "closes_on": today + dt.timedelta(days=10),
        "school_quota": 2,
        "county_quota": 2,
        "city_quota": 2,
    }
    data.update(kwargs)
    return rounds.create_round(actor=w.users["city_admin"], **data)


def set_table(w, rows=TABLE):
    for code, level, points in rows:
        services.set_point_rule(
            actor=w.users["city_admin"],
            org_unit=w.units["city_bureau"],
            code=code,
            level=level,
            points=points,
        )


@pytest.fixture
def outcome(world):
    return make_outcome(world)


@pytest.fixture
def open_round(world):
    return make_round(world)
