"""The .docx summary of a work record (工作纪实): a title, the period, a paragraph of the
year's figures, a table of the figures and one of the schools observed or visited. Every
count is written as plain digits so the text read back (python-docx) carries them."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .queries import WorkRecord


def work_record_docx(rec: WorkRecord) -> bytes:
    from .views import _record_rows  # the rows of the .xlsx, written once

    doc = Document()
    person = rec.profile.person
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{person.name}工作纪实")
    run.bold = True
    run.font.size = Pt(18)
    doc.add_paragraph(
        f"{rec.profile.org_unit.name}　{rec.start:%Y年%m月%d日}至{rec.end:%Y年%m月%d日}"
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER
    cov = rec.coverage()
    share = f"{rec.liaison_share}%" if rec.liaison_share is not None else "—"
    doc.add_paragraph(
        f"本期组织教研活动{rec.organised}场，参加活动{rec.attended}场；"
        f"听评课{rec.observed}节，其中在联系学校{rec.observed_in_liaison}节（占{share}）；"
        f"联系学校{len(rec.liaison_rows)}所，听过课{cov['observed']}所、仅走访{cov['visited']}所、"
        f"未到过{cov['untouched']}所；负责台账事项{rec.ledger_total}项，"
        f"已完成{rec.ledger_done}项，按期完成{rec.ledger_on_time}项；"
        f"驻校蹲点{rec.residency_days}天、走访{rec.visits}次；"
        f"授课培训{rec.training_given}学时，参加培训{rec.training_received}学时。"
    )
    rows = _record_rows(rec)
    table = doc.add_table(rows=len(rows) + 1, cols=2)
    table.style = "Table Grid"
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "数值"
    for i, row in enumerate(rows, 1):
        table.cell(i, 0).text = str(row["label"])
        table.cell(i, 1).text = "—" if row["value"] is None else str(row["value"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
