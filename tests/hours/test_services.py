"""Crediting and revoking hours: one record per (person, source), kept exactly in step
with who the source says earned them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from jiaoyan.hours import services
from jiaoyan.hours.models import HoursRecord

from .conftest import DAY, credit


def _records(source):
    return HoursRecord.objects.filter(source_id=source.pk, source_type__model="activity")


def test_crediting_is_once_per_person_and_idempotent(world, linwei_activity):
    people = [world.people["teacher"], world.people["principal"]]
    assert credit(linwei_activity, people) == (2, 0)
    assert credit(linwei_activity, people) == (0, 0)
    rows = _records(linwei_activity).order_by("person_id")
    assert [r.person_id for r in rows] == sorted(p.pk for p in people)
    r = rows[0]
    assert (r.hours, r.kind, r.date, r.title) == (
        Decimal("3.0"),
        "activity",
        DAY,
        "临渭区初中数学集体备课",
    )
    assert r.credited_by == world.units["linwei_institute"]
    assert r.source == linwei_activity


def test_changed_hours_and_title_are_updated_in_place(world, linwei_activity):
    credit(linwei_activity, [world.people["teacher"]])
    before = _records(linwei_activity).get()
    later = DAY + dt.timedelta(days=2)
    teacher = world.people["teacher"]
    changed = credit(linwei_activity, [teacher], hours="2.5", title="改", date=later)
    assert changed == (0, 0)
    after = _records(linwei_activity).get()
    assert after.pk == before.pk
    assert (after.hours, after.title, after.date) == (Decimal("2.5"), "改", later)


def test_who_is_no_longer_entitled_loses_the_record(world, linwei_activity):
    teacher, principal = world.people["teacher"], world.people["principal"]
    credit(linwei_activity, [teacher, principal])
    assert credit(linwei_activity, [teacher]) == (0, 1)
    assert list(_records(linwei_activity).values_list("person_id", flat=True)) == [teacher.pk]
    assert credit(linwei_activity, []) == (0, 1)
    assert not _records(linwei_activity).exists()


def test_revoking_removes_the_records_of_that_source_only(world, linwei_activity, huazhou):
    credit(linwei_activity, [world.people["teacher"], world.people["principal"]])
    assert services.revoke_for_source(linwei_activity) == 2
    assert not _records(linwei_activity).exists()
    assert _records(huazhou).count() == 1
    assert services.revoke_for_source(linwei_activity) == 0


def test_a_long_title_is_cut_to_the_column(world, linwei_activity):
    credit(linwei_activity, [world.people["teacher"]], title="长" * 250)
    assert _records(linwei_activity).get().title == "长" * 200


def test_negative_hours_are_refused_and_nothing_is_written(world, linwei_activity):
    with pytest.raises(IntegrityError), transaction.atomic():
        credit(linwei_activity, [world.people["teacher"]], hours="-1")
    assert not _records(linwei_activity).exists()
