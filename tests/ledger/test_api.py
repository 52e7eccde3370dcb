"""The ledger API (/api/v1/ledger/…): boards and filters, create and change with locking,
progress reports, verify / send back / cancel / escalate, supervisions; the same scope as
the pages (another district's items answer 404) and a fixed number of queries per list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiaoyan.ledger import services
from jiaoyan.ledger.models import Item, ProgressReport, Status, Supervision
from tests.support import CJK, zh

JSON = "application/json"


def _due(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def item(world):
    return services.create_item(
        actor=world.users["district_researcher"],
        org_unit=world.units["linwei_institute"],
        title="完成七年级数学新课标教研计划",
        responsible_unit=world.schools["school_a"].org_unit,
        responsible_person=world.people["principal"],
        due_on=_due(10),
        collaborators=[world.schools["school_b"].org_unit],
        tags="新课标、双减",
    )


def _other(world, title="落实双减作业设计评比", days=30, **over):
    data = {
        "actor": world.users["district_researcher"],
        "org_unit": world.units["linwei_institute"],
        "title": title,
        "responsible_unit": world.schools["school_b"].org_unit,
        "due_on": _due(days),
        "tags": "双减",
    }
    data.update(over)
    return services.create_item(**data)


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.content
    return [i["id"] for i in resp.json()["items"]]


def test_list_and_detail(world, item, api_for):
    api = api_for(world.users["principal"])
    data = api.get("/api/v1/ledger/items").json()
    assert data["count"] == 1
    row = data["items"][0]
    assert row["id"] == item.pk and row["org_unit"] == world.units["linwei_institute"].pk
    assert row["responsible_unit"] == world.schools["school_a"].org_unit.pk
    assert row["responsible_name"] == "李校长"
    assert row["tags"] == ["双减", "新课标"]
    assert row["collaborators"] == [world.schools["school_b"].org_unit.pk]
    assert row["status"] == "not_started" and row["overdue"] is False
    detail = api.get(f"/api/v1/ledger/items/{item.pk}").json()
    assert detail["title"] == item.title and detail["version"] == 1
    assert detail["assigned_by"] == world.users["district_researcher"].pk


def test_boards_and_filters(world, item, api_for):
    other = _other(world)
    researcher = api_for(world.users["district_researcher"])
    principal = api_for(world.users["principal"])
    assert _ids(principal.get("/api/v1/ledger/items?board=mine")) == [item.pk]
    assert _ids(principal.get("/api/v1/ledger/items?board=unit")) == [item.pk]
    assert _ids(principal.get("/api/v1/ledger/items?board=assigned")) == []
    assert _ids(researcher.get("/api/v1/ledger/items?board=assigned")) == [item.pk, other.pk]
    assert _ids(researcher.get("/api/v1/ledger/items?board=mine")) == []
    url = "/api/v1/ledger/items?responsible_unit={}".format(world.schools["school_b"].org_unit.pk)
    assert _ids(researcher.get(url)) == [other.pk]
    assert _ids(researcher.get("/api/v1/ledger/items?tag=新课标")) == [item.pk]
    assert _ids(researcher.get(f"/api/v1/ledger/items?due_from={_due(20)}")) == [other.pk]
    assert _ids(researcher.get(f"/api/v1/ledger/items?due_to={_due(20)}")) == [item.pk]
    assert _ids(researcher.get("/api/v1/ledger/items?status=overdue")) == []
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        assert _ids(researcher.get("/api/v1/ledger/items?status=overdue")) == [item.pk]
        row = researcher.get(f"/api/v1/ledger/items/{item.pk}").json()
        assert row["overdue"] is True
    assert _ids(researcher.get("/api/v1/ledger/items?status=not_started")) == [item.pk, other.pk]


def test_bad_query_parameters_are_4xx(world, item, api_for):
    api = api_for(world.users["district_researcher"])
    for url in (
        "/api/v1/ledger/items?status=late",
        "/api/v1/ledger/items?board=everyone",
        "/api/v1/ledger/items?due_from=2024-13-45",
        "/api/v1/ledger/items?responsible_unit=abc",
        "/api/v1/ledger/items/abc",
        "/api/v1/ledger/supervisions?state=maybe",
    ):
        resp = api.get(url)
        assert 400 <= resp.status_code < 500, (url, resp.status_code)
        assert "detail" in resp.json()


def test_create_and_bad_input(world, api_for):
    api = api_for(world.users["district_researcher"])
    payload = {
        "org_unit": world.units["linwei_institute"].pk,
        "title": "开展数学新课标专题教研",
        "responsible_unit": world.schools["school_a"].org_unit.pk,
        "responsible_person": world.people["teacher"].pk,
        "due_on": _due(20).isoformat(),
        "collaborators": [world.schools["school_b"].org_unit.pk],
        "tags": ["新课标", "教学视导"],
        "priority": "high",
    }
    resp = api.post("/api/v1/ledger/items", payload, content_type=JSON)
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["number"] == 1 and data["priority"] == "high"
    assert data["responsible_name"] == "张老师" and data["tags"] == ["教学视导", "新课标"]
    assert Item.objects.count() == 1
    bad = [
        ({"due_on": _due(-1).isoformat()}, "due_on"),
        ({"title": "  "}, "title"),
        ({"responsible_unit": world.schools["school_c"].org_unit.pk}, "unit"),
        ({"collaborators": [999999]}, "unit"),
        ({"responsible_person": world.people["teacher_c"].pk}, "person"),
    ]
    for change, _what in bad:
        resp = api.post("/api/v1/ledger/items", {**payload, **change}, content_type=JSON)
        expected = 400 if _what in ("due_on", "title") else 422  # references: unresolved
        assert resp.status_code == expected, (change, resp.content)
        assert CJK.search(resp.json()["detail"]), resp.json()
    past = api.post(
        "/api/v1/ledger/items", {**payload, "due_on": _due(-1).isoformat()}, content_type=JSON
    )
    assert (
        zh(
            "The deadline %(date)s is in the past; choose today or a later day.",
            date=_due(-1).isoformat(),
        )
        in past.json()["detail"]
    )
    # A teacher assigns nothing; another district's unit is not there at all.
    teacher = api_for(world.users["teacher"])
    own = {**payload, "org_unit": world.schools["school_a"].org_unit.pk}
    own["responsible_unit"] = own["org_unit"]
    own["collaborators"] = []
    assert teacher.post("/api/v1/ledger/items", own, content_type=JSON).status_code == 403
    assert teacher.post("/api/v1/ledger/items", payload, content_type=JSON).status_code == 422
    outside = {**payload, "org_unit": world.units["huazhou_bureau"].pk}
    assert api.post("/api/v1/ledger/items", outside, content_type=JSON).status_code == 422
    assert Item.objects.count() == 1


def test_update_with_version_and_stale_conflict(world, item, api_for):
    api = api_for(world.users["district_researcher"])
    url = f"/api/v1/ledger/items/{item.pk}"
    resp = api.patch(
        url,
        {"title": "完成七年级数学新课标教研计划（修订）", "tags": ["新课标"], "version": 1},
        content_type=JSON,
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["version"] == 2 and resp.json()["tags"] == ["新课标"]
    stale = api.patch(url, {"title": "别人的旧表单", "version": 1}, content_type=JSON)
    assert stale.status_code == 409
    assert CJK.search(stale.json()["detail"])
    item.refresh_from_db()
    assert item.title.endswith("（修订）") and item.version == 2
    # The responsible principal sees the item but may not change it.
    principal = api_for(world.users["principal"])
    assert principal.patch(url, {"title": "x"}, content_type=JSON).status_code == 403


def test_progress_reports_and_percent_over_100(world, item, api_for):
    api = api_for(world.users["principal"])
    url = f"/api/v1/ledger/items/{item.pk}/progress"
    resp = api.post(url, {"text": "已制定初稿", "percent": 40}, content_type=JSON)
    assert resp.status_code == 201, resp.content
    assert resp.json()["percent"] == 40 and resp.json()["org_unit"] == item.org_unit_id
    over = api.post(url, {"text": "超额完成", "percent": 120}, content_type=JSON)
    assert over.status_code == 400
    assert over.json()["detail"] == zh(
        "Progress must be between 0 and 100 (%(value)s was given).", value=120
    )
    assert CJK.search(over.json()["detail"])
    assert ProgressReport.objects.filter(item=item).count() == 1
    item.refresh_from_db()
    assert item.percent == 40 and item.status == Status.IN_PROGRESS
    history = api.get(url).json()
    assert history["count"] == 1 and history["items"][0]["text"] == "已制定初稿"
    # Someone who is not on the responsible side cannot report.
    teacher = api_for(world.users["teacher"])
    assert teacher.get(url).status_code == 200  # sees it (the school's item) …
    assert teacher.post(url, {"text": "x", "percent": 10}, content_type=JSON).status_code == 400


def test_done_send_back_verify_cancel(world, item, api_for):
    principal = api_for(world.users["principal"])
    researcher = api_for(world.users["district_researcher"])
    base = f"/api/v1/ledger/items/{item.pk}"
    principal.post(f"{base}/progress", {"text": "全部完成", "percent": 100}, content_type=JSON)
    assert researcher.get(base).json()["status"] == "done"
    # The responsible side may not verify its own work.
    assert principal.post(f"{base}/verify", content_type=JSON).status_code == 403
    back = researcher.post(f"{base}/send-back", {"reason": "缺少附件"}, content_type=JSON)
    assert back.status_code == 200 and back.json()["status"] == "in_progress"
    assert researcher.post(f"{base}/verify", content_type=JSON).status_code == 400
    principal.post(f"{base}/progress", {"text": "补充附件", "percent": 100}, content_type=JSON)
    version = researcher.get(base).json()["version"]
    stale = researcher.post(f"{base}/verify", {"version": version - 1}, content_type=JSON)
    assert stale.status_code == 409
    body = {"note": "验收通过", "version": version}
    ok = researcher.post(f"{base}/verify", body, content_type=JSON)
    assert ok.status_code == 200 and ok.json()["status"] == "verified"
    kinds = [r["kind"] for r in researcher.get(f"{base}/progress").json()["items"]]
    assert kinds == ["progress", "returned", "progress", "verified"]
    other = _other(world)
    cancel = researcher.post(
        f"/api/v1/ledger/items/{other.pk}/cancel", {"reason": "工作调整"}, content_type=JSON
    )
    assert cancel.status_code == 200 and cancel.json()["cancel_reason"] == "工作调整"
    empty = researcher.post(
        f"/api/v1/ledger/items/{item.pk}/cancel", {"reason": ""}, content_type=JSON
    )
    assert empty.status_code == 400  # verified: refused, and a reason is required anyway


def test_escalation_and_supervision_board(world, item, api_for):
    admin = api_for(world.users["city_admin"])
    researcher = api_for(world.users["district_researcher"])
    url = f"/api/v1/ledger/items/{item.pk}/escalate"
    early = admin.post(url, {"reason": "进度滞后"}, content_type=JSON)
    assert early.status_code == 400 and CJK.search(early.json()["detail"])  # not overdue yet
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        refused = researcher.post(url, {"reason": "逾期"}, content_type=JSON)
        assert refused.status_code == 400  # the assigning side is not the unit above
        resp = admin.post(url, {"reason": "逾期未完成"}, content_type=JSON)
        assert resp.status_code == 201, resp.content
        sup = resp.json()
        assert sup["unit"] == world.units["city_bureau"].pk and sup["is_open"]
        assert sup["org_unit"] == item.org_unit_id and sup["item"] == item.pk
        again = admin.post(url, {"reason": "再次督办"}, content_type=JSON)
        assert again.status_code == 400
        board = admin.get("/api/v1/ledger/supervisions?supervising=true").json()
        assert [s["id"] for s in board["items"]] == [sup["id"]]
        supervised = admin.get("/api/v1/ledger/items?board=supervision").json()
        assert [i["id"] for i in supervised["items"]] == [item.pk]
        # The assigning district sees the supervision of its item, but it is not its board.
        assert researcher.get(f"/api/v1/ledger/supervisions/{sup['id']}").status_code == 200
        assert researcher.get("/api/v1/ledger/supervisions?supervising=true").json()["count"] == 0
        close_url = f"/api/v1/ledger/supervisions/{sup['id']}/close"
        assert researcher.post(close_url, {"note": "x"}, content_type=JSON).status_code == 400
        closed = admin.post(close_url, {"note": "已约谈，限期完成"}, content_type=JSON)
        assert closed.status_code == 200 and closed.json()["is_open"] is False
    assert admin.get("/api/v1/ledger/supervisions").json()["count"] == 0
    assert admin.get("/api/v1/ledger/supervisions?state=closed").json()["count"] == 1
    item.refresh_from_db()
    assert item.supervised_by is None


def test_other_district_gets_404_and_changes_nothing(world, item, api_for):
    services.report_progress(actor=world.users["principal"], item=item, text="进展", percent=30)
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        sup = services.escalate(actor=world.users["city_admin"], item=item, reason="逾期")
        before = Item.objects.filter(pk=item.pk).values().get()
        outsider = api_for(world.users["outsider"])
        base = f"/api/v1/ledger/items/{item.pk}"
        assert outsider.get("/api/v1/ledger/items").json()["count"] == 0
        assert outsider.get("/api/v1/ledger/supervisions?state=all").json()["count"] == 0
        assert outsider.get(base).status_code == 404
        assert outsider.get(f"{base}/progress").status_code == 404
        assert outsider.patch(base, {"title": "改"}, content_type=JSON).status_code == 404
        for action, body in (
            ("progress", {"text": "x", "percent": 50}),
            ("verify", {}),
            ("send-back", {"reason": "x"}),
            ("cancel", {"reason": "x"}),
            ("escalate", {"reason": "x"}),
        ):
            resp = outsider.post(f"{base}/{action}", body, content_type=JSON)
            assert resp.status_code == 404, (action, resp.status_code)
        assert outsider.get(f"/api/v1/ledger/supervisions/{sup.pk}").status_code == 404
        close = outsider.post(
            f"/api/v1/ledger/supervisions/{sup.pk}/close", {"note": "x"}, content_type=JSON
        )
        assert close.status_code == 404
        assert Item.objects.filter(pk=item.pk).values().get() == before
        assert ProgressReport.objects.filter(item=item).count() == 2  # progress + escalated
        assert Supervision.objects.get(pk=sup.pk).closed_at is None


def test_list_query_count_does_not_grow(world, item, api_for):
    api = api_for(world.users["city_admin"])
    url = "/api/v1/ledger/items?limit=50"
    api.get(url)  # warm the token and content-type caches

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            resp = api.get(url)
        assert resp.status_code == 200
        return len(ctx.captured_queries), resp.json()["count"]

    one = count()
    assert one[1] == 1
    for i in range(20):
        _other(
            world,
            title=f"事项{i}",
            collaborators=[world.schools["school_a"].org_unit, world.units["renmin"]],
            tags=f"标签{i} 双减",
            responsible_person=world.people["teacher_b"],
        )
    many = count()
    assert many[1] == 21
    # token, scopes, count, page, tags, collaborators
    assert many[0] == one[0] == 6, (one, many)
