"""Class rosters for screening (kind ``students``): 学生编号, 姓名, 性别, 出生日期, 学校代码,
年级, 班级. The student key (学生编号) is the natural key; names are stored encrypted;
a file holds restricted data (its original is not kept, its report is read with the
wellbeing permission)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import audit, cells, restricted, stamps
from jiaoyan.core.sheets import Column, Row, RowError, SheetKind, WriteCounts, register
from jiaoyan.orgs.models import OrgUnit

from .models import FIGURES_STUDENTS, Student

GENDER_READ = {"男": Student.Gender.MALE, "女": Student.Gender.FEMALE}
GENDER_SHEET = {v: k for k, v in GENDER_READ.items()}

GRADES: dict[str, int] = {}
for _n, _name in enumerate(
    ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"], 1
):
    GRADES[f"{_name}年级"] = _n
for _i, _c in enumerate("一二三", 1):
    GRADES[f"初{_c}"] = 6 + _i
    GRADES[f"高{_c}"] = 9 + _i
GRADE_SHEET = {
    n: f"{name}年级"
    for n, name in enumerate(
        ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"], 1
    )
}


def parse_grade(raw: Any) -> int | None:
    if cells.is_blank(raw):
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw <= 12:
        return int(raw)
    text = cells.compact(raw)
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    if re.fullmatch(r"\d{1,2}年级", text) and 1 <= int(text[:-2]) <= 12:
        return int(text[:-2])
    if text in GRADES:
        return GRADES[text]
    raise cells.CellError(_("is not a grade (一年级 … 十二年级, 初一 … 高三)"))


def parse_class(raw: Any) -> str | None:
    """``（2）班``, ``(2)班``, ``2`` and ``2班`` are all ``2班``."""
    if cells.is_blank(raw):
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return f"{int(raw)}班"
    text = cells.nfkc(cells.compact(raw)).replace("(", "").replace(")", "")
    if text.isdigit():
        return f"{int(text)}班"
    m = re.fullmatch(r"(\d+)班", text)
    if m:
        return f"{int(m[1])}班"
    if not text or len(text) > 30:
        raise cells.CellError(_("is not a class"))
    return text


def parse_birth(raw: Any) -> dt.date | None:
    value = cells.date(raw)
    if value is not None and value > timezone.localdate():
        raise cells.CellError(_("is in the future"))
    return value


@register
class StudentSheet(SheetKind):
    kind = "students"
    model = Student
    label = _lazy("Students (screening roster)")
    sheet_title = "学生名册"
    key_column = "key"
    restricted = restricted.WELLBEING
    columns = [
        Column("学生编号", "key", partial(cells.code, max_length=40), required=True, width=14),
        Column("姓名", "name", cells.text, required=True, width=10),
        Column(
            "性别",
            "gender",
            cells.one_of(GENDER_READ, ["男", "女"]),
            required=True,
            choices=["男", "女"],
            width=6,
        ),
        Column("出生日期", "birth_date", parse_birth, width=12),
        Column("学校代码", "school", partial(cells.code, max_length=20), required=True, width=14),
        Column("年级", "grade", parse_grade, required=True, width=8),
        Column("班级", "class_name", parse_class, required=True, width=8),
    ]

    def prepare(self, rows: list[Row]) -> None:
        self.schools = self.resolver(
            OrgUnit, queryset=OrgUnit.objects.filter(level=OrgUnit.Level.SCHOOL), keys=("code",)
        )
        codes = {r.values.get("school") for r in rows if r.values.get("school")}
        self.schools.prefetch(codes)
        keys = [r.values["key"] for r in rows if r.values.get("key")]
        self.existing = {(s.school_id, s.key): s for s in Student.objects.filter(key__in=keys)}

    def check(self, row: Row, errors: list[RowError]) -> None:
        v = row.values
        if not v.get("school"):
            return
        school = self.referenced(row, errors, self.schools, "school")
        if school is None:
            return
        probe = Student(school=school)
        if not self.allowed("import", probe):
            errors.append(
                RowError(
                    row.number,
                    self.header_of("school"),
                    _(
                        "you may not import students of this school (it needs the wellbeing "
                        "permission)"
                    ),
                    v["school"],
                )
            )
            return
        row.extra["school"] = school

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        counts = WriteCounts()
        new, changed, logs = [], [], []
        fields = ("name", "gender", "birth_date", "grade", "class_name")
        for r in rows:
            v = r.values
            school = r.extra["school"]
            old = self.existing.get((school.pk, v["key"]))
            if old is None:
                s = Student(school=school, key=v["key"], **{f: v[f] for f in fields})
                new.append(s)
                continue
            if all(getattr(old, f) == v[f] for f in fields):
                counts.unchanged += 1
                continue
            for f in fields:
                setattr(old, f, v[f])
            old.updated_at = timezone.now()
            changed.append(old)
        Student.objects.bulk_create(new, batch_size=2000)
        if changed:
            Student.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=2000)
            stamps.bump(FIGURES_STUDENTS)  # a grade, class or gender counted in figures
        for s in new:
            logs.append(
                audit.build(
                    self.actor,
                    s,
                    audit.AuditLog.Action.IMPORT_CREATE,
                    {"key": [None, s.key]},
                    message=job_label,
                    unit_path=s.school.path,
                )
            )
        for s in changed:
            logs.append(
                audit.build(
                    self.actor,
                    s,
                    audit.AuditLog.Action.IMPORT_UPDATE,
                    {"key": [s.key, s.key]},
                    message=job_label,
                    unit_path=s.school.path,
                )
            )
        audit.AuditLog.objects.bulk_create(logs, batch_size=2000)
        counts.created = len(new)
        counts.updated = len(changed)
        return counts

    def export_queryset(self):
        if self.actor is None:
            return Student.objects.select_related("school")
        return Student.objects.visible_to(self.actor).select_related("school")

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for s in queryset.order_by("school__code", "grade", "class_name", "key"):
            yield [
                s.key,
                s.name,
                GENDER_SHEET.get(s.gender, ""),
                s.birth_date,
                s.school.code,
                GRADE_SHEET.get(s.grade, s.grade),
                s.class_name,
            ]
