"""The metric registry (core.metrics): every module's figures computed on known data for
a unit's subtree and a period, in a fixed number of queries; the page and the API answer
only for units the viewer sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from jiaoyan.activities import services as activity_services
from jiaoyan.activities.models import Activity
from jiaoyan.core import metrics, restricted
from jiaoyan.core.errors import ServiceError
from jiaoyan.hours.models import HoursRecord
from jiaoyan.ledger.models import Item, Status
from jiaoyan.observations.models import Observation, Rubric
from jiaoyan.quality.models import GroupStat, Level
from tests.activities.conftest import make_activity
from tests.ledger.conftest import services as ledger_services
from tests.observations.conftest import observe
from tests.quality.helpers import dataset, import_and_analyse, make_exam

PERIOD = metrics.Period(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
KEYS = {
    "training.programmes",
    "training.participants",
    "training.completion_rate",
    "training.hours_credited",
    "orgs.schools",
    "people.teachers",
    "activities.held",
    "activities.participations",
    "activities.checkin_rate",
    "observations.lessons",
    "observations.mean_score",
    "ledger.items",
    "ledger.completion_rate",
    "ledger.overdue",
    "quality.exams",
    "quality.score_rate",
    "hours.credited",
    "hours.per_person",
    "hours.behind_share",
    "communities.count",
    "communities.studio_teachers",
    "communities.consortium_schools",
    "communities.studio_rural_weak_share",
    "communities.activities_held",
    "resources.published",
    "resources.contributing_schools",
    "resources.uses",
    "resources.review_turnaround",
    "outcomes.submitted",
    "outcomes.selected",
    "outcomes.promotions",
    "outcomes.adoptions",
    "outcomes.points",
    "projects.approved",
    "projects.concluded",
    "projects.excellent_rate",
    "projects.overdue",
    "researchers.serving",
    "researchers.liaison_reach",
    "researchers.admission_applications",
    "researchers.admission_appointed",
    "wellbeing.screened",
    "wellbeing.participation_rate",
    "wellbeing.alerts_open",
    "wellbeing.alerts_handled",
    "researchers.appraisal_excellent",
    "researchers.appraisal_unqualified",
    "researchers.appraisal_confirmed",
    "researchers.self_reviews",
}


pytestmark = pytest.mark.usefixtures("chinese")


def test_every_module_registers_its_main_figures():
    registered = metrics.registry()
    assert set(registered) >= KEYS
    for key, m in registered.items():
        assert key.startswith(m.module + ".")
        assert str(m.name) and str(m.definition) and str(m.unit)
        with translation.override("en"):
            english = str(m.definition)
        assert str(m.definition) != english  # shown in Chinese
    assert str(registered["hours.credited"].unit) == "学时"
    assert str(registered["orgs.schools"].unit) == "所"


def _activity(world, *, actor, unit, participants, checked_in, status="publish", start_in=None):
    a = make_activity(world, actor=actor, unit=unit, start_in=start_in or dt.timedelta(days=2))
    if status == "publish":
        activity_services.publish_activity(actor=actor, activity=a)
    # the counters the participation services keep (the figures read them)
    Activity.objects.filter(pk=a.pk).update(
        participant_count=participants, checked_in_count=checked_in
    )
    return a


_sources = iter(range(1, 10_000))


def _hours(world, person, hours, date):
    return HoursRecord.objects.create(
        person=world.people[person],
        hours=Decimal(hours),
        kind=HoursRecord.Kind.OTHER,
        date=date,
        title="测试",
        source_type=ContentType.objects.get_for_model(Activity),
        source_id=next(_sources),
    )


@pytest.fixture
def known(world):
    """Known data in 临渭区 and 华州区 (see each figure's expected values below)."""
    researcher, outsider = world.users["district_researcher"], world.users["outsider"]
    _activity(
        world, actor=researcher, unit=world.units["linwei_institute"], participants=4, checked_in=3
    )
    _activity(
        world,
        actor=researcher,
        unit=world.units["linwei_institute"],
        participants=9,
        checked_in=9,
        status="draft",
    )
    _activity(
        world, actor=outsider, unit=world.units["huazhou_bureau"], participants=6, checked_in=2
    )
    rubric = Rubric.objects.get(org_unit__isnull=True)
    observe(world, rubric, share=0.8)
    observe(world, rubric, share=0.6)
    observe(world, rubric, share=0.9, submit=False)  # a draft: not counted
    due = timezone.localdate() + dt.timedelta(days=10)
    for title in ("甲", "乙", "丙"):
        ledger_services.create_item(
            actor=researcher,
            org_unit=world.units["linwei_institute"],
            title=f"事项{title}",
            responsible_unit=world.schools["school_a"].org_unit,
            due_on=due,
        )
    items = list(Item.objects.order_by("pk"))
    Item.objects.filter(pk=items[0].pk).update(status=Status.DONE)
    Item.objects.filter(pk=items[1].pk).update(status=Status.CANCELLED)
    _hours(world, "teacher", "3.0", dt.date(2026, 3, 1))
    _hours(world, "teacher_b", "1.5", dt.date(2025, 5, 1))
    _hours(world, "teacher", "8.0", dt.date(2023, 5, 1))  # before the period
    _hours(world, "teacher_c", "2.0", dt.date(2026, 3, 1))
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world))
    return exam


