"""Ids beyond what a database integer holds (2**63 and more) are "not found" or a clear
validation error wherever they come in — an id list in a page's form, a filter by a
parent, a list in an API body — never OverflowError (SQLite) or DataError (PostgreSQL)."""

from __future__ import annotations

import pytest

from jiaoyan.core.models import Notification
from jiaoyan.core.notifications import notify
from jiaoyan.orgs.models import OrgUnit, School

HUGE = 2**64


@pytest.mark.parametrize("value", [HUGE, -HUGE, 2**63])
def test_out_of_range_ids_match_no_row_in_any_lookup(world, value):
    city = world.units["city"]
    assert list(OrgUnit.objects.filter(pk__in=[value])) == []
    assert list(OrgUnit.objects.filter(pk__in=[value, city.pk])) == [city]
    assert list(School.objects.filter(org_unit=value)) == []
    assert list(School.objects.filter(org_unit__in=[value])) == []
    assert list(School.objects.filter(org_unit_id__in=[value])) == []
    assert not OrgUnit.objects.filter(parent=value).exists()
    assert OrgUnit.objects.exclude(pk__in=[value]).count() == OrgUnit.objects.count()


def test_marking_notifications_read_with_a_huge_id(world, client_for):
    teacher = world.teacher
    notify([teacher], title="一条通知", url="/")
    client = client_for(teacher)
    r = client.post("/notifications/read/", {"id": [str(HUGE)]})
    assert r.status_code == 302
    assert Notification.objects.filter(recipient=teacher, read_at__isnull=True).count() == 1


def test_a_huge_collaborator_id_in_the_ledger_form_is_a_form_error(world, client_for):
    client = client_for(world.city_admin)
    r = client.post(
        "/ledger/items/new/",
        {
            "title": "落实课后服务",
            "org_unit": world.units["city_bureau"].pk,
            "responsible_unit": world.units["linwei_bureau"].pk,
            "collaborators": [str(HUGE)],
            "recurrence": "once",
            "priority": "normal",
        },
    )
    assert r.status_code == 200
    assert "collaborators" in r.context["form"].errors


def test_a_huge_unit_in_an_invitation_is_a_422(world, api_for):
    from jiaoyan.activities.models import Activity

    client = api_for(world.city_admin)
    activity = Activity.objects.visible_to(world.city_admin).first()
    url = f"/api/v1/activities/{activity.pk if activity else 1}/invitations"
    r = client.post(url, {"units": [HUGE]}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "number_out_of_range"


def test_year_out_of_range_on_hours(world, client_for, api_for):
    assert client_for(world.teacher).get("/hours/?year=10000").status_code == 200
    r = api_for(world.teacher).get("/api/v1/hours?year=10000")
    assert r.status_code == 422
