"""The audit log: every write through a service leaves who/when/what/which fields, the
request it came from, and the log page shows each admin the rows of their scope."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from jiaoyan.core import audit
from jiaoyan.core.models import AuditLog
from jiaoyan.core.tasks import prune_audit
from jiaoyan.orgs import services as org_services
from jiaoyan.people import services as people_services
from tests.support import read_xlsx


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_a_page_write_carries_the_request_id_and_source(world, client_for, settings, behind_proxy):
    """Behind our proxy its request id ties the audit row to the access log; a client's
    own X-Request-ID is never taken (it could make its rows pass for another request's)."""
    settings.BEHIND_PROXY = behind_proxy
    client = client_for(world.principal)
    school = world.school_a
    resp = client.post(
        f"/orgs/schools/{school.pk}/edit/",
        {
            "kind": school.kind,
            "stages": [s.pk for s in school.stages.all()],
            "location": school.location,
            "student_count": 905,
            "teacher_count": 60,
            "address": school.address,
            "version": 1,
        },
        headers={"X-Request-ID": "req-12345678-abcd"},
    )
    assert resp.status_code == 302
    log = AuditLog.objects.get(object_id=school.pk)
    assert resp["X-Request-ID"] == log.request_id
    if behind_proxy:
        assert log.request_id == "req12345678abcd"
    else:
        assert log.request_id != "req12345678abcd" and len(log.request_id) == 32
    assert (log.source, log.actor_name) == ("web", "李校长（principal）")
    assert log.unit_path == school.org_unit.path
    assert log.changes == {"student_count": [900, 905]}


@pytest.mark.parametrize("forged", ["x" * 500, "abc\r\nSet-Cookie: a=b", "'; drop table--", "短"])
def test_a_malformed_request_id_is_replaced_even_behind_the_proxy(
    world, client_for, settings, forged
):
    settings.BEHIND_PROXY = True
    resp = client_for(world.principal).get("/", headers={"X-Request-ID": forged})
    assert resp.status_code == 200
    assert len(resp["X-Request-ID"]) == 32 and resp["X-Request-ID"].isalnum()


def test_an_api_write_is_marked_api(world, api_for):
    resp = api_for(world.city_admin).patch(
        f"/api/v1/schools/{world.school_b.pk}",
        data={"address": "新址"},
        content_type="application/json",
    )
    assert resp.status_code == 200
    log = AuditLog.objects.get(object_id=world.school_b.pk, action="update")
    assert log.source == "api" and log.changes == {"address": ["某路1号", "新址"]}


def _some_history(world):
    org_services.update_unit(
        actor=world.city_admin, unit=world.units["renmin"], data={"name": "甲"}
    )
    org_services.update_school(
        actor=world.outsider, school=world.school_c, data={"address": "华州新址"}
    )
    people_services.update_person(
        actor=world.city_admin, person=world.people["teacher"], data={"name": "张明"}
    )


def test_audit_page_is_scoped(world, client_for):
    _some_history(world)
    city = client_for(world.city_admin).get("/audit/").content.decode()
    assert "甲" in city and "华州新址" in city and "张明" in city
    outsider = client_for(world.outsider).get("/audit/").content.decode()
    assert "华州新址" in outsider and "张明" not in outsider and "人民街道" not in outsider
    # Non-admins see only what they did themselves, and have no link to the page.
    teacher = client_for(world.teacher)
    assert 'data-nav="audit"' not in teacher.get("/").content.decode()
    html = teacher.get("/audit/").content.decode()
    assert "华州新址" not in html and "王局长（city_admin）" not in html


def test_audit_page_filters_and_export(world, client_for):
    _some_history(world)
    old = audit.record(world.city_admin, world.school_a, "update", {"address": ["甲", "乙"]})
    AuditLog.objects.filter(pk=old.pk).update(timestamp=timezone.now() - dt.timedelta(days=40))
    client = client_for(world.city_admin)
    assert "华州新址" not in client.get("/audit/?q=张明").content.decode()
    assert "张明" in client.get("/audit/?q=张明").content.decode()
    assert "张明" not in client.get("/audit/?action=create").content.decode()
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    recent = client.get(f"/audit/?since={since}").content.decode()
    assert "华州新址" in recent and "临渭区第一初级中学" not in recent
    assert client.get("/audit/?since=not-a-date").status_code == 200
    rows = read_xlsx(client.get("/audit/?export=xlsx&q=张明").content)
    assert len(rows) == 3 and rows[2][1] == "王局长（city_admin）"


def test_history_survives_the_actor_losing_their_account(world, client_for):
    people_services.update_person(
        actor=world.principal.__class__.objects.get(username="city_admin"),
        person=world.people["teacher"],
        data={"name": "张明"},
    )
    world.city_admin.delete()
    log = AuditLog.objects.get(object_id=world.people["teacher"].pk)
    assert log.actor is None and log.actor_name == "王局长（city_admin）"
    html = client_for(world.superuser).get(f"/people/{world.people['teacher'].pk}/").content
    assert "王局长（city_admin）" in html.decode()


def test_every_service_write_leaves_an_audit_row(world):
    """One row per write, naming the object and the changed fields."""
    from jiaoyan.orgs.models import Stage

    before = AuditLog.objects.count()
    writes = [
        lambda: org_services.create_unit(
            actor=world.city_admin,
            parent=world.units["linwei"],
            code="610502100",
            name="双王街道",
            level="town",
            kind="region",
        ),
        lambda: org_services.update_unit(
            actor=world.city_admin, unit=world.units["renmin"], data={"name": "甲"}
        ),
        lambda: org_services.create_school(
            actor=world.city_admin,
            parent=world.units["renmin"],
            code="6105020003",
            name="三小",
            kind="primary",
            location="rural",
            stages=Stage.objects.none(),
        ),
        lambda: org_services.update_school(
            actor=world.principal, school=world.school_a, data={"teacher_count": 61}
        ),
        lambda: people_services.create_person(
            actor=world.city_admin, staff_no="T905", name="新人", org_unit=world.school_b.org_unit
        ),
        lambda: people_services.update_person(
            actor=world.city_admin, person=world.people["teacher_b"], data={"gender": "male"}
        ),
        lambda: people_services.change_status(
            actor=world.city_admin, person=world.people["teacher_b"], status="retired"
        ),
        lambda: people_services.transfer_person(
            actor=world.city_admin,
            person=world.people["counsellor"],
            to_unit=world.school_b.org_unit,
        ),
        lambda: people_services.add_honour(
            actor=world.city_admin,
            person=world.people["teacher"],
            title="key_teacher",
            level="county",
        ),
        lambda: people_services.create_token(actor=world.teacher, name="同步"),
    ]
    for i, write in enumerate(writes, 1):
        write()
        assert AuditLog.objects.count() == before + i, i
    for log in AuditLog.objects.all():
        assert log.action and log.object_repr and log.actor_name
        assert log.changes or log.action == "create"


T_NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
T_OLD = T_NOW - dt.timedelta(days=200)
T_RECENT = T_NOW - dt.timedelta(days=100)


def test_the_audit_log_is_kept_forever_unless_a_retention_is_set(world, settings):
    old = AuditLog.objects.create(action="update", object_repr="旧", timestamp=T_OLD)
    recent = AuditLog.objects.create(action="update", object_repr="新", timestamp=T_RECENT)
    settings.AUDIT_KEEP_DAYS = 0
    assert prune_audit(now=T_NOW) == 0
    settings.AUDIT_KEEP_DAYS = 30  # below six months: read as six months
    assert prune_audit(now=T_NOW) == 1
    assert list(AuditLog.objects.filter(pk__in=[old.pk, recent.pk])) == [recent]


def test_a_retention_under_six_months_is_refused_at_start(tmp_path):
    env = {**os.environ, "AUDIT_KEEP_DAYS": "90", "JIAOYAN_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", "import jiaoyan.settings"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0 and "at least 183 days" in out.stderr
