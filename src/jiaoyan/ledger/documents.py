"""The .docx of a brief, in the usual 简报 layout: a big red centred title, the issue
number (期号; a draft says so instead), a line with the editing unit on the left and the
date on the right, a red rule, then the sections, the chart (a PNG drawn with Pillow) and
a small table of the figures. Every count is written as plain digits, so the text read
back (python-docx) carries the figures.

The chart uses a CJK font when the machine has one (``CJK_FONTS``); otherwise its bars are
numbered and the legend (number → name) is printed in Chinese under the image.
"""

from __future__ import annotations

import io
import os
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .briefs import chart_data
from .models import Brief

RED = RGBColor(0xC0, 0x00, 0x00)
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)


@cache
def cjk_font_path() -> str | None:
    return next((p for p in CJK_FONTS if os.path.exists(p)), None)


def _font(size: int, *, cjk: bool):
    from PIL import ImageFont

    path = cjk_font_path() if cjk else None
    if path:
        return ImageFont.truetype(path, size)
    try:
        return ImageFont.load_default(size)
    except TypeError:  # an old Pillow without sizes
        return ImageFont.load_default()


def chart_png(title: str, bars: list[tuple[str, int]]) -> tuple[bytes, str]:
    """A bar chart as PNG, and the legend to print under it ("" when the labels are drawn
    in the image itself)."""
    from PIL import Image, ImageDraw

    cjk = cjk_font_path() is not None
    width, height = 1200, 600
    left, right, top, bottom = 90, 40, 90, 110
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    label_font, small = _font(26, cjk=cjk), _font(22, cjk=cjk)
    if cjk:
        draw.text((width // 2, 40), title, fill=(33, 37, 41), font=_font(34, cjk=True), anchor="mm")
    top_value = max([v for _n, v in bars] + [1])
    step = max(1, -(-top_value // 5))
    top_value = step * 5
    plot_h = height - top - bottom
    x0, y0 = left, height - bottom
    for i in range(6):
        y = y0 - plot_h * i // 5
        draw.line([(x0, y), (width - right, y)], fill=(222, 226, 230), width=1)
        draw.text((x0 - 12, y), str(step * i), fill=(73, 80, 87), font=small, anchor="rm")
    draw.line([(x0, y0), (width - right, y0)], fill=(73, 80, 87), width=2)
    n = max(len(bars), 1)
    slot = (width - left - right) / n
    bar_w = min(120, slot * 0.6)
    colours = [(32, 107, 196), (47, 179, 68), (245, 159, 0), (214, 57, 57), (174, 62, 201)]
    for i, (name, value) in enumerate(bars):
        cx = left + slot * (i + 0.5)
        h = plot_h * value / top_value
        draw.rectangle(
            [(cx - bar_w / 2, y0 - h), (cx + bar_w / 2, y0)], fill=colours[i % len(colours)]
        )
        draw.text((cx, y0 - h - 8), str(value), fill=(33, 37, 41), font=label_font, anchor="md")
        label = name if cjk else str(i + 1)
        fits = max(2, int(slot // 24))
        if cjk and len(label) > fits:
            label = label[: fits - 1] + "…"
        draw.text((cx, y0 + 14), label, fill=(33, 37, 41), font=small, anchor="ma")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    legend = ""
    if not cjk:
        legend = "；".join(f"{i + 1} {name}" for i, (name, _v) in enumerate(bars))
    return buf.getvalue(), legend


def _set_font(run, *, size: float | None = None, bold: bool = False, color=None, name="SimSun"):
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color


def _red_rule(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "18")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "C00000")
    borders.append(bottom)
    ppr.append(borders)


def _chinese_date(day) -> str:
    return _("%(y)d-%(m)d-%(d)d") % {"y": day.year, "m": day.month, "d": day.day}


def render(brief: Brief) -> bytes:
    """The brief as a .docx file (bytes)."""
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(p.add_run(brief.title), size=30, bold=True, color=RED, name="SimHei")

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number = (
        _("Issue %(n)d") % {"n": brief.number}
        if brief.state == Brief.State.ISSUED and brief.number
        else _("Draft")
    )
    _set_font(p.add_run(number), size=16)

    day = timezone.localtime(brief.issued_at).date() if brief.issued_at else timezone.localdate()
    p = doc.add_paragraph()
    width = section.page_width - section.left_margin - section.right_margin
    p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    _set_font(p.add_run(_("Edited by %(unit)s") % {"unit": brief.editor}), size=12)
    _set_font(p.add_run("\t" + _chinese_date(day)), size=12)
    _red_rule(p)

    figures = brief.content.get("figures", {})
    week = figures.get("week", {})
    if week:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(
            p.add_run(
                _("Week of %(start)s to %(end)s") % {"start": week["start"], "end": week["end"]}
            ),
            size=11,
            color=RGBColor(0x59, 0x59, 0x59),
        )

    for s in brief.content.get("sections", []):
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(10)
        _set_font(p.add_run(s["heading"]), size=15, bold=True, name="SimHei")
        for line in (s.get("body") or "").split("\n"):
            if line.strip():
                para = doc.add_paragraph()
                para.paragraph_format.first_line_indent = Pt(24)
                _set_font(para.add_run(line.strip()), size=12)
        if s["key"] == "activities" and figures:
            _add_chart(doc, figures, width)
    if figures:
        _add_table(doc, figures)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _add_chart(doc, figures: dict, width) -> None:
    title, bars = chart_data(figures)
    png, legend = chart_png(title, bars)
    doc.add_picture(io.BytesIO(png), width=width)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = doc.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text = _("Figure: %(title)s") % {"title": title}
    if legend:
        text += "（" + legend + "）"
    _set_font(caption.add_run(text), size=10.5)


def _add_table(doc, figures: dict) -> None:
    a, led, o = figures["activities"], figures["ledger"], figures["observations"]
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(10)
    _set_font(p.add_run(_("Figures of the week")), size=12, bold=True, name="SimHei")
    rows = [
        (_("Research activities held"), a["total"]),
        (_("Check-ins"), a["participants"]),
        (_("Ledger items completed"), led["done"]),
        (_("Ledger items overdue"), led["overdue"]),
        (_("Newly supervised"), led["escalated"]),
        (_("New ledger items"), led["new"]),
        (_("Lesson observations submitted"), o["total"]),
    ]
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.rows[0].cells
    head[0].text, head[1].text = _("Figure"), _("Count")
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text = str(label)
        cells[1].text = str(value)
