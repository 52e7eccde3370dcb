"""The ledger's core rules: create, report, done, verify, send back, overdue, supervision."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.ledger import services
from jiaoyan.ledger.models import Item, ProgressReport, Status, Supervision


@pytest.fixture
def item(world):
    return services.create_item(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        title="完成七年级数学新课标教研计划",
        responsible_unit=world.schools["school_a"].org_unit,
        responsible_person=world.people["principal"],
        due_on=timezone.localdate() + dt.timedelta(days=10),
        tags="新课标、双减",
    )


def test_create_numbers_items_per_unit_and_shares_with_the_responsible_side(world, item):
    assert item.number == 1
    assert sorted(item.tags.values_list("name", flat=True)) == ["双减", "新课标"]
    second = services.create_item(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        title="第二项",
        responsible_unit=world.schools["school_b"].org_unit,
    )
    assert second.number == 2
    assert Item.objects.visible_to(world.users["principal"]).filter(pk=item.pk).exists()
    assert not Item.objects.visible_to(world.users["principal"]).filter(pk=second.pk).exists()
    assert Item.objects.visible_to(world.users["city_admin"]).count() == 2
    assert not Item.objects.visible_to(world.users["outsider"]).exists()
    assert world.users["principal"].notifications.filter(title__contains="新课标").exists()


def test_past_deadline_and_bad_percent_are_refused(world, item):
    with pytest.raises(ServiceError, match="过去"):
        services.create_item(
            actor=world.users["district_researcher"],
            org_unit=world.units["linwei_institute"],
            title="x",
            responsible_unit=world.units["linwei"],
            due_on=timezone.localdate() - dt.timedelta(days=1),
        )
    with pytest.raises(ServiceError):
        services.report_progress(
            actor=world.users["principal"], item=item, text="进展", percent=120
        )
    assert not ProgressReport.objects.filter(item=item).exists()


def test_done_verify_send_back_and_supervision(world, item):
    principal, researcher = world.users["principal"], world.users["district_researcher"]
    services.report_progress(actor=principal, item=item, text="已制定初稿", percent=40)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and item.percent == 40
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        item.refresh_from_db()
        assert item.is_overdue
        with pytest.raises(ServiceError):
            services.escalate(actor=researcher, item=item, reason="逾期")  # not the unit above
        sup = services.escalate(actor=world.users["city_admin"], item=item, reason="逾期未完成")
        assert sup.unit == world.units["city_bureau"]
        assert Supervision.objects.visible_to(world.users["city_admin"]).filter(pk=sup.pk).exists()
        services.report_progress(actor=principal, item=item, text="全部完成", percent=100)
        item.refresh_from_db()
        assert item.status == Status.DONE
        services.send_back(actor=researcher, item=item, reason="缺少附件")
        item.refresh_from_db()
        assert item.status == Status.IN_PROGRESS
        services.report_progress(actor=principal, item=item, text="补充附件", percent=100)
        services.verify(actor=researcher, item=item)
    item.refresh_from_db()
    sup.refresh_from_db()
    assert item.status == Status.VERIFIED and item.supervised_by is None
    assert sup.closed_at is not None
