"""The quality imports as sheet kinds, so they run as import jobs (progress in the page, the
report by row and column, "import the valid rows only") and from the command line:

    jiaoyan import scores 成绩.xlsx --param exam=5
    jiaoyan import item_scores 数学小题分.xlsx --param exam=5 --param subject=数学
    jiaoyan import balance_inputs 均衡指标.xlsx

They read and check the file with the core machinery (:func:`jiaoyan.core.sheets.import_columns`):
a score sheet's columns are its exam's (one per subject), an item sheet's are the file's
(one per item, with the full marks in the row under the header). The valid rows are written
by the services (:mod:`.services`), whose ``import_*`` verbs — what the API calls — run
these same kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property, partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import cells
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.restricted import STUDENT_DATA
from jiaoyan.core.scope import can
from jiaoyan.core.sheets import (
    Column,
    ImportResult,
    Param,
    Row,
    RowError,
    SheetKind,
    WriteCounts,
    register,
)
from jiaoyan.core.tabular import Table, TableError, normalise_header, read_table
from jiaoyan.orgs.models import OrgUnit

from . import services
from .indicators import INDICATORS
from .models import BalanceInput, Candidate, Exam, ExamSubject
from .reader import format_number, score
from .services import CLASS, EXAM_NO, GENDER, GENDERS, NAME, SCHOOL_CODE, STUDENT_KEY

NAMES_DROPPED = _lazy(
    "The 姓名 (name) column was dropped: student names are not needed and are not stored."
)


def _class_name(raw: Any) -> str:
    name = cells.nfkc(cells.text(raw)).strip()
    if len(name) > 30:
        raise cells.CellError(_("is longer than %(n)d characters") % {"n": 30})
    return name


def _gender(raw: Any) -> str:
    return "" if cells.is_blank(raw) else cells.choice(raw, GENDERS)


def _as_is(raw: Any) -> Any:
    return raw


_exam_no = partial(cells.code, max_length=32)


class QualitySheet(SheetKind):
    """A quality import: its report says when the file changed nothing and when the
    analysis it changed is computed in the background."""

    analysed = True  # a written import schedules the exam's analysis
    filename = ""  # named in the audit log

    def import_file(self, data: bytes, filename: str, **options: Any) -> ImportResult:
        self.filename = filename
        result = super().import_file(data, filename, **options)
        if result.imported and not (result.created or result.updated):
            result.notices.append(
                _("The file holds the same %(n)s rows as the last import: nothing changed.")
                % {"n": result.imported}
            )
        if result.written and self.analysed:
            result.notices.append(_("The exam's analysis is being computed in the background."))
        return result


class ExamSheet(QualitySheet):
    """A sheet whose rows belong to one exam, given as the parameter ``exam`` (its id)."""

    model = Exam  # the exam's "import" rule says who may import
    restricted = STUDENT_DATA  # students' rows: the file and its report too
    columns: list[Column] = []  # they depend on the exam
    key_column = "exam_no"
    params = (
        Param(
            "exam",
            _lazy("exam"),
            help="the exam's number, as in its page's address /quality/<number>/",
        ),
    )

    exam: Exam

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        values = super().clean_params(raw)
        try:
            pk = int(cells.nfkc(str(values["exam"])).strip())
        except ValueError:
            raise ServiceError(
                _("The exam is given by its number (id), e.g. exam=5."), field="params"
            ) from None
        qs = Exam.objects.select_related("org_unit")
        if self.actor is not None:
            qs = qs.visible_to(self.actor)
        exam = qs.filter(pk=pk).first()
        if exam is None:
            # Out of scope reads as absent, as a 404 does.
            raise ServiceError(
                _("There is no exam number %(id)d in your scope.") % {"id": pk}, field="params"
            )
        if self.actor is not None and not can(self.actor, "import", exam):
            raise PermissionDenied(
                _("You may not import into the exam “%(exam)s”.") % {"exam": exam.name}
            )
        self.exam = exam
        values["exam"] = exam.pk
        return values

    def describe(self) -> str:
        return self.exam.name

    def owner_unit_id(self) -> int | None:
        # The exam's owner: its admins see the job beside the one who started it.
        return self.exam.org_unit_id

    @classmethod
    def target_url(cls, values: Mapping[str, Any]) -> str:
        exam = values.get("exam")
        return reverse("quality:exam_detail", args=[exam]) if isinstance(exam, int) else ""

    def drop_names(self, table: Table, result: ImportResult) -> bool:
        """Student names are not stored: a 姓名 column is dropped, and said so."""
        headers = [*table.columns, *table.ignored_headers]
        if not any(normalise_header(h) == NAME for h in headers):
            return False
        result.notices.append(str(NAMES_DROPPED))
        return True


@register
class ScoreSheet(ExamSheet):
    """An exam's score sheet: 考号, 学校代码, 班级, optional 性别 and 学籍号, one column per
    subject. A re-import replaces the exam's students; the same file again changes nothing.
    Its export writes the exam's rows in the same columns (a student's page of one school
    exports through it), so the file imports back."""

    kind = "scores"
    label = _lazy("Exam scores")
    sheet_title = "成绩"
    aliases = services.SCORE_ALIASES
    ignored_notice = _lazy("Columns not used by the analysis were ignored: %(cols)s")

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        values = super().clean_params(raw)
        # The exam's own columns, as its template has them (one per subject).
        self.subjects = list(self.exam.subjects.order_by("order", "id"))
        self.columns = [
            Column(EXAM_NO, "exam_no", _exam_no, required=True),
            Column(SCHOOL_CODE, "school", self._school, required=True),
            Column(CLASS, "class_name", _class_name, required=True, width=10),
            Column(GENDER, "gender", _gender, width=8),
            Column(STUDENT_KEY, "student_key", partial(cells.code, max_length=40), unique=True),
            *[
                Column(
                    s.name,
                    f"subject_{s.pk}",
                    partial(score, full_marks=s.full_marks),
                    header_required=False,  # a missing subject is said below
                    width=10,
                )
                for s in self.subjects
            ],
        ]
        return values

    @cached_property
    def schools(self) -> dict[str, int]:
        """The schools of the exam's region, by code."""
        return dict(
            OrgUnit.objects.filter(
                kind=OrgUnit.Kind.SCHOOL, path__under=self.exam.org_unit.path
            ).values_list("code", "pk")
        )

    def _school(self, raw: Any) -> int:
        code = cells.code(raw)
        if code not in self.schools:
            raise cells.CellError(
                _("“%(code)s” is not a school of %(unit)s")
                % {"code": code, "unit": self.exam.org_unit.name}
            )
        return self.schools[code]

    def read_file(self, data: bytes, filename: str, result: ImportResult) -> Table:
        table = self.table(data, filename)
        missing = [s.name for s in self.subjects if s.name not in table.columns]
        if missing:
            raise TableError(
                _(
                    "The sheet has no column for the subject(s): %(s)s. Every subject of the "
                    "exam needs its own column (header = subject name)."
                )
                % {"s": "、".join(missing)}
            )
        self.names_dropped = self.drop_names(table, result)
        ignored = [h for h in table.ignored_headers if normalise_header(h) != NAME]
        self.notice_ignored(result, ignored)
        return table

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        subjects = [f"subject_{s.pk}" for s in self.subjects]
        return services.store_scores(
            actor=self.actor,
            exam=self.exam,
            rows=[
                (
                    r.values["exam_no"],
                    r.values["student_key"] or r.values["exam_no"],
                    r.values["school"],
                    r.values["class_name"],
                    r.values["gender"],
                    [r.values[key] for key in subjects],
                )
                for r in rows
            ],
            names_dropped=self.names_dropped,
            filename=self.filename,
            dry_run=self.dry_run,
        )

    def export_queryset(self):
        qs = Candidate.objects.filter(exam=self.exam).select_related("school")
        qs = qs.order_by("school__path", "class_name", "exam_no")
        return qs if self.actor is None else qs.visible_to(self.actor)

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        gender = {value: word for word, value in GENDERS.items()}
        for c in queryset.iterator(chunk_size=2000):
            yield [
                c.exam_no,
                c.school.code,
                c.class_name,
                gender.get(c.gender, ""),
                c.student_key,
                *c.scores,
            ]


