"""The work record (工作纪实) is derived: for a demo-like researcher it equals what an
independent count over the raw activity, observation, ledger, residency and hours rows
gives; it costs a fixed number of queries; it exports as .xlsx and .docx."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from jiaoyan.activities.models import Activity, Participation
from jiaoyan.hours.models import HoursRecord
from jiaoyan.ledger.models import Item
from jiaoyan.observations.models import LiaisonAssignment, Observation
from jiaoyan.researchers import queries, services
from jiaoyan.researchers.models import Residency, Visit
from tests.conftest import make_person, make_school
from tests.observations.conftest import observe
from tests.researchers.helpers import build_year

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture
def year(world, profile, rubric_builtin):
    admin, her = world.users["city_admin"], world.users["district_researcher"]
    a, b = world.schools["school_a"].org_unit, world.schools["school_b"].org_unit
    d = make_school(
        "6105020003", "临渭区第三中学", world.units["renmin"], kind="junior", stages=("junior",)
    ).org_unit
    e = make_school("6105020004", "临渭区第四小学", world.units["renmin"]).org_unit
    teacher_d = make_person(
        "T301", "三小老师", d, role="teacher", subjects=["数学"], stages=["junior"]
    )
    # Liaison schools: a and b this year; e ended in 2024 (outside the year).
    services.assign_liaison_schools(
        actor=admin, profile=profile, schools=[a, b], start_date=dt.date(2025, 2, 1)
    )
    old = services.assign_liaison_schools(
        actor=admin,
        profile=profile,
        schools=[e],
        start_date=dt.date(2024, 2, 1),
        end_date=dt.date(2024, 7, 31),
    )[0]
    from jiaoyan.observations import services as obs_services

    obs_services.end_liaison(actor=admin, assignment=old, end_date=dt.date(2024, 7, 31))
    built = build_year(world, profile)
    # Lessons observed: 3 in a (liaison), 2 at d (not), 1 draft at a, 1 in 2024.
    for day in (dt.date(2025, 3, 4), dt.date(2025, 4, 8), dt.date(2025, 5, 6)):
        observe(world, rubric_builtin, observer="district_researcher", date=day)
    for day in (dt.date(2025, 3, 11), dt.date(2025, 6, 3)):
        observe(world, rubric_builtin, observer="district_researcher", teacher=teacher_d, date=day)
    observe(
        world,
        rubric_builtin,
        observer="district_researcher",
        date=dt.date(2025, 6, 10),
        submit=False,
    )
    observe(world, rubric_builtin, observer="district_researcher", date=dt.date(2024, 11, 5))
    # Residencies: one crossing into the year, one inside it at b with visits.
    services.create_residency(
        actor=her,
        profile=profile,
        school=d,
        start_date=dt.date(2024, 12, 16),
        end_date=dt.date(2025, 1, 10),
        goals="跨年蹲点",
    )
    r = services.create_residency(
        actor=her,
        profile=profile,
        school=b,
        start_date=dt.date(2025, 3, 3),
        end_date=dt.date(2025, 3, 28),
        goals="指导二小数学组",
    )
    acts = [
        x
        for x in built["activities"]
        if r.start_date <= timezone.localtime(x.starts_at).date() <= r.end_date
    ]
    services.log_visit(actor=her, residency=r, kind="lesson_prep", activity=acts[0])
    services.log_visit(actor=her, residency=r, kind="met_principal", date=dt.date(2025, 3, 20))
    return {"a": a, "b": b, "d": d, "e": e}


@pytest.fixture
def rubric_builtin(db):
    from jiaoyan.observations.models import Rubric

    return Rubric.objects.get(org_unit__isnull=True)


def independent(profile) -> dict:
    """The figures counted row by row in Python from every row of the raw tables."""
    person = profile.person
    inside = lambda day: START <= day <= END  # noqa: E731
    local = lambda t: timezone.localtime(t).date()  # noqa: E731
    acts = list(Activity.objects.all())
    cancelled = {x.pk for x in acts if x.status == Activity.Status.CANCELLED}
    organised = [
        x
        for x in acts
        if x.host_id == person.pk and inside(local(x.starts_at)) and x.pk not in cancelled
    ]
    attended = [
        p
        for p in Participation.objects.select_related("activity")
        if p.person_id == person.pk
        and p.attendance in ("present", "late")
        and inside(local(p.activity.starts_at))
        and p.activity_id not in cancelled
    ]
    liaison = {
        la.school_id
        for la in LiaisonAssignment.objects.all()
        if la.researcher_id == person.pk
        and la.start_date <= END
        and (la.end_date is None or la.end_date >= START)
    }
    obs = [
        o
        for o in Observation.objects.all()
        if o.observer_id == person.user_id and o.status == "submitted" and inside(o.date)
    ]
    by_school: dict[int, int] = {}
    for o in obs:
        by_school[o.org_unit_id] = by_school.get(o.org_unit_id, 0) + 1
    visits = [v for v in Visit.objects.all() if v.researcher_id == person.pk and inside(v.date)]
    visited = {v.school_id for v in visits}
    items = [
        i
        for i in Item.objects.all()
        if i.responsible_person_id == person.pk
        and i.due_on
        and inside(i.due_on)
        and i.status != "cancelled"
    ]
    done = [i for i in items if i.status in ("done", "verified")]
    days = set()
    for r in Residency.objects.all():
        if r.researcher_id != person.pk:
            continue
        day = r.start_date
        while day <= r.end_date:
            if inside(day):
                days.add(day)
            day += dt.timedelta(days=1)
    hours = sum(
        (h.hours for h in HoursRecord.objects.all() if h.person_id == person.pk and inside(h.date)),
        Decimal(0),
    )
    coverage = {"visited": 0, "observed": 0, "untouched": 0}
    for s in liaison:
        coverage["observed" if s in by_school else "visited" if s in visited else "untouched"] += 1
    return {
        "organised": len(organised),
        "attended": len(attended),
        "observed": len(obs),
        "observed_in_liaison": sum(n for s, n in by_school.items() if s in liaison),
        "by_school": by_school,
        "liaison": liaison,
        "coverage": coverage,
        "visits": len(visits),
        "ledger_total": len(items),
        "ledger_done": len(done),
        "ledger_on_time": len([i for i in done if local(i.done_at) <= i.due_on]),
        "residency_days": len(days),
        "training_received": hours,
    }


def test_the_work_record_equals_an_independent_count(world, profile, year):
    rec = queries.work_record(profile, START, END)
    want = independent(profile)
    got = {
        "organised": rec.organised,
        "attended": rec.attended,
        "observed": rec.observed,
        "observed_in_liaison": rec.observed_in_liaison,
        "by_school": {s.school_id: s.observed for s in rec.schools if s.observed},
        "liaison": {s.school_id for s in rec.liaison_rows},
        "coverage": rec.coverage(),
        "visits": rec.visits,
        "ledger_total": rec.ledger_total,
        "ledger_done": rec.ledger_done,
        "ledger_on_time": rec.ledger_on_time,
        "residency_days": rec.residency_days,
        "training_received": rec.training_received,
    }
    assert got == want
    # The data set is not trivial: every figure is there to be miscounted.
    assert want["organised"] > 5 and want["attended"] > 5 and want["ledger_on_time"] > 0
    assert want["ledger_done"] > want["ledger_on_time"]
    assert want["observed"] == 5 and want["observed_in_liaison"] == 3
    assert want["coverage"] == {"visited": 0, "observed": 1, "untouched": 0} | {"visited": 1}
    assert want["residency_days"] == 10 + 26
    assert rec.liaison_share == 60.0


def test_the_work_record_costs_nine_queries(world, profile, year, django_assert_num_queries):
    profile = queries.profiles_for(world.users["city_admin"]).get(pk=profile.pk)
    with django_assert_num_queries(9):
        queries.work_record(profile, START, END)


def test_the_work_record_page_and_its_exports(world, profile, year, client_for):
    from docx import Document
    from openpyxl import load_workbook

    c = client_for(world.users["district_researcher"])
    page = c.get(f"/researchers/{profile.pk}/record/?year=2025")
    assert page.status_code == 200
    assert "临渭区第三中学" in page.content.decode()
    xlsx = c.get(f"/researchers/{profile.pk}/record/?year=2025&export=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    values = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0]}
    assert values["听评课（节）"] == 5 and values["其中联系学校（节）"] == 3
    doc = c.get(f"/researchers/{profile.pk}/record/?year=2025&export=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(doc.content)).paragraphs)
    assert "韩梅工作纪实" in text and "听评课5节" in text
    # The outsider gets nothing.
    assert (
        client_for(world.users["outsider"]).get(f"/researchers/{profile.pk}/record/").status_code
        == 404
    )
