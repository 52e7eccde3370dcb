"""Lists and stats: per-unit counts, by kind, subject and month."""

from __future__ import annotations

from django.utils import timezone

from jiaoyan.activities import queries, services
from jiaoyan.activities.models import Activity

from .conftest import make_activity


def test_stats_by_unit_kind_subject_and_month(world, published):
    researcher = world.users["district_researcher"]
    p = published.participations.get(person=world.people["teacher"])
    services.mark_attendance(actor=researcher, activity=published, marks={p.pk: "present"})
    services.finish_activity(actor=researcher, activity=published)
    services.give_feedback(actor=world.users["teacher"], activity=published, rating=4)
    school = make_activity(
        world,
        actor=world.users["principal"],
        unit=world.schools["school_a"].org_unit,
        kind=Activity.Kind.OBSERVATION,
    )
    cancelled = make_activity(world, title="取消的")
    services.cancel_activity(actor=researcher, activity=cancelled, reason="下雨")
    year = timezone.localtime(published.starts_at).year
    data = queries.stats(world.users["city_admin"], root=world.units["city"], year=year)
    assert data["total"] == 2 and data["participants"] == 1 and data["average_rating"] == 4
    rows = {r["unit"].name: r for r in data["units"]}
    assert rows["临渭区"]["activities"] == 2 and rows["临渭区"]["finished"] == 1
    assert rows["临渭区"]["average_rating"] == 4
    assert {k["key"]: k["value"] for k in data["by_kind"]} == {
        "lesson_prep": 1,
        "observation": 1,
    }
    month = timezone.localtime(published.starts_at).month
    assert data["by_month"][month - 1] >= 1 and sum(data["by_month"]) == 2
    # The district's view: its own children (the institute and the town of the school).
    district = queries.stats(researcher, root=world.units["linwei"], year=year)
    names = {r["unit"].name for r in district["units"]}
    assert names == {"临渭区教师发展中心", "人民街道"}
    # 华州区 sees none of it.
    assert (
        queries.stats(world.users["outsider"], root=world.units["huazhou"], year=year)["total"] == 0
    )
    assert school.pk


def test_stats_page_and_filters(world, published, client_for):
    c = client_for(world.users["city_admin"])
    year = timezone.localtime(published.starts_at).year
    resp = c.get(f"/activities/stats/?year={year}&unit={world.units['city'].pk}&kind=lesson_prep")
    assert resp.status_code == 200
    assert 'data-testid="stat-total">1<' in resp.content.decode()
    assert c.get("/activities/stats/?year=abc&unit=zzz").status_code == 404
    assert c.get(f"/activities/stats/?unit={world.units['huazhou'].pk}").status_code == 200
    outsider = client_for(world.users["outsider"])
    assert outsider.get(f"/activities/stats/?unit={world.units['linwei'].pk}").status_code == 404
