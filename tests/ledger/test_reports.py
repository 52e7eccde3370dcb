"""The monthly supervision report (月督查) and the quarterly assessment (季考核): exact
lists, counts and scores of a small quarter of 临渭区."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiaoyan.ledger import reports, services

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, year: int = 2024):
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=TZ), tick=False)


def test_score_rule():
    assert reports.score(3, 1, 1) == 72.0
    assert reports.score(1, 2, 0) == 73.3
    assert reports.score(0, 0, 2) == 0.0
    assert reports.score(4, 0, 0) == 100.0
    assert reports.score(0, 0, 0) is None


def test_periods_and_bad_input():
    q = reports.quarter_period("2024-q4")
    assert (q.start, q.end, q.code) == (dt.date(2024, 10, 1), dt.date(2024, 12, 31), "2024-Q4")
    m = reports.month_period("2024-02")
    assert (m.start, m.end) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    for bad in ("2024-Q5", "x", "2024-13"):
        with pytest.raises(Exception, match="请选择"):
            (reports.quarter_period if "Q" in bad else reports.month_period)(bad)


@pytest.fixture
def quarter(world):
    """Items of 临渭区's institute due in 2024-Q4, done on time, late, or not at all."""
    w = world
    R, city, principal = w.users["district_researcher"], w.users["city_admin"], w.users["principal"]
    a, b = w.schools["school_a"].org_unit, w.schools["school_b"].org_unit

    def item(title, due, unit):
        return services.create_item(
            actor=R,
            org_unit=w.units["linwei_institute"],
            title=title,
            responsible_unit=unit,
            due_on=due,
        )

    def done(it, month, day, hour=10):
        with at(month, day, hour):
            services.report_progress(actor=R, item=it, text="完成", percent=100)

    with at(10, 1):
        items = {
            "a1": item("按时完成的事项", dt.date(2024, 10, 20), a),
            "a2": item("逾期完成的事项", dt.date(2024, 10, 20), a),
            "a3": item("逾期未完成的事项", dt.date(2024, 11, 10), a),
            "a4": item("最后一天深夜完成", dt.date(2024, 12, 31), b),
            "a5": item("下季度到期", dt.date(2025, 1, 20), a),
            "a6": item("月底后才完成", dt.date(2024, 11, 15), b),
            "b1": item("中心自己的事项", dt.date(2024, 11, 30), w.units["linwei_institute"]),
            "c1": item("取消的事项", dt.date(2024, 11, 1), a),
        }
        services.create_item(
            actor=w.users["outsider"],
            org_unit=w.units["huazhou_bureau"],
            title="华州区逾期事项",
            responsible_unit=w.schools["school_c"].org_unit,
            due_on=dt.date(2024, 10, 15),
        )
    done(items["a1"], 10, 18)
    with at(10, 22):
        services.escalate(actor=city, item=items["a2"], reason="十月督办")
    done(items["a2"], 10, 25)
    with at(10, 26):
        services.cancel(actor=R, item=items["c1"], reason="不再需要")
    with at(11, 15):
        services.escalate(actor=city, item=items["a3"], reason="逾期")
    with at(11, 20):
        services.escalate(actor=city, item=items["a6"], reason="逾期")
    done(items["b1"], 11, 29)
    done(items["a6"], 12, 5)
    done(items["a4"], 12, 31, hour=23)  # late at night, still the deadline day
    assert principal  # the school side is told; nothing else needed here
    return items


def test_quarterly_scores_are_exact(world, quarter):
    with at(1, 10, year=2025):
        data = reports.quarterly_assessment(
            world.users["district_researcher"],
            world.units["linwei"],
            reports.quarter_period("2024-Q4"),
        )
    rows = {r["unit"].name: r for r in data["rows"]}
    renmin = rows["人民街道"]
    assert (renmin["on_time"], renmin["late"], renmin["overdue"], renmin["due"]) == (2, 2, 1, 5)
    assert renmin["score"] == 64.0  # 100 × (2 + 0.6 × 2) ÷ 5
    institute = rows["临渭区教师发展中心"]
    assert (institute["on_time"], institute["due"], institute["score"]) == (1, 1, 100.0)
    assert rows["临渭区教育局"]["score"] is None and rows["临渭区教育局"]["rank"] is None
    assert [r["unit"].name for r in data["rows"]] == [
        "临渭区教师发展中心",
        "人民街道",
        "临渭区教育局",
    ]
    assert [r["rank"] for r in data["rows"]] == [1, 2, None]
    assert (data["on_time"], data["late"], data["overdue"], data["score"]) == (3, 2, 1, 70.0)
    # Items not yet due are shown but not counted against anyone.
    with at(1, 10, year=2025):
        q1 = reports.quarterly_assessment(
            world.users["district_researcher"],
            world.units["linwei"],
            reports.quarter_period("2025-Q1"),
        )
    renmin = next(r for r in q1["rows"] if r["unit"].name == "人民街道")
    assert (renmin["pending"], renmin["due"], renmin["score"]) == (1, 0, None)