#: the score sheet's columns other than 考号: an item sheet's items are its other columns
NOT_ITEMS = [SCHOOL_CODE, CLASS, GENDER, STUDENT_KEY, NAME]


@register
class ItemScoreSheet(ExamSheet):
    """One subject's item scores: 考号, then one column per item (题1, 题2 …); the row
    right under the header, with 满分 in the 考号 column, gives each item's full marks. A
    row of blanks or with 缺考 is an absent student; a blank item in a row that has scores
    is 0 (an unanswered question). A re-import replaces the subject's items. Parameters:
    ``exam`` and ``subject`` (its name)."""

    kind = "item_scores"
    label = _lazy("Item scores")
    sheet_title = "小题分"
    aliases = {"准考证号": EXAM_NO}
    params = (
        *ExamSheet.params,
        Param("subject", _lazy("subject"), help="the subject's name in the exam, e.g. 数学"),
    )

    subject: ExamSubject

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        values = super().clean_params(raw)
        name = cells.nfkc(str(values["subject"])).strip()
        subjects = list(self.exam.subjects.order_by("order", "id"))
        subject = next((s for s in subjects if s.name == name), None) or next(
            (s for s in subjects if normalise_header(s.name) == normalise_header(name)), None
        )
        if subject is None:
            raise ServiceError(
                _("The exam “%(exam)s” has no subject “%(subject)s”; its subjects are: %(all)s.")
                % {
                    "exam": self.exam.name,
                    "subject": name,
                    "all": "、".join(s.name for s in subjects),
                },
                field="params",
            )
        self.subject = subject
        values["subject"] = subject.name
        return values

    def describe(self) -> str:
        return f"{self.exam.name} · {self.subject.name}"

    def read_file(self, data: bytes, filename: str, result: ImportResult) -> Table:
        table = read_table(
            data, filename, headers=[EXAM_NO, *NOT_ITEMS], required=[EXAM_NO], aliases=self.aliases
        )
        self.drop_names(table, result)
        seen: set[str] = set()
        for _col, label in table.others:
            key = normalise_header(label)
            if key in seen:
                raise TableError(_("The header “%(h)s” appears twice.") % {"h": key})
            seen.add(key)
        if not table.others:
            raise TableError(_("The sheet has no item columns (题1, 题2 … after 考号)."))
        if len(table.others) > 200:
            raise TableError(_("A paper has at most 200 items."))
        self.columns = [
            Column(EXAM_NO, "exam_no", _exam_no, required=True),
            *[Column(label, f"item_{i}", _as_is) for i, (_col, label) in enumerate(table.others)],
        ]
        table.columns.update({label: col for col, label in table.others})
        if not table.rows or cells.compact(table.cell(table.rows[0][1], EXAM_NO)) != "满分":
            raise TableError(
                _(
                    "The row right under the header must give each item's full marks, with 满分 "
                    "in the 考号 column."
                )
            )
        self.full_marks = self._full_marks(table, *table.rows.pop(0), result)
        if result.errors:
            return table
        total = sum(self.full_marks)
        if abs(total - self.subject.full_marks) > 1e-6:
            result.notices.append(
                _("The items' full marks add up to %(sum)s, the subject's full marks are %(full)s.")
                % {"sum": format_number(total), "full": format_number(self.subject.full_marks)}
            )
        self.candidates = dict(
            Candidate.objects.filter(exam=self.exam).values_list("exam_no", "pk")
        )
        if not self.candidates:
            raise TableError(
                _("Import the exam's score sheet first: item scores are matched on 考号.")
            )
        return table

    def _full_marks(
        self, table: Table, number: int, values: list[Any], result: ImportResult
    ) -> list[float]:
        full: list[float] = []
        for col in self.columns[1:]:
            raw = table.cell(values, col.header)
            try:
                value = cells.number(raw, minimum=0)
            except cells.CellError as e:
                result.errors.append(RowError(number, col.header, str(e), cells.text(raw)[:20]))
                continue
            if not value:
                result.errors.append(
                    RowError(number, col.header, _("the item's full marks must be above 0"))
                )
                continue
            full.append(value)
        return full

    def check(self, row: Row, errors: list[RowError]) -> None:
        exam_no = row.values["exam_no"]
        row.extra["candidate"] = self.candidates.get(exam_no)
        if row.extra["candidate"] is None:
            message = _("“%(no)s” is not in the exam's score sheet") % {"no": exam_no}
            errors.append(RowError(row.number, EXAM_NO, message, exam_no))
            return
        items = self.columns[1:]
        raws = [row.values[c.key] for c in items]
        if all(cells.is_blank(r) for r in raws) or any(
            isinstance(r, str) and cells.compact(r) == "缺考" for r in raws
        ):
            row.extra["scores"] = None  # absent
            return
        scores: list[float] = []
        for col, raw, full in zip(items, raws, self.full_marks, strict=True):
            try:
                value = score(raw, full)
            except cells.CellError as e:
                errors.append(RowError(row.number, col.header, str(e), cells.text(raw)[:20]))
                continue
            scores.append(0.0 if value is None else value)
        row.extra["scores"] = scores

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        return services.store_item_scores(
            actor=self.actor,
            exam=self.exam,
            subject=self.subject,
            items=[
                (c.header, full) for c, full in zip(self.columns[1:], self.full_marks, strict=True)
            ],
            rows=[(r.extra["candidate"], r.extra["scores"]) for r in rows],
            filename=self.filename,
            dry_run=self.dry_run,
        )


