"""Activity lifecycle: draft › published › in progress › finished, or cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jiaoyan.activities import services
from jiaoyan.activities.models import Activity, Participation
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog, Notification
from jiaoyan.hours.models import HoursRecord

from .conftest import make_activity


def _notes(user, word):
    return Notification.objects.filter(recipient=user, title__contains=word)


def test_level_comes_from_the_organiser_unit(world):
    assert make_activity(world).level == "county"
    school = make_activity(
        world, actor=world.users["principal"], unit=world.schools["school_a"].org_unit
    )
    assert school.level == "school"
    city = make_activity(world, actor=world.users["city_admin"], unit=world.units["city_institute"])
    assert city.level == "city"


def test_bad_input_is_refused_with_nothing_written(world):
    before = Activity.objects.count()
    now = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    for kw in (
        {"title": "  "},
        {"starts_at": now, "ends_at": now},
        {"hours": -1},
        {"hours": 100},
        {"venue_address": "", "venue_url": ""},
        {"kind": "party"},
    ):
        with pytest.raises(ServiceError):
            make_activity(world, **kw)
    with pytest.raises(PermissionDenied):
        make_activity(world, actor=world.users["teacher"])
    with pytest.raises(PermissionDenied):
        make_activity(world, unit=world.units["huazhou"])
    assert Activity.objects.count() == before


def test_publishing_notifies_the_invited(world, activity):
    services.invite(
        actor=world.users["district_researcher"],
        activity=activity,
        person_ids=[world.people["teacher"].pk],
    )
    assert not _notes(world.users["teacher"], activity.title).exists()
    services.publish_activity(actor=world.users["district_researcher"], activity=activity)
    assert _notes(world.users["teacher"], "邀请").count() == 1


def test_moving_a_published_activity_notifies_the_invited(world, published):
    researcher, teacher = world.users["district_researcher"], world.users["teacher"]
    # Into the next month (local time), whatever today is, so the month key must change.
    local = timezone.localtime(published.starts_at)
    new_start = (local.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=9, minute=0)
    assert published.start_month == local.year * 100 + local.month
    services.update_activity(
        actor=researcher,
        activity=published,
        data={"starts_at": new_start, "ends_at": new_start + dt.timedelta(hours=2)},
        expected_version=published.version,
    )
    assert _notes(teacher, "时间").count() == 1
    published.refresh_from_db()
    assert published.start_month == new_start.year * 100 + new_start.month
    assert published.starts_at == new_start
    # A title change alone notifies nobody.
    services.update_activity(actor=researcher, activity=published, data={"title": "改名"})
    assert Notification.objects.filter(recipient=teacher).count() == 2  # invite + time


def test_stale_form_is_refused(world, activity):
    services.update_activity(
        actor=world.users["district_researcher"], activity=activity, data={"title": "新"}
    )
    with pytest.raises(ServiceError):
        services.update_activity(
            actor=world.users["district_researcher"],
            activity=activity,
            data={"title": "旧表单"},
            expected_version=1,
        )


def test_cancel_needs_a_reason_and_notifies_everyone_invited(world, published):
    researcher = world.users["district_researcher"]
    with pytest.raises(ServiceError):
        services.cancel_activity(actor=researcher, activity=published, reason=" ")
    a = services.cancel_activity(actor=researcher, activity=published, reason="暴雨停课")
    assert a.status == "cancelled" and a.cancel_reason == "暴雨停课"
    note = _notes(world.users["teacher"], "取消").get()
    assert "暴雨停课" in note.body
    with pytest.raises(ServiceError):
        services.publish_activity(actor=researcher, activity=a)


def test_finish_credits_hours_to_attendees_only_and_locks_the_activity(world, published):
    researcher = world.users["district_researcher"]
    teacher = world.people["teacher"]
    parts = {p.person_id: p for p in published.participations.all()}
    services.mark_attendance(
        actor=researcher, activity=published, marks={parts[teacher.pk].pk: "present"}
    )
    a = services.finish_activity(actor=researcher, activity=published)
    assert a.status == "finished"
    rec = HoursRecord.objects.get(person=teacher)
    assert rec.hours == 3 and rec.source == a and rec.kind == "activity"
    assert HoursRecord.objects.count() == 1
    others = Participation.objects.filter(activity=a).exclude(person=teacher)
    assert set(others.values_list("attendance", flat=True)) == {"absent"}
    assert _notes(world.users["teacher"], "感谢").exists()
    # After the finish: no more edits of the activity itself.
    with pytest.raises(ServiceError):
        services.update_activity(actor=researcher, activity=a, data={"title": "改"})
    with pytest.raises(ServiceError):
        services.add_venue(actor=researcher, activity=a, name="晚到", address="x")
    # …but attendance corrections are allowed, audited, and the hours follow them.
    teacher_c = world.people["teacher_c"]
    services.mark_attendance(
        actor=researcher,
        activity=a,
        marks={parts[teacher.pk].pk: "absent", parts[teacher_c.pk].pk: "present"},
    )
    assert list(HoursRecord.objects.values_list("person_id", flat=True)) == [teacher_c.pk]
    log = AuditLog.objects.filter(object_id=a.pk, message__contains="纠正").get()
    assert "张老师" in str(log.changes)
    # …and so are minutes and materials.
    services.save_minutes(actor=researcher, activity=a, minutes="一、研讨了函数单元。")
    services.add_material(
        actor=researcher,
        activity=a,
        phase="after",
        kind="recording",
        title="录像",
        url="https://example.org/v",
    )
    assert AuditLog.objects.filter(object_id=a.pk, changes__has_key="minutes").exists()


def test_hours_zero_credits_nothing(world):
    a = make_activity(world, hours=0)
    services.invite(
        actor=world.users["district_researcher"],
        activity=a,
        person_ids=[world.people["teacher"].pk],
    )
    a = services.publish_activity(actor=world.users["district_researcher"], activity=a)
    p = a.participations.get()
    services.mark_attendance(
        actor=world.users["district_researcher"], activity=a, marks={p.pk: "present"}
    )
    services.finish_activity(actor=world.users["district_researcher"], activity=a)
    assert not HoursRecord.objects.exists()


def test_only_organisers_change_activities(world, published):
    for name in ("teacher", "principal", "outsider"):
        with pytest.raises(PermissionDenied):
            services.finish_activity(actor=world.users[name], activity=published)
