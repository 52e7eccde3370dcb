"""The resource indicators of the 优质均衡 standard whose inter-school balance is measured.

《县域义务教育优质均衡发展督导评估办法》(教育部 2017) 第七条 lists seven resource
indicators, each a ratio to the school's students; schools send the raw quantities (the
sheet's columns below) and the indicator is derived: count ÷ students × 100 ("per 100
students") or quantity ÷ students ("per student").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    key: str
    header: str  # the sheet column (raw quantity)
    label: str
    per: int  # 100: per 100 students; 1: per student
    unit: str


INDICATORS = [
    Indicator(
        "teachers_above_qualification",
        "高于规定学历教师数",
        _("Teachers above the required qualification per 100 students"),
        100,
        "人",
    ),
    Indicator(
        "key_teachers",
        "县级及以上骨干教师数",
        _("County-level or higher key teachers per 100 students"),
        100,
        "人",
    ),
    Indicator(
        "pe_art_teachers",
        "体育艺术专任教师数",
        _("PE and art (music, fine art) teachers per 100 students"),
        100,
        "人",
    ),
    Indicator(
        "teaching_area",
        "教学及辅助用房面积",
        _("Teaching and auxiliary floor area per student"),
        1,
        "m²",
    ),
    Indicator("sports_area", "体育运动场馆面积", _("Sports ground area per student"), 1, "m²"),
    Indicator(
        "equipment_value", "教学仪器设备值", _("Teaching equipment value per student"), 1, "元"
    ),
    Indicator(
        "multimedia_classrooms",
        "网络多媒体教室数",
        _("Networked multimedia classrooms per 100 students"),
        100,
        "间",
    ),
]
BY_KEY = {i.key: i for i in INDICATORS}
BY_HEADER = {i.header: i for i in INDICATORS}


def indicator_value(ind: Indicator, raw: float | None, students: int) -> float | None:
    """The indicator of one school: raw ÷ students × per (None without data)."""
    if raw is None or not students:
        return None
    return raw / students * ind.per
