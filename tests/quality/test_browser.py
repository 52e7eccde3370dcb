"""A bureau admin imports a small exam from .xlsx (an import job: its page shows the
progress, then the report), waits for the analysis, opens a school report, downloads it
as .docx and the subject table as .xlsx — in Chromium."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from tests.quality.helpers import dataset, header, make_exam, xlsx_bytes


@pytest.mark.browser
def test_import_analyse_and_download(transactional_db, world, page, login, live_server, tmp_path):
    exam = make_exam(world, name="2025年渭南市中考（演练）")
    rows = dataset(world)
    sheet = tmp_path / "成绩.xlsx"
    sheet.write_bytes(
        xlsx_bytes(
            [header(with_name=True), *[[*r[:5], "某某", *r[5:]] for r in rows]],
            title="2025年中考成绩",
        )
    )

    login(page, "city_admin")
    page.goto(f"{live_server.url}/quality/{exam.pk}/")
    page.get_by_test_id("no-scores").wait_for()
    page.set_input_files("[data-testid=score-upload] input[type=file]", str(sheet))
    page.get_by_test_id("upload-scores").click()
    # the upload is an import job: its page polls until the report is there
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    page.locator('#import-status[data-status="succeeded"]').wait_for(timeout=30000)
    page.get_by_test_id("import-ok").wait_for()
    assert str(len(rows)) in page.get_by_test_id("import-ok").inner_text()
    assert "姓名" in page.get_by_test_id("import-notice").first.inner_text()
    page.get_by_test_id("back-to-target").click()

    # the analysis runs in the background; the page polls until it is there
    page.get_by_test_id("school-table").wait_for(timeout=30000)
    assert page.get_by_test_id("names-dropped").is_visible()
    page.get_by_test_id("school-table").get_by_role("link", name="临渭区第一初级中学").click()
    page.get_by_test_id("school-subjects").wait_for()
    assert page.locator("[data-chart]").count() >= 2

    with page.expect_download() as dl:
        page.get_by_test_id("download-docx").click()
    doc = Document(io.BytesIO(Path(dl.value.path()).read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "临渭区第一初级中学" in text and "质量分析报告" in text
    assert doc.tables[0].rows[1].cells[0].text == "语文"

    page.goto(f"{live_server.url}/quality/{exam.pk}/subjects/total/")
    page.get_by_test_id("ranked-table").wait_for()
    with page.expect_download() as dl:
        page.get_by_test_id("export-subject").click()
    ws = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    assert dl.value.suggested_filename.endswith(".xlsx")
    assert ws.cell(2, 1).value == "学校代码"
    names = {ws.cell(r, 2).value for r in range(3, ws.max_row + 1)}
    assert names == {"临渭区第一初级中学", "临渭区第二小学", "华州区第一小学"}
