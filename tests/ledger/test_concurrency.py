"""Two progress reports sent at the same moment (PostgreSQL: two connections released by
a barrier): both are kept, the item's version rises once per report and its latest
progress is one of the two — neither report is lost or half-written. On SQLite every
transaction takes the single write lock (BEGIN IMMEDIATE), so there is no race to test;
tests/ledger/test_pages.py checks the same rule one after the other."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from jiaoyan.core.errors import ServiceError
from jiaoyan.ledger import services
from jiaoyan.ledger.models import Item, ProgressReport

from ..activities.test_concurrency import _reseed


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_progress_reports_are_both_kept(world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no concurrent race")
    _reseed()
    item = services.create_item(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        title="汇总单元作业设计案例",
        responsible_unit=world.schools["school_a"].org_unit,
        responsible_person=world.people["principal"],
        due_on=timezone.localdate() + dt.timedelta(days=10),
    )
    version = Item.objects.get(pk=item.pk).version
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def report(user: str, text: str, percent: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.report_progress(actor=world.users[user], item=item, text=text, percent=percent)
        except ServiceError as e:
            errors.append(e.text)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=report, args=("principal", "学校已完成初稿", 40)),
        threading.Thread(target=report, args=("district_researcher", "中心已审阅", 50)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    texts = sorted(ProgressReport.objects.filter(item=item).values_list("text", flat=True))
    assert texts == ["中心已审阅", "学校已完成初稿"]
    item.refresh_from_db()
    assert item.version == version + 2
    assert (item.latest_progress, item.percent) in {("学校已完成初稿", 40), ("中心已审阅", 50)}