def _values(unit, viewer=None, keys=None) -> dict:
    return {v.metric.key: v for v in metrics.compute_many(keys, unit, PERIOD, viewer=viewer)}


def test_each_figure_on_known_data(world, known):
    admin = world.users["city_admin"]
    linwei = _values(world.units["linwei"], admin)
    assert linwei["orgs.schools"].value == 2
    assert linwei["people.teachers"].value == 2  # 张老师, 刘老师
    assert linwei["activities.held"].value == 1  # the draft is not held
    assert linwei["activities.participations"].value == 4
    assert linwei["activities.checkin_rate"].value == 75.0
    totals = [
        float(t)
        for t in Observation.objects.filter(status=Observation.Status.SUBMITTED).values_list(
            "total", flat=True
        )
    ]
    assert linwei["observations.lessons"].value == 2
    assert linwei["observations.mean_score"].value == round(sum(totals) / 2, 1)
    assert linwei["ledger.items"].value == 2  # the cancelled one is not counted
    assert linwei["ledger.completion_rate"].value == 50.0
    assert linwei["ledger.overdue"].value == 0
    assert linwei["quality.exams"].value == 1
    assert linwei["hours.credited"].value == 4.5
    rows = GroupStat.objects.filter(
        exam=known,
        level=Level.SCHOOL,
        subject__isnull=True,
        path__startswith=world.units["linwei"].path,
    )
    full = sum(s.full_marks for s in known.subjects.all())
    expected = 100 * sum(r.n * r.mean for r in rows) / sum(r.n * full for r in rows)
    assert linwei["quality.score_rate"].value == round(expected, 1)
    assert not linwei["quality.score_rate"].suppressed

    city = _values(world.units["city"], admin)
    assert city["orgs.schools"].value == 3 and city["people.teachers"].value == 3
    assert city["activities.held"].value == 2 and city["activities.participations"].value == 10
    assert city["activities.checkin_rate"].value == 50.0
    assert city["hours.credited"].value == 6.5

    huazhou = _values(world.units["huazhou"], world.users["outsider"])
    assert huazhou["observations.lessons"].value == 0
    assert huazhou["observations.mean_score"].value is None  # nothing to average
    assert huazhou["ledger.completion_rate"].value is None
    assert huazhou["activities.held"].value == 1
    assert huazhou["hours.credited"].value == 2.0

    school_a = metrics.compute("people.teachers", world.schools["school_a"].org_unit, PERIOD)
    assert school_a.value == 1 and school_a.display == "1"


def test_the_period_bounds_every_dated_figure(world, known):
    early = metrics.Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    v = {x.metric.key: x for x in metrics.compute_many(None, world.units["linwei"], early)}
    assert v["observations.lessons"].value == 2  # dated 2024-10-15
    assert v["activities.held"].value == 0 and v["ledger.items"].value == 0
    assert v["hours.credited"].value == 0 and v["quality.exams"].value == 0
    assert v["orgs.schools"].value == 2  # a count of now
    with pytest.raises(ServiceError):
        metrics.Period(dt.date(2025, 2, 1), dt.date(2025, 1, 1))


def test_overdue_items_as_time_passes(world, known):
    with time_machine.travel(timezone.now() + dt.timedelta(days=20)):
        v = metrics.compute("ledger.overdue", world.units["linwei"], PERIOD)
    assert v.value == 1  # the open one of the two (one done, one cancelled)


