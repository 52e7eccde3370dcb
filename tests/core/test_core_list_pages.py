"""Core's own lists (imports, audit log, notifications) as declared list pages: an HTMX
request for the table gets the table only, the filters narrow the page and its export."""

from __future__ import annotations

from jiaoyan.core.models import ImportJob, Job, Notification
from jiaoyan.core.notifications import mark_read, notify
from tests.support import read_xlsx

HTMX = {"HX-Request": "true", "HX-Target": "list-results"}


def test_notifications_unread_filter_and_table_fragment(world, client_for):
    notify([world.teacher], title="已读的通知")
    notify([world.teacher], title="未读的通知")
    read = Notification.objects.get(title="已读的通知")
    mark_read(world.teacher, [read.pk])
    client = client_for(world.teacher)
    full = client.get("/notifications/").content.decode()
    assert full.count('data-testid="notification"') == 2 and 'id="list-results"' in full
    unread = client.get("/notifications/?unread=1", headers=HTMX).content.decode()
    assert "<html" not in unread and unread.count('data-testid="notification"') == 1
    assert "未读的通知" in unread and "已读的通知" not in unread


def test_audit_log_table_fragment_and_filtered_export(world, client_for):
    from jiaoyan.orgs import services

    services.update_school(
        actor=world.city_admin,
        school=world.school_a,
        data={"address": "新址一号"},
        expected_version=world.school_a.version,
    )
    client = client_for(world.city_admin)
    page = client.get("/audit/?action=update").content.decode()
    assert 'id="list-results"' in page and "新址一号" in page
    table = client.get("/audit/?action=update", headers=HTMX).content.decode()
    assert "<html" not in table and "新址一号" in table
    assert "新址一号" not in client.get("/audit/?action=create", headers=HTMX).content.decode()
    rows = read_xlsx(client.get("/audit/?action=update&export=xlsx").content)
    assert rows[0][0] == "操作日志"
    assert rows[1] == ["时间", "操作人", "操作", "类型", "对象", "变更内容", "备注"]
    assert len(rows) == 3 and "新址一号" in rows[2][5]
    assert read_xlsx(client.get("/audit/?action=create&export=xlsx").content)[2:] == []


def test_import_list_table_fragment(world, client_for):
    for i in range(30):
        job = Job.objects.create(
            kind="import",
            created_by=world.city_admin,
            org_unit=world.units["city"],
            status=Job.Status.SUCCEEDED,
            result={"rows": 3, "created": 3, "errors": []},
        )
        ImportJob.objects.create(
            job=job, kind="schools", original_name=f"学校{i}.xlsx", file=f"imports/{i}.xlsx"
        )
    client = client_for(world.city_admin)
    page = client.get("/imports/").content.decode()
    assert 'id="list-results"' in page and 'data-testid="template-schools"' in page
    second = client.get("/imports/?page=2", headers=HTMX).content.decode()
    assert "<html" not in second and "template-schools" not in second
    assert second.count(".xlsx</a>") == 5