@register
class BalanceInputSheet(QualitySheet):
    """The schools' inputs to the resource indicators of the balance standard: 学校代码,
    学生数, then any of the indicator columns (see :mod:`.indicators`). Re-importing the
    same file changes nothing."""

    kind = "balance_inputs"
    model = BalanceInput
    label = _lazy("Balance inputs of schools")
    sheet_title = "均衡指标"
    key_column = "school_code"
    aliases = {"在校生数": "学生数"}
    analysed = False
    columns = [
        Column(SCHOOL_CODE, "school_code", cells.code, required=True),
        Column("学生数", "students", partial(cells.integer, minimum=1), required=True, width=10),
        *[
            Column(
                i.header, i.key, partial(cells.number, minimum=0), help=f"单位：{i.unit}", width=18
            )
            for i in INDICATORS
        ],
    ]

    @classmethod
    def target_url(cls, values: Mapping[str, Any]) -> str:
        return reverse("quality:resource_balance")

    def read_file(self, data: bytes, filename: str, result: ImportResult) -> Table:
        table = super().read_file(data, filename, result)
        if not any(i.header in table.columns for i in INDICATORS):
            raise TableError(
                _("The sheet has no indicator column; the columns are: %(cols)s.")
                % {"cols": "、".join(i.header for i in INDICATORS)}
            )
        return table

    def prepare(self, rows: list[Row]) -> None:
        self.schools = {
            code: (pk, path)
            for code, pk, path in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).values_list(
                "code", "pk", "path"
            )
        }

    def check(self, row: Row, errors: list[RowError]) -> None:
        code = row.values["school_code"]
        school = self.schools.get(code)
        probe = BalanceInput(school=OrgUnit(path=school[1])) if school else None
        if school is None or not self.allowed("import", probe):
            message = _("“%(code)s” is not a school in your scope") % {"code": code}
            errors.append(RowError(row.number, SCHOOL_CODE, message, code))
            return
        row.extra["school_id"] = school[0]

    def write(self, rows: list[Row], *, job_label: str) -> WriteCounts:
        return services.store_balance_inputs(
            actor=self.actor,
            rows=[
                (
                    r.extra["school_id"],
                    r.values["students"],
                    {i.key: r.values[i.key] for i in INDICATORS if r.values[i.key] is not None},
                )
                for r in rows
            ],
            filename=self.filename,
            dry_run=self.dry_run,
        )

    def export_queryset(self):
        qs = BalanceInput.objects.select_related("school").order_by("school__code")
        return qs if self.actor is None else qs.visible_to(self.actor)

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for b in queryset.iterator(chunk_size=2000):
            yield [b.school.code, b.students, *[b.values.get(i.key) for i in INDICATORS]]
