"""Exports: every table to .xlsx (core's writer), the school report to .docx (python-docx).
Headers and labels here are document text in Chinese (like sheet headers)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import timezone

from jiaoyan.core.sheets import write_table_xlsx

from .models import GroupStat, Level
from .queries import SchoolReport
from .stats import BANDS


def num(x, digits: int = 2):
    return None if x is None else round(float(x), digits)


def pct(x, digits: int = 2):
    return None if x is None else round(100 * float(x), digits)


def text_num(x, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def text_pct(x, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


STAT_HEADERS = [
    "参考人数",
    "缺考人数",
    "平均分",
    "标准差",
    "最高分",
    "最低分",
    "中位数",
    "优秀率(%)",
    "良好率(%)",
    "及格率(%)",
    "低分率(%)",
    "全科合格率(%)",
    "比均率(区县)",
    "比均率(全市)",
    "Z分数",
    "T分数",
    "名次",
    "综合得分",
]


def stat_cells(r: GroupStat) -> list:
    return [
        r.n,
        r.absent,
        num(r.mean),
        num(r.sd),
        num(r.max_score),
        num(r.min_score),
        num(r.median),
        pct(r.excellent_rate),
        pct(r.good_rate),
        pct(r.pass_rate),
        pct(r.low_rate),
        pct(r.all_pass_rate),
        num(r.ratio_county, 4),
        num(r.ratio_city, 4),
        num(r.z, 4),
        num(r.t, 2),
        f"{r.rank}/{r.peers}" if r.rank else None,
        num(r.composite),
    ]


def rows_xlsx(rows: Iterable[GroupStat], level: str, *, title: str, sheet: str) -> bytes:
    if level == Level.CLASS:
        head = ["学校代码", "学校", "班级"]
    elif level == Level.SCHOOL:
        head = ["学校代码", "学校", "区县"]
    else:
        head = ["单位代码", "单位"]

    def lead(r: GroupStat) -> list:
        if level == Level.CLASS:
            return [r.org_unit.code, r.org_unit.name, r.class_name]
        if level == Level.SCHOOL:
            return [r.org_unit.code, r.org_unit.name, r.county.name if r.county_id else ""]
        return [r.org_unit.code, r.org_unit.name]

    return write_table_xlsx(
        head + STAT_HEADERS,
        ([*lead(r), *stat_cells(r)] for r in rows),
        sheet_title=sheet,
        title=title,
        widths=[14, 26, 12] + [10] * len(STAT_HEADERS),
    )


def items_xlsx(items, paper, *, title: str) -> bytes:
    rows = [
        [
            i.item.label,
            i.item.full_marks,
            num(i.mean),
            num(i.difficulty, 3),
            num(i.discrimination, 3),
            num(i.item_total_r, 3),
        ]
        for i in items
    ]
    if paper is not None:
        rows.append([])
        rows.append(["Cronbach α", num(paper.alpha, 4)])
        if paper.kr20 is not None:
            rows.append(["KR-20", num(paper.kr20, 4)])
    return write_table_xlsx(
        ["题目", "满分", "平均分", "难度P", "区分度D", "题总相关r"],
        rows,
        sheet_title="题目分析",
        title=title,
        widths=[12, 8, 10, 10, 10, 12],
    )


def band_labels() -> list[str]:
    return [f"{10 * b}–{10 * (b + 1)}%" for b in range(BANDS)]


# --- the school report as .docx ------------------------------------------------------


def school_report_docx(rep: SchoolReport) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
    exam, school = rep.exam, rep.school
    title = doc.add_heading(f"{school.name} · {exam.name} 质量分析报告", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        f"考试：{exam.name}（{exam.get_kind_display()}，{exam.date:%Y年%m月%d日}，"
        f"{exam.stage.name}{exam.grade}年级）；组织单位：{exam.org_unit.name}。"
        f"报告生成于 {timezone.localtime():%Y-%m-%d %H:%M}。"
    )

    def table(headers: list[str], data: list[list]):
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        for c, h in enumerate(headers):
            t.rows[0].cells[c].text = h
        for row in data:
            cells = t.add_row().cells
            for c, v in enumerate(row):
                cells[c].text = "—" if v is None or v == "" else str(v)
        return t

    doc.add_heading("一、各学科总体情况", level=2)
    data = []
    for r in rep.rows:
        subj = r.subject.name if r.subject_id else "总分"
        county = rep.refs_county.get(r.subject_id)
        city = rep.refs_all.get(r.subject_id)
        data.append(
            [
                subj,
                r.n,
                text_num(r.mean),
                text_num(county.mean if county else None),
                text_num(city.mean if city else None),
                text_num(r.ratio_city, 3),
                text_pct(r.excellent_rate),
                text_pct(r.pass_rate),
                text_pct(r.low_rate),
                f"{r.rank}/{r.peers}" if r.rank else "—",
                text_num(r.t),
            ]
        )
    table(
        [
            "学科",
            "参考",
            "平均分",
            "区县均分",
            "全市均分",
            "比均率",
            "优秀率",
            "及格率",
            "低分率",
            "名次",
            "T分数",
        ],
        data,
    )
    total = next((r for r in rep.rows if r.subject_id is None), None)
    if total is not None and total.all_pass_rate is not None:
        doc.add_paragraph(
            f"全科合格率：{text_pct(total.all_pass_rate)}；综合得分（三率一分）：{text_num(total.composite)}。"
        )
    shown = [r for r in rep.rows if r.subject_id and r.t is not None]
    if shown:
        best = max(shown, key=lambda r: r.t)
        worst = min(shown, key=lambda r: r.t)
        doc.add_paragraph(
            f"相对优势学科：{best.subject.name}（T={best.t:.1f}）；相对薄弱学科：{worst.subject.name}（T={worst.t:.1f}）。"
        )

    doc.add_heading(
        f"二、各班级情况（{rep.class_subject.name if rep.class_subject else '总分'}）", level=2
    )
    table(
        ["班级", "参考", "平均分", "比均率(校)", "优秀率", "及格率", "低分率", "校内名次"],
        [
            [
                c.class_name,
                c.n,
                text_num(c.mean),
                text_num(c.ratio_school, 3),
                text_pct(c.excellent_rate),
                text_pct(c.pass_rate),
                text_pct(c.low_rate),
                f"{c.rank}/{c.peers}" if c.rank else "—",
            ]
            for c in rep.classes
        ],
    )
    if rep.strongest and rep.weakest:
        doc.add_paragraph(
            f"均分最高的班级：{rep.strongest.class_name}（{text_num(rep.strongest.mean)}）；"
            f"最低的班级：{rep.weakest.class_name}（{text_num(rep.weakest.mean)}）。"
        )
    if any(c.mean is None and c.n for c in rep.classes):
        doc.add_paragraph("注：参考人数少于10人的班级不显示统计结果（隐私保护）。")

    if total is not None and total.bands:
        doc.add_heading("三、总分分数段分布", level=2)
        city = rep.refs_all.get(None)
        table(
            ["分数段（占满分）", "本校人数", "本校占比", "全市占比"],
            [
                [
                    label,
                    total.bands[b],
                    text_pct(total.bands[b] / total.n if total.n else None),
                    text_pct(city.bands[b] / city.n if city and city.n and city.bands else None),
                ]
                for b, label in enumerate(band_labels())
            ],
        )

    if rep.trend:
        doc.add_heading("四、历次考试总分走势", level=2)
        table(
            ["考试", "日期", "平均分", "T分数", "名次"],
            [
                [
                    t["exam"].name,
                    f"{t['exam'].date:%Y-%m-%d}",
                    text_num(t["mean"]),
                    text_num(t["t"]),
                    f"{t['rank']}/{t['peers']}" if t["rank"] else "—",
                ]
                for t in rep.trend
            ],
        )

    doc.add_heading("附：指标说明", level=2)
    cut = exam.cutoffs()
    w = exam.weights()
    for line in [
        "平均分、标准差（总体标准差 σ=√(Σ(x−x̄)²/N)）按实际参考学生计算；空白或“缺考”记为缺考。",
        f"优秀、良好、及格、低分线分别为满分的 {cut['excellent']:.0%}、{cut['good']:.0%}、"
        f"{cut['pass']:.0%}、{cut['low']:.0%}；"
        "达到分数线即计入（低分指低于低分线）。",
        "比均率 = 本组平均分 ÷ 参照平均分（区县或全市）；超均率 = 比均率 − 1。",
        "Z = (本组平均分 − 全体考生平均分) ÷ 全体考生标准差；T = 50 + 10Z。",
        f"综合得分 = 100 ×（{w['mean']}×平均分/满分 + {w['excellent']}×优秀率 + "
        f"{w['pass']}×及格率 + {w['low']}×(1−低分率)）。",
    ]:
        doc.add_paragraph(line, style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
