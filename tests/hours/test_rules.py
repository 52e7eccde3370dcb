"""Credit rules with exact numbers: caps, conversion to credits, the nearest bureau's
policy, and the behind-schedule figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import time_machine

from jiaoyan.activities.models import Activity
from jiaoyan.hours import rules, services
from jiaoyan.hours.models import HoursCycle, HoursRecord
from tests.hours.conftest import many_records

EXT, ACT = HoursRecord.Kind.EXTERNAL, HoursRecord.Kind.ACTIVITY


def test_caps_count_records_in_date_order_up_to_the_yearly_cap():
    rules_ = {
        "external_yearly_cap": "20",
        "categories": {
            "7": {"code": "ZZ", "name": "自主研修", "yearly_cap": "12", "minimum": None}
        },
    }
    rows = [
        (dt.date(2024, 2, 1), D("15"), EXT, None),  # 15 of the 20 external hours
        (dt.date(2024, 3, 1), D("8"), EXT, 7),  # 5 left under the external cap
        (dt.date(2024, 4, 1), D("10"), ACT, 7),  # category: 12 - 5 = 7 left
        (dt.date(2024, 5, 1), D("6"), ACT, None),  # uncapped
        (dt.date(2025, 1, 5), D("30"), EXT, None),  # a new year: 20 of 30
    ]
    out = rules.count(rows, rules_)
    assert out.credited == D("69")
    assert out.earned == D("15") + D("5") + D("7") + D("6") + D("20") == D("53")
    assert out.by_category == {"": D("41"), "7": D("12")}
    assert out.by_year == {"2024": D("33"), "2025": D("20")}


def test_credits_convert_at_the_cycles_rate(world):
    teacher = world.people["teacher"]
    with time_machine.travel(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), tick=False):
        services.set_policy(
            actor=world.users["city_admin"],
            org_unit=world.units["city_bureau"],
            cycle_years=5,
            first_cycle_year=2024,
            required_hours="360",
            hours_per_credit="10",
            external_yearly_cap="40",
        )
        many_records(teacher, 4, year=2025)  # 4 × 1.5 = 6 hours
        services.refresh_cycles([teacher.pk])
        cycle = HoursCycle.objects.get(person=teacher, is_current=True)
        p = rules.progress(cycle, dt.date(2026, 7, 1))
    assert (cycle.start_year, cycle.end_year) == (2024, 2028)
    assert cycle.policy_unit_id == world.units["city_bureau"].pk
    assert p.earned == D("6.0") and p.credits == D("0.6")
    assert p.required == D("360") and p.required_credits == D("36.0")
    assert p.years_left == 3  # 2026, 2027, 2028
    assert cycle.rules["external_yearly_cap"] == "40.0"


def test_the_nearest_bureau_above_decides(world):
    settings = rules.Settings()
    school_path = world.schools["school_a"].org_unit.path
    assert settings.policy(school_path) == rules.DEFAULT
    services.set_policy(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        cycle_years=5,
        first_cycle_year=2024,
        required_hours="360",
        hours_per_credit="10",
    )
    services.set_policy(
        actor=world.users["outsider"],
        org_unit=world.units["huazhou_bureau"],
        cycle_years=3,
        first_cycle_year=2025,
        required_hours="240",
        hours_per_credit="8",
    )
    settings = rules.Settings()
    assert settings.policy(school_path).required_hours == D("360")  # 临渭: the city's
    huazhou = settings.policy(world.schools["school_c"].org_unit.path)
    assert (huazhou.required_hours, huazhou.cycle_years, huazhou.cycle_start(2026)) == (
        D("240"),
        3,
        2025,
    )
    assert huazhou.unit_id == world.units["huazhou_bureau"].pk


def test_the_behind_figure_is_pro_rata_by_days(world):
    # 2024-01-01 … 2028-12-31: 1827 days; on 2026-07-01 913 days have gone by (today
    # included): 360 × 913 / 1827 = 179.901… hours expected.
    today = dt.date(2026, 7, 1)
    assert rules.cycle_days(2024, 2028) == 1827
    share = rules.elapsed_share(2024, 2028, today)
    assert share == D(913) / D(1827)
    assert rules.q1(rules.expected(D("360"), 2024, 2028, today)) == D("179.9")
    teacher, principal = world.people["teacher"], world.people["principal"]
    with time_machine.travel(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC), tick=False):
        many_records(teacher, 120, year=2025)  # 180 hours: on schedule
        many_records(principal, 119, year=2025)  # 178.5: behind by 1.4
        services.refresh_cycles([teacher.pk, principal.pk])
        from jiaoyan.hours import queries

        behind = list(queries.behind(world.users["city_admin"]).values_list("person_id", flat=True))
        cycle = HoursCycle.objects.get(person=principal)
        p = rules.progress(cycle, today)
    assert behind == [principal.pk]
    assert p.behind and p.shortfall == D("1.4") and p.earned == D("178.5")


def test_sync_for_source_refreshes_the_cycle(world, linwei_activity):
    from tests.hours.conftest import credit

    teacher = world.people["teacher"]
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=False):
        credit(linwei_activity, [teacher], hours="3")
        assert HoursCycle.objects.get(person=teacher, is_current=True).earned == D("3.0")
        credit(linwei_activity, [teacher], hours="4.5")
        assert HoursCycle.objects.get(person=teacher, is_current=True).earned == D("4.5")
        credit(linwei_activity, [])
        assert HoursCycle.objects.get(person=teacher, is_current=True).earned == D("0")
    assert Activity.objects.filter(pk=linwei_activity.pk).exists()
