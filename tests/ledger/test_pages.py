"""The ledger's pages as a user meets them: boards, creating, editing, reporting,
verifying, sending back, cancelling, escalating and closing supervision."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiaoyan.ledger import services
from jiaoyan.ledger.models import Item, ProgressReport, Status, Supervision


def test_board_mine_shows_my_items_with_tags(world, client_for, item):
    resp = client_for(world.principal).get("/ledger/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert item.title in html and "新课标" in html
    # The teacher of another school has nothing on their board.
    other = client_for(world.users["outsider"]).get("/ledger/?board=unit").content.decode()
    assert item.title not in other


def test_create_page_makes_an_item(world, client_for):
    client = client_for(world.district_researcher)
    page = client.get("/ledger/items/new/")
    assert page.status_code == 200
    assert page.context["form"].initial["org_unit"] == world.units["linwei_institute"].pk
    due = timezone.localdate() + dt.timedelta(days=5)
    resp = client.post(
        "/ledger/items/new/",
        {
            "org_unit": world.units["linwei_institute"].pk,
            "title": "组织单元作业设计评比",
            "responsible_unit": world.schools["school_a"].org_unit.pk,
            "responsible_person": world.people["teacher"].pk,
            "collaborators": [world.schools["school_b"].org_unit.pk],
            "due_on": due.isoformat(),
            "recurrence": "none",
            "priority": "high",
            "tags": "新课标、双减",
        },
    )
    item = Item.objects.get(title="组织单元作业设计评比")
    assert resp.status_code == 302 and resp["Location"] == item.get_absolute_url()
    assert item.responsible_person == world.people["teacher"] and item.due_on == due
    assert sorted(item.tags.values_list("name", flat=True)) == ["双减", "新课标"]
    assert item.collaborations.get().unit == world.schools["school_b"].org_unit
    assert item.assigned_by == world.district_researcher


def test_create_page_refuses_a_past_deadline_and_writes_nothing(world, client_for):
    resp = client_for(world.district_researcher).post(
        "/ledger/items/new/",
        {
            "org_unit": world.units["linwei_institute"].pk,
            "title": "过期事项",
            "responsible_unit": world.schools["school_a"].org_unit.pk,
            "due_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "recurrence": "none",
            "priority": "normal",
        },
    )
    assert resp.status_code == 200
    assert "过去" in resp.content.decode()
    assert not Item.objects.exists()


def test_person_picker_lists_people_of_the_chosen_unit(world, client_for):
    client = client_for(world.district_researcher)
    html = client.get(
        f"/ledger/items/people/?responsible_unit={world.schools['school_a'].org_unit.pk}"
    ).content.decode()
    assert "张老师" in html and "刘老师" not in html


def test_edit_with_a_stale_version_changes_nothing(world, client_for, item):
    client = client_for(world.district_researcher)
    form = client.get(f"/ledger/items/{item.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["responsible_unit"] = item.responsible_unit.pk
    data["collaborators"] = []
    data["due_on"] = item.due_on.isoformat()
    data["title"] = "改过的标题"
    # Meanwhile someone else changes the item.
    services.update_item(actor=world.city_admin, item=item, data={"remarks": "先改了"})
    resp = client.post(f"/ledger/items/{item.pk}/edit/", data)
    assert resp.status_code == 200
    assert "其他人" in resp.content.decode() or "别人" in resp.content.decode()
    item.refresh_from_db()
    assert item.title == "完成七年级数学新课标教研计划" and item.remarks == "先改了"
    # With the current version it is saved.
    data["version"] = item.version
    resp = client.post(f"/ledger/items/{item.pk}/edit/", data)
    assert resp.status_code == 302
    item.refresh_from_db()
    assert item.title == "改过的标题"


def test_report_over_100_percent_is_refused_and_writes_nothing(world, client_for, item):
    client = client_for(world.principal)
    resp = client.post(
        f"/ledger/items/{item.pk}/report/", {"text": "完成了", "percent": "120"}, follow=True
    )
    assert "0" in resp.content.decode() and "100" in resp.content.decode()
    assert "120" in resp.content.decode()
    assert not ProgressReport.objects.filter(item=item).exists()
    item.refresh_from_db()
    assert item.percent == 0 and item.status == Status.NOT_STARTED


def test_report_with_a_file_then_verify(world, client_for, item):
    client = client_for(world.principal)
    detail = client.get(item.get_absolute_url()).content.decode()
    assert 'data-testid="report-form"' in detail and 'data-testid="verify"' not in detail
    upload = SimpleUploadedFile("签到表.txt", "签到".encode(), content_type="text/plain")
    resp = client.post(
        f"/ledger/items/{item.pk}/report/",
        {"text": "全部完成", "percent": "100", "files": [upload]},
    )
    assert resp.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.DONE and item.percent == 100
    att = ProgressReport.objects.get(item=item).attachments.get()
    # Those who see the item download the file; others get 404.
    assert client.get(f"/ledger/attachments/{att.pk}/").status_code == 200
    assert client_for(world.outsider).get(f"/ledger/attachments/{att.pk}/").status_code == 404
    researcher = client_for(world.district_researcher)
    page = researcher.get(item.get_absolute_url()).content.decode()
    assert 'data-testid="verify"' in page and "签到表.txt" in page
    resp = researcher.post(f"/ledger/items/{item.pk}/verify/", {"version": item.version})
    item.refresh_from_db()
    assert item.status == Status.VERIFIED and item.verified_by == world.district_researcher


def test_send_back_and_cancel_need_a_reason(world, client_for, item):
    services.report_progress(actor=world.principal, item=item, text="完成", percent=100)
    item.refresh_from_db()
    researcher = client_for(world.district_researcher)
    researcher.post(f"/ledger/items/{item.pk}/send_back/", {"reason": "", "version": item.version})
    item.refresh_from_db()
    assert item.status == Status.DONE
    researcher.post(
        f"/ledger/items/{item.pk}/send_back/", {"reason": "缺少附件", "version": item.version}
    )
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert world.principal.notifications.filter(title__contains="退回").exists()
    researcher.post(
        f"/ledger/items/{item.pk}/cancel/", {"reason": "任务调整", "version": item.version}
    )
    item.refresh_from_db()
    assert item.status == Status.CANCELLED and item.cancel_reason == "任务调整"


def test_the_principal_cannot_verify_and_outsiders_get_404(world, client_for, item):
    services.report_progress(actor=world.principal, item=item, text="完成", percent=100)
    assert client_for(world.outsider).get(item.get_absolute_url()).status_code == 404
    assert client_for(world.outsider).post(f"/ledger/items/{item.pk}/verify/").status_code == 404
    resp = client_for(world.principal).post(f"/ledger/items/{item.pk}/verify/")
    assert resp.status_code == 403
    item.refresh_from_db()
    assert item.status == Status.DONE


def test_escalate_shows_on_the_upper_units_supervision_board_then_close(world, client_for, item):
    admin = client_for(world.city_admin)
    assert 'data-testid="escalate"' not in admin.get(item.get_absolute_url()).content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        admin = client_for(world.city_admin)  # a new session: the old one expired meanwhile
        page = admin.get(item.get_absolute_url()).content.decode()
        assert 'data-testid="overdue-badge"' in page and 'data-testid="escalate"' in page
        # The district researcher is not above the district: no button, and refused.
        researcher = client_for(world.district_researcher)
        assert (
            'data-testid="escalate"' not in researcher.get(item.get_absolute_url()).content.decode()
        )
        researcher.post(f"/ledger/items/{item.pk}/escalate/", {"reason": "逾期"})
        assert not Supervision.objects.exists()
        admin.post(f"/ledger/items/{item.pk}/escalate/", {"reason": "逾期未完成"})
        sup = Supervision.objects.get()
        board = admin.get("/ledger/supervision/").content.decode()
        assert item.title in board and "逾期未完成" in board
        assert item.title in admin.get("/ledger/?board=supervision").content.decode()
        assert (
            item.title
            not in client_for(world.outsider).get("/ledger/supervision/").content.decode()
        )
        page = admin.get(item.get_absolute_url()).content.decode()
        assert (
            'data-testid="supervision-badge"' in page and 'data-testid="close-supervision"' in page
        )
        admin.post(f"/ledger/supervisions/{sup.pk}/close/", {"note": "已督促完成"})
        sup.refresh_from_db()
        assert sup.closed_at is not None
        assert item.title not in admin.get("/ledger/supervision/").content.decode()


def test_two_concurrent_progress_reports_are_both_kept(world, client_for, item):
    # Both forms were loaded before either was sent: neither overwrites the other.
    principal = client_for(world.principal)
    researcher = client_for(world.district_researcher)
    principal.post(f"/ledger/items/{item.pk}/report/", {"text": "学校已完成初稿", "percent": "40"})
    researcher.post(f"/ledger/items/{item.pk}/report/", {"text": "中心已审阅", "percent": "50"})
    texts = list(ProgressReport.objects.filter(item=item).values_list("text", flat=True))
    assert texts == ["学校已完成初稿", "中心已审阅"]
    page = principal.get(item.get_absolute_url()).content.decode()
    assert "学校已完成初稿" in page and "中心已审阅" in page


def test_filters_and_kanban(world, client_for, make_item):
    a = make_item("甲事项", tags="新课标", priority="high")
    b = make_item("乙事项", tags="双减")
    c = make_item(
        "丙事项", responsible_unit=world.schools["school_b"].org_unit, responsible_person=None
    )
    services.report_progress(actor=world.district_researcher, item=b, text="推进", percent=30)
    d = make_item("丁事项")
    services.cancel(actor=world.district_researcher, item=d, reason="不再需要")
    client = client_for(world.district_researcher)

    def titles(query):
        page = client.get("/ledger/?board=unit&" + query).context["page"]
        return sorted(i.title for i in page)

    assert titles("") == ["丙事项", "乙事项", "甲事项"]  # cancelled hidden
    assert titles("status=cancelled") == ["丁事项"]
    assert titles("tag=新课标") == ["甲事项"]
    assert titles("status=in_progress") == ["乙事项"]
    assert titles("priority=high") == ["甲事项"]
    assert titles("q=丙") == ["丙事项"]
    assert titles(f"unit={world.schools['school_b'].org_unit.pk}") == ["丙事项"]
    assert titles("unit=999999&due_from=bad") == ["丙事项", "乙事项", "甲事项"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        client = client_for(world.district_researcher)
        assert titles("status=overdue") == ["丙事项", "乙事项", "甲事项"]
        kanban = client.get("/ledger/?board=unit&view=kanban")
        cols = {c["status"]: [i.title for i in c["items"]] for c in kanban.context["columns"]}
        assert list(cols) == ["not_started", "in_progress", "done", "verified"]
        assert sorted(cols["not_started"]) == ["丙事项", "甲事项"] and cols["in_progress"] == [
            "乙事项"
        ]
        html = kanban.content.decode()
        assert 'data-testid="overdue-badge"' in html and "丁事项" not in html
        counts = kanban.context["counts"]
        assert counts["overdue"] == 3 and counts["cancelled"] == 1
    assert a.pk and c.pk


def test_hostile_title_is_escaped(world, client_for, make_item):
    item = make_item('<script>alert("x")</script><img src=x onerror=alert(1)>')
    for url in (item.get_absolute_url(), "/ledger/?board=unit", "/ledger/?board=unit&view=kanban"):
        html = client_for(world.district_researcher).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_nav_and_home_panel(world, client_for, make_item):
    make_item("三天后到期", due_on=timezone.localdate() + dt.timedelta(days=3))
    html = client_for(world.principal).get("/").content.decode()
    assert 'data-testid="home-ledger"' in html and "三天后到期" in html
    assert "/ledger/" in html
    assert "/ledger/supervision/" not in html  # a principal does not supervise
    admin = client_for(world.city_admin).get("/").content.decode()
    assert "/ledger/supervision/" in admin


@pytest.mark.parametrize("board", ["mine", "unit", "assigned", "supervision"])
def test_every_board_answers(world, client_for, item, board):
    for user in ("city_admin", "district_researcher", "principal", "teacher", "superuser"):
        resp = client_for(world.users[user]).get(f"/ledger/?board={board}")
        assert resp.status_code == 200
