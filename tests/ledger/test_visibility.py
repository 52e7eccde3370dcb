"""Who sees a ledger item: the assigning unit and the chain above it, the responsible unit
(and its chain), the collaborating units, the responsible person; another district sees
nothing and can change, report on or escalate nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can
from jiaoyan.ledger import services
from jiaoyan.ledger.models import Item, ProgressReport, Supervision
from tests.conftest import make_person


@pytest.fixture
def item(world):
    return services.create_item(
        actor=world.users["city_admin"],
        org_unit=world.units["city_bureau"],
        title="完成临渭区第一初级中学教学视导整改",
        responsible_unit=world.schools["school_a"].org_unit,
        collaborators=[world.schools["school_b"].org_unit],
        due_on=timezone.localdate() - dt.timedelta(days=3),
        allow_past_due=True,
        tags="教学视导",
    )


def _sees(user, item) -> bool:
    return Item.objects.visible_to(user).filter(pk=item.pk).exists() and can(user, "view", item)


def test_responsible_school_and_collaborating_unit_see_it(world, item, client_for, api_for):
    principal = world.users["principal"]
    assert _sees(principal, item)
    assert client_for(principal).get(f"/ledger/items/{item.pk}/").status_code == 200
    assert api_for(principal).get(f"/api/v1/ledger/items/{item.pk}").status_code == 200
    assert services.may_report(principal, item)  # the school reports on its own work
    # The collaborating school's principal sees it too, but it is not their work to report.
    other = make_person(
        "T102", "吴校长", world.schools["school_b"].org_unit, role="principal", username="p_b"
    ).user
    assert _sees(other, item)
    assert api_for(other).get(f"/api/v1/ledger/items/{item.pk}").status_code == 200
    assert not services.may_report(other, item)
    # The district above the school sees it (the chain above the responsible unit).
    assert _sees(world.users["district_researcher"], item)


def test_the_other_district_sees_none_and_changes_nothing(world, item, client_for, api_for):
    services.report_progress(
        actor=world.users["principal"], item=item, text="已整改一半", percent=50
    )
    outsider = world.users["outsider"]
    before = Item.objects.filter(pk=item.pk).values().get()
    assert not Item.objects.visible_to(outsider).exists()
    assert not ProgressReport.objects.visible_to(outsider).exists()
    assert not can(outsider, "view", item) and not can(outsider, "change", item)
    assert client_for(outsider).get(f"/ledger/items/{item.pk}/").status_code == 404
    assert api_for(outsider).get("/api/v1/ledger/items").json()["count"] == 0
    with pytest.raises(PermissionDenied):
        services.update_item(actor=outsider, item=item, data={"title": "改"})
    with pytest.raises(PermissionDenied):
        services.cancel(actor=outsider, item=item, reason="不需要了")
    with pytest.raises(ServiceError):
        services.report_progress(actor=outsider, item=item, text="越权报送", percent=90)
    with pytest.raises(ServiceError):
        services.escalate(actor=outsider, item=item, reason="越权督办")
    assert Item.objects.filter(pk=item.pk).values().get() == before
    assert ProgressReport.objects.filter(item=item).count() == 1
    assert not Supervision.objects.exists()


def test_a_supervision_is_seen_by_the_supervising_unit_and_the_item_side(world, api_for):
    item = services.create_item(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        title="开展数学新课标专题教研",
        responsible_unit=world.schools["school_a"].org_unit,
        due_on=timezone.localdate() - dt.timedelta(days=1),
        allow_past_due=True,
    )
    sup = services.escalate(actor=world.users["city_admin"], item=item, reason="逾期")
    for name in ("city_admin", "district_researcher", "principal"):
        assert Supervision.objects.visible_to(world.users[name]).filter(pk=sup.pk).exists(), name
    assert not Supervision.objects.visible_to(world.users["outsider"]).exists()
    data = api_for(world.users["city_admin"]).get("/api/v1/ledger/supervisions?supervising=true")
    assert [s["id"] for s in data.json()["items"]] == [sup.pk]
