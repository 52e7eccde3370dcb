"""The hours statement (学时证明): a person's current cycle on one A4 page, as a PDF."""

from __future__ import annotations

import datetime as dt

from jiaoyan.core import pdf

from . import rules

#: Records listed on the page; the rest are summed in one line (one page, always).
MAX_ROWS = 24


def statement_pdf(
    person, cycle, progress: rules.Progress | None, records: list, *, today: dt.date
) -> bytes:
    """One page: the person, the cycle's progress (hours and credits, by category and by
    year) and its latest records."""
    title = "继续教育学时证明"
    head = f"{person.name}（{person.staff_no}） {person.org_unit.name}"
    lines: list[str] = []
    if progress is None:
        lines.append("尚无学时周期。")
    else:
        lines.append(
            f"周期 {progress.start_year}—{progress.end_year}：已计 {progress.earned} / "
            f"{progress.required} 学时（{progress.credits} / {progress.required_credits} 学分），"
            f"剩余 {progress.years_left} 年"
        )
        if progress.capped:
            lines.append(f"超出年度上限未计入 {progress.capped} 学时")
        cats = "；".join(
            f"{c.name or '其他'} {c.counted}" + (f"/{c.minimum}" if c.minimum else "")
            for c in progress.categories
        )
        if cats:
            lines.append(f"分类：{cats}")
        years = "；".join(f"{y}年 {v}" for y, v in progress.by_year)
        lines.append(f"分年度：{years}")
    rows = [
        (f"{r.date:%Y-%m-%d}", r.title[:40], r.get_kind_display(), f"{r.hours}")
        for r in records[:MAX_ROWS]
    ]
    rest = records[MAX_ROWS:]
    footer = f"{today.year}年{today.month}月{today.day}日 由教研平台生成"
    texts = [title, head, *lines, footer, "日期项目类别学时其余条共计"]
    texts += [" ".join(r) for r in rows]
    doc = pdf.document(texts)
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.set_font_size(20)
    doc.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font_size(12)
    doc.cell(0, 9, head, new_x="LMARGIN", new_y="NEXT")
    doc.set_font_size(10)
    for line in lines:
        doc.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    widths = (26, 110, 34, 20)
    doc.set_font_size(10)
    for w, h in zip(widths, ("日期", "项目", "类别", "学时"), strict=True):
        doc.cell(w, 7, h, border=1)
    doc.ln()
    doc.set_font_size(9)
    for row in rows:
        for w, value in zip(widths, row, strict=True):
            doc.cell(w, 6, value, border=1)
        doc.ln()
    if rest:
        total = sum((r.hours for r in rest), start=0)
        doc.cell(sum(widths), 6, f"其余 {len(rest)} 条，共计 {total} 学时", border=1)
        doc.ln()
    doc.set_xy(10, 280)
    doc.set_font_size(9)
    doc.cell(0, 6, footer, align="R")
    return doc.bytes()