def test_monthly_lists_are_exact(world, quarter):
    with at(1, 10, year=2025):
        data = reports.monthly_supervision(
            world.users["district_researcher"],
            world.units["linwei"],
            reports.month_period("2024-11"),
        )
    assert data["ref"] == dt.date(2024, 12, 1)
    assert [(r["unit"].name, r["overdue"], r["escalated"]) for r in data["rows"]] == [
        ("临渭区教育局", 0, 0),
        ("临渭区教师发展中心", 0, 0),
        ("人民街道", 2, 2),
    ]
    assert {i.title for i in data["overdue"]} == {"逾期未完成的事项", "月底后才完成"}
    assert {s.item.title for s in data["escalated"]} == {"逾期未完成的事项", "月底后才完成"}
    with at(1, 10, year=2025):
        october = reports.monthly_supervision(
            world.users["city_admin"], world.units["city"], reports.month_period("2024-10")
        )
    rows = {r["unit"].name: r for r in october["rows"]}
    assert (rows["临渭区"]["overdue"], rows["临渭区"]["escalated"]) == (0, 1)
    assert (rows["华州区"]["overdue"], rows["华州区"]["escalated"]) == (1, 0)
    assert [s.item.title for s in october["escalated"]] == ["逾期完成的事项"]


def test_report_pages(world, quarter, client_for):
    c = client_for(world.users["district_researcher"])
    linwei = world.units["linwei"].pk
    with at(1, 10, year=2025):
        r = c.get(reverse("ledger:quarterly") + f"?unit={linwei}&quarter=2024-Q4")
        html = r.content.decode()
        assert r.status_code == 200
        assert "得分 = 100 × (按时完成 + 0.6 × 逾期完成) ÷ 到期事项数" in html
        assert "64.0" in html and "不计分" in html
        r = c.get(reverse("ledger:quarterly") + f"?unit={linwei}&quarter=2024-Q4&export=xlsx")
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        values = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
        assert values[0] == [1, "临渭区教师发展中心", 1, 1, 0, 0, 0, 100]
        assert values[1] == [2, "人民街道", 5, 2, 2, 1, 0, 64]
        r = c.get(reverse("ledger:monthly") + f"?unit={linwei}&month=2024-11")
        html = r.content.decode()
        assert r.status_code == 200 and "月督查" in html
        assert html.count('data-testid="overdue-item"') == 2
        assert html.count('data-testid="escalated-item"') == 2
        r = c.get(reverse("ledger:monthly") + f"?unit={linwei}&month=2024-11&export=xlsx")
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        lists = [row[0].value for row in ws.iter_rows(min_row=3)]
        assert sorted(lists) == ["督办", "督办", "逾期", "逾期"]
        r = c.get(reverse("ledger:monthly") + f"?unit={linwei}&month=2024-13")
        assert r.status_code == 200 and "请选择月份" in r.content.decode()
    outsider = client_for(world.users["outsider"])
    assert outsider.get(reverse("ledger:monthly") + f"?unit={linwei}").status_code == 404
    assert outsider.get(reverse("ledger:quarterly") + f"?unit={linwei}").status_code == 404
    assert client_for(world.users["teacher"]).get(reverse("ledger:monthly")).status_code == 403
    nav = client_for(world.users["principal"]).get(reverse("ledger:quarterly")).content.decode()
    assert "督查考核" in nav and "简报" in nav


def test_report_pages_query_count_does_not_grow(world, quarter, client_for):
    c = client_for(world.users["city_admin"])
    city = world.units["city"].pk
    urls = [
        reverse("ledger:monthly") + f"?unit={city}&month=2024-11",
        reverse("ledger:quarterly") + f"?unit={city}&quarter=2024-Q4",
        reverse("ledger:brief_list"),
    ]

    def counts():
        out = []
        with at(1, 10, year=2025):
            for url in urls:
                c.get(url)  # warm the per-process caches
                with CaptureQueriesContext(connection) as ctx:
                    assert c.get(url).status_code == 200
                out.append(len(ctx.captured_queries))
        return out

    before = counts()
    R = world.users["district_researcher"]
    with at(10, 1):
        more = [
            services.create_item(
                actor=R,
                org_unit=world.units["linwei_institute"],
                title=f"补充事项{i}",
                responsible_unit=world.schools["school_b" if i % 2 else "school_a"].org_unit,
                due_on=dt.date(2024, 11, 5),
            )
            for i in range(6)
        ]
    with at(11, 12):
        for it in more[:3]:
            services.escalate(actor=world.users["city_admin"], item=it, reason="逾期")
    assert counts() == before
