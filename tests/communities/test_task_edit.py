"""Editing and removing a community's yearly tasks: title, target, due date and notes,
by the owning unit's managers or the community's leader, with optimistic locking and
audit; evidence entry is unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from jiaoyan.communities import services
from jiaoyan.communities.models import CommunityTask, Evidence
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.models import AuditLog

from .conftest import YEAR

pytestmark = pytest.mark.usefixtures("chinese")


@pytest.fixture
def task(world, studio):
    services.generate_tasks(actor=world.users["district_researcher"], community=studio, year=YEAR)
    return studio.tasks.get(name="课题研究")


def _snapshot(task):
    return CommunityTask.objects.filter(pk=task.pk).values().get()


def test_the_leader_edits_a_task_and_it_is_audited(world, task):
    services.update_task(
        actor=world.users["teacher"],  # the studio's host (its leader)
        task=task,
        data={
            "name": "市级课题研究",
            "target": 2,
            "due_on": dt.date(YEAR, 11, 30),
            "notes": "立项",
        },
        expected_version=task.version,
    )
    t = CommunityTask.objects.get(pk=task.pk)
    assert (t.name, t.target, t.due_on, t.notes, t.version) == (
        "市级课题研究",
        2,
        dt.date(YEAR, 11, 30),
        "立项",
        task.version + 1,
    )
    log = AuditLog.objects.filter(object_id=task.pk, action="update").latest("id")
    assert log.changes["target"] == [1, 2]


def test_a_stale_form_is_refused_and_nothing_changes(world, task):
    services.update_task(
        actor=world.users["district_researcher"],
        task=task,
        data={"target": 3},
        expected_version=task.version,
    )
    before = _snapshot(task)
    with pytest.raises(ServiceError):
        services.update_task(
            actor=world.users["teacher"],
            task=task,
            data={"target": 5},
            expected_version=task.version,  # read before the first edit
        )
    assert _snapshot(task) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"target": 0}, "target"),
        ({"target": "many"}, "target"),
        ({"name": "  "}, "name"),
        ({"name": "示范课"}, "name"),  # another task of the year has that name
        ({"name": "课" * 101}, "name"),  # too long: refused, not cut short
        ({"notes": "注" * 2001}, "notes"),
        ({"due_on": dt.date(YEAR + 1, 1, 5)}, "due_on"),
    ],
)
def test_bad_edits_are_refused_and_nothing_changes(world, task, data, field):
    before = _snapshot(task)
    with pytest.raises(ServiceError) as e:
        services.update_task(actor=world.users["district_researcher"], task=task, data=data)
    assert e.value.field == field and e.value.text
    assert _snapshot(task) == before


def test_who_may_edit_and_remove(world, studio, task):
    services.add_member(
        actor=world.users["district_researcher"],
        community=studio,
        person=world.people["principal"],
        role="core",
        joined_on=studio.start_on,
    )
    # A core member enters evidence but does not edit the task list; another district's
    # admin does neither.
    for who in ("principal", "outsider"):
        with pytest.raises(PermissionDenied):
            services.update_task(actor=world.users[who], task=task, data={"target": 9})
        with pytest.raises(PermissionDenied):
            services.delete_task(actor=world.users[who], task=task)
    assert CommunityTask.objects.get(pk=task.pk).target == 1


def test_removing_a_task_takes_its_evidence_and_is_audited(world, studio, task):
    services.add_evidence(
        actor=world.users["teacher"],
        task=task,
        date=dt.date(YEAR, 3, 1),
        count=1,
        description="课题立项",
    )
    services.delete_task(actor=world.users["teacher"], task=task)
    assert not CommunityTask.objects.filter(pk=task.pk).exists()
    assert not Evidence.objects.exists()
    log = AuditLog.objects.filter(object_id=studio.pk).latest("id")
    assert log.changes["tasks"] == [f"{YEAR} 课题研究", None]


def test_edit_and_remove_through_the_pages(world, studio, task, client_for):
    client = client_for(world.users["district_researcher"])
    form = client.get(f"/communities/tasks/{task.pk}/edit/")
    assert form.status_code == 200 and "课题研究" in form.content.decode()
    resp = client.post(
        f"/communities/tasks/{task.pk}/edit/",
        {"name": "课题研究", "target": "2", "due_on": "", "notes": "", "version": task.version},
    )
    assert resp.status_code == 302
    assert CommunityTask.objects.get(pk=task.pk).target == 2
    # The same (now stale) form again: shown with the error, nothing saved.
    stale = client.post(
        f"/communities/tasks/{task.pk}/edit/",
        {"name": "课题研究", "target": "4", "due_on": "", "notes": "", "version": task.version},
    )
    assert stale.status_code == 200 and CommunityTask.objects.get(pk=task.pk).target == 2
    page = client.get(f"/communities/{studio.pk}/?year={YEAR}").content.decode()
    assert f"/communities/tasks/{task.pk}/edit/" in page
    assert client.post(f"/communities/tasks/{task.pk}/delete/").status_code == 302
    assert not CommunityTask.objects.filter(pk=task.pk).exists()
    # Another district: the task is not there at all.
    other = client_for(world.users["outsider"])
    assert other.get(f"/communities/tasks/{task.pk}/edit/").status_code == 404


def test_edit_and_remove_through_the_api(world, task, api_for):
    api = api_for(world.users["district_researcher"])
    got = api.get(f"/api/v1/tasks/{task.pk}").json()
    assert got["target"] == 1 and got["done"] == 0 and got["version"] == task.version
    resp = api.patch(
        f"/api/v1/tasks/{task.pk}",
        {"target": 3, "notes": "两项", "version": task.version},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["target"] == 3 and resp.json()["notes"] == "两项"
    stale = api.patch(
        f"/api/v1/tasks/{task.pk}",
        {"target": 4, "version": task.version},
        content_type="application/json",
    )
    assert stale.status_code in (400, 409) and CommunityTask.objects.get(pk=task.pk).target == 3
    bad = api.patch(f"/api/v1/tasks/{task.pk}", {"target": 0}, content_type="application/json")
    assert bad.status_code == 422
    other = api_for(world.users["outsider"])
    assert other.delete(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert api.delete(f"/api/v1/tasks/{task.pk}").status_code == 204
    assert not CommunityTask.objects.filter(pk=task.pk).exists()
