"""The ledger as bureaus keep it in Excel: the sample sheet (shared/data/ledger.xlsx, see
its README), the template, re-imports, and the board's export imported back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiaoyan.core.sheets import template_xlsx
from jiaoyan.ledger.models import Item, Source, Status
from jiaoyan.ledger.sheets import LedgerSheet, parse_deadline
from tests.support import error_cells, import_bytes, import_sample, read_xlsx, xlsx_bytes

HEADERS = ["序号", "工作事项", "责任单位", "责任人", "完成时限", "进展情况", "备注"]


def test_sample_reports_exactly_its_two_errors_and_writes_nothing(world):
    result = import_sample("ledger", "ledger.xlsx", actor=world.city_admin)
    assert error_cells(result) == [(10, "责任单位"), (12, "工作事项")]
    assert "不存在的单位" in result.errors[0].message
    assert not result.written and not Item.objects.exists()


def test_sample_valid_rows_import_then_reimport_changes_nothing(world):
    result = import_sample("ledger", "ledger.xlsx", actor=world.city_admin, valid_only=True)
    assert result.ok and result.created == 10 and len(result.errors) == 2
    items = {i.title: i for i in Item.objects.select_related("responsible_unit")}
    assert len(items) == 10
    assert {i.org_unit for i in items.values()} == {world.units["city_bureau"]}
    assert all(i.source == Source.IMPORT for i in items.values())
    first = items["组建市、区、镇、校四级教研团队"]
    assert first.responsible_unit == world.units["linwei_bureau"]
    assert first.status == Status.DONE and first.percent == 100
    assert first.due_on == dt.date(2024, 3, 31)  # the Excel date serial 45382
    assert first.responsible_name == "王磊" and first.responsible_person is None
    assert items["开展新课标专题研修"].due_on == dt.date(2024, 6, 30)
    assert items["开展新课标专题研修"].status == Status.IN_PROGRESS
    assert items["完善教研员考核评价办法"].due_on == dt.date(2024, 9, 30)
    assert items["完善教研员考核评价办法"].status == Status.NOT_STARTED
    assert items["建立教研成果推广机制"].due_on == dt.date(2024, 12, 31)
    assert items["建立教研成果推广机制"].responsible_unit == world.units["city_institute"]
    assert items["开展送教下乡活动"].due_on is None  # 长期
    assert "落实推门听课制度" not in items
    again = import_sample("ledger", "ledger.xlsx", actor=world.city_admin, valid_only=True)
    assert again.created == 0 and again.updated == 0 and again.unchanged == 10
    assert Item.objects.count() == 10


def test_responsible_person_matched_by_name_in_the_unit(world):
    data = xlsx_bytes(
        [
            HEADERS,
            [1, "报送作业设计案例", "临渭区第一初级中学", "张老师", "2030-06-30", "推进中", ""],
            [2, "整理课例", "临渭区第一初级中学", "不认识的人", "长期", "已收集十个课例", "x"],
        ]
    )
    result = import_bytes("ledger", data, "l.xlsx", actor=world.district_researcher)
    assert result.ok and result.created == 2, result.errors
    a = Item.objects.get(title="报送作业设计案例")
    assert a.responsible_person == world.people["teacher"]
    assert a.org_unit == world.units["linwei_institute"]  # the importer's own unit
    b = Item.objects.get(title="整理课例")
    assert b.responsible_person is None and b.responsible_name == "不认识的人"
    assert b.status == Status.IN_PROGRESS and b.latest_progress == "已收集十个课例"


def test_units_outside_the_importers_scope_are_unknown(world):
    data = xlsx_bytes([HEADERS, [1, "事项", "华州区第一小学", "", "长期", "未启动", ""]])
    result = import_bytes("ledger", data, "l.xlsx", actor=world.district_researcher)
    assert error_cells(result) == [(2, "责任单位")] and not Item.objects.exists()


def test_bad_deadline_cell_is_a_row_error():
    with pytest.raises(Exception, match="长期"):
        parse_deadline("下个月")
    assert parse_deadline("长期") == {"due_on": None}
    assert parse_deadline("2024年6月30日") == {"due_on": dt.date(2024, 6, 30)}


def test_template_has_the_chinese_headers(world):
    content = template_xlsx(LedgerSheet(actor=world.city_admin))
    assert read_xlsx(content)[0] == HEADERS


def test_board_export_layout_and_it_reimports_cleanly(world, client_for, make_item):
    make_item("甲事项", tags="新课标")
    make_item("乙事项", due_on=None)
    client = client_for(world.district_researcher)
    resp = client.get("/ledger/?board=assigned&export=xlsx")
    assert resp.status_code == 200
    rows = read_xlsx(resp.content)
    assert rows[1] == HEADERS
    body = {r[1]: r for r in rows[2:]}
    assert body["甲事项"][2] == "临渭区第一初级中学" and body["甲事项"][3] == "李校长"
    assert body["甲事项"][4].date() == timezone.localdate() + dt.timedelta(days=10)
    assert body["甲事项"][5] == "未启动" and body["乙事项"][4] == "长期"
    result = import_bytes("ledger", resp.content, "export.xlsx", actor=world.district_researcher)
    assert result.ok and result.unchanged == 2 and result.created == result.updated == 0


def test_import_page_runs_a_job_into_the_chosen_unit(
    world, client_for, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.support import sample

    client = client_for(world.city_admin)
    assert client.get("/ledger/import/").status_code == 200
    upload = SimpleUploadedFile("ledger.xlsx", sample("ledger.xlsx"))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/ledger/import/",
            {"org_unit": world.units["city_institute"].pk, "file": upload, "mode": "valid_only"},
        )
    assert resp.status_code == 302
    assert Item.objects.filter(org_unit=world.units["city_institute"]).count() == 10
    assert client_for(world.teacher).get("/ledger/import/").status_code == 403