def test_the_score_rate_hides_small_groups(world):
    exam = make_exam(world)
    import_and_analyse(world, exam, dataset(world, n_per_class=(14, 12, 5, 3), seed=3))
    admin = world.users["city_admin"]
    b = world.schools["school_b"].org_unit
    assert GroupStat.objects.get(exam=exam, level=Level.SCHOOL, org_unit=b, subject=None).n < 10
    v = metrics.compute("quality.score_rate", b, PERIOD, viewer=admin)
    assert v.suppressed and v.value is None and v.display == "—"
    # 临渭区 minus 临渭区第一初级中学 would give 临渭区第二小学 back: hidden too
    assert metrics.compute(
        "quality.score_rate", world.units["linwei"], PERIOD, viewer=admin
    ).suppressed
    restricted.grant(
        actor=admin,
        kind=restricted.STUDENT_DATA,
        user=admin,
        org_unit=world.units["linwei"],
        reason="质量分析会",
    )
    v = metrics.compute("quality.score_rate", b, PERIOD, viewer=admin)
    assert not v.suppressed and v.value is not None


def test_the_number_of_queries_does_not_grow_with_rows(world, known):
    unit = world.units["city"]
    admin = world.users["city_admin"]
    _values(unit, admin)  # warm the per-request caches (scopes, grants, content types)
    with CaptureQueriesContext(connection) as few:
        _values(unit, admin)
    researcher = world.users["district_researcher"]
    for i in range(5):
        _activity(
            world,
            actor=researcher,
            unit=world.units["linwei_institute"],
            participants=i,
            checked_in=0,
        )
        _hours(world, "teacher", "1.0", dt.date(2026, 4, 1 + i))
    rubric = Rubric.objects.get(org_unit__isnull=True)
    for _i in range(3):
        observe(world, rubric, share=0.7)
    exam = make_exam(world, name="期末", date=dt.date(2026, 1, 10))
    import_and_analyse(world, exam, dataset(world, seed=5))
    with CaptureQueriesContext(connection) as many:
        _values(unit, admin)
    # A fixed number, whatever the rows: one query for most figures, a few shared by a
    # module's figures computed together (the communities' coverage: six for five).
    assert len(many) == len(few) <= len(KEYS) + 3


# --- the page and the API ------------------------------------------------------------------


def test_the_page_lists_definitions_and_values_for_a_visible_unit(world, known, client_for):
    c = client_for(world.users["district_researcher"])
    linwei = world.units["linwei"]
    r = c.get(f"/metrics/?unit={linwei.pk}&start=2024-01-01&end=2026-12-31")
    assert r.status_code == 200
    page = r.content.decode()
    assert page.count('data-testid="metric-row"') == len(metrics.registry())
    assert "学校数" in page and "本单位及其下属各单位中在办的学校数" in page
    assert 'data-key="hours.credited"' in page and "4.5" in page
    # out of scope: 404, like every page
    assert c.get(f"/metrics/?unit={world.units['huazhou'].pk}").status_code == 404
    assert client_for(world.users["outsider"]).get(f"/metrics/?unit={linwei.pk}").status_code == 404
    assert c.get("/metrics/?unit=abc").status_code == 404
    # by default: the viewer's own unit, this year
    r = client_for(world.users["teacher"]).get("/metrics/")
    assert r.status_code == 200 and world.schools["school_a"].org_unit.name in r.content.decode()
    # a period that ends before it starts is refused on the form
    r = c.get(f"/metrics/?unit={linwei.pk}&start=2026-02-01&end=2026-01-01")
    assert r.status_code == 200 and "结束日期早于开始日期" in r.content.decode()


def test_the_api(world, known, api_for, client):
    linwei = world.units["linwei"]
    api = api_for(world.users["district_researcher"])
    r = api.get(f"/api/v1/metrics?unit={linwei.pk}&start=2024-01-01&end=2026-12-31")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["org_unit"] == linwei.pk and body["count"] == len(metrics.registry())
    items = {i["key"]: i for i in body["items"]}
    assert items["hours.credited"]["value"] == 4.5 and items["hours.credited"]["unit"] == "学时"
    assert items["activities.checkin_rate"]["value"] == 75.0
    assert items["orgs.schools"]["definition"].startswith("本单位")
    r = api.get(f"/api/v1/metrics?unit={linwei.pk}&only=orgs.schools,ledger.items")
    assert [i["key"] for i in r.json()["items"]] == ["orgs.schools", "ledger.items"]
    assert api.get(f"/api/v1/metrics?unit={linwei.pk}&only=nope").status_code == 400
    assert api.get(f"/api/v1/metrics?unit={world.units['huazhou'].pk}").status_code == 404
    assert api.get("/api/v1/metrics?unit=999999").status_code == 404
    bad = api.get(f"/api/v1/metrics?unit={linwei.pk}&start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 400 and bad.json()["detail"]
    assert api.get(f"/api/v1/metrics?unit={linwei.pk}&start=yesterday").status_code == 422
    assert client.get(f"/api/v1/metrics?unit={linwei.pk}").status_code == 401
