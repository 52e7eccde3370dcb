"""The quality imports as sheet kinds, so they run as import jobs (progress in the page, the
report by row and column, "import the valid rows only") and from the command line:

    jiaoyan import scores 成绩.xlsx --param exam=5
    jiaoyan import item_scores 数学小题分.xlsx --param exam=5 --param subject=数学
    jiaoyan import balance_inputs 均衡指标.xlsx

A score or item sheet's columns depend on its exam (one per subject, one per item), so these
kinds read the file through the same services the API calls (:mod:`.services`), which check
every row and write in one transaction; the kinds only name the exam (a parameter checked
against the importer's scope) and turn the services' outcome into the job's report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import cells
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.scope import can
from jiaoyan.core.sheets import (
    Column,
    ImportResult,
    Param,
    ProgressFn,
    RowError,
    SheetKind,
    register,
)
from jiaoyan.core.tabular import normalise_header

from . import services
from .indicators import INDICATORS
from .models import BalanceInput, Candidate, Exam, ExamSubject


def _outcome_to_result(
    sheet: SheetKind,
    run: Callable[[], services.ImportOutcome],
    *,
    dry_run: bool,
    valid_only: bool,
    analysed: bool,
) -> ImportResult:
    """Run one of the services' imports and report it as every other kind does; a file
    the service cannot read at all (no header, a subject's column missing) is one error
    without a row."""
    result = ImportResult(kind=sheet.kind, dry_run=dry_run, valid_only=valid_only)
    try:
        out = run()
    except ServiceError as e:
        result.errors.append(RowError(0, "", e.text))
        return result
    result.rows = out.rows
    result.errors = list(out.errors)
    result.notices = list(out.notices)
    result.created = out.counts.created
    result.updated = out.counts.updated
    result.unchanged = out.counts.unchanged
    result.imported = out.imported
    result.written = out.written
    if out.unchanged and out.imported:
        result.notices.append(
            _("The file holds the same %(n)s rows as the last import: nothing changed.")
            % {"n": out.imported}
        )
    if out.written and analysed:
        result.notices.append(_("The exam's analysis is being computed in the background."))
    return result


class ExamSheet(SheetKind):
    """A sheet whose rows belong to one exam, given as the parameter ``exam`` (its id)."""

    model = Exam  # the exam's "import" rule says who may import
    columns: list[Column] = []  # they depend on the exam: see the services
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


@register
class ScoreSheet(ExamSheet):
    """An exam's score sheet: 考号, 学校代码, 班级, optional 性别 and 学籍号, one column per
    subject (:func:`services.import_scores`). Its export writes the exam's rows in the same
    columns (a student's page of one school exports through it), so the file imports back."""

    kind = "scores"
    label = _lazy("Exam scores")
    sheet_title = "成绩"
    key_column = "exam_no"

    def clean_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        values = super().clean_params(raw)
        # The exam's own columns, as its template has them (one per subject).
        fixed = [
            Column(services.EXAM_NO, "exam_no", cells.code, required=True),
            Column(services.SCHOOL_CODE, "school_code", cells.code, required=True),
            Column(services.CLASS, "class_name", cells.text, required=True, width=10),
            Column(services.GENDER, "gender", cells.text, width=8),
            Column(services.STUDENT_KEY, "student_key", cells.code, width=20),
        ]
        subjects = [
            Column(s.name, f"subject_{s.pk}", cells.number, width=10)
            for s in self.exam.subjects.order_by("order", "id")
        ]
        self.columns = [*fixed, *subjects]
        return values

    def export_queryset(self):
        qs = Candidate.objects.filter(exam=self.exam).select_related("school")
        qs = qs.order_by("school__path", "class_name", "exam_no")
        return qs if self.actor is None else qs.visible_to(self.actor)

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        gender = {value: word for word, value in services.GENDERS.items()}
        for c in queryset.iterator(chunk_size=2000):
            yield [
                c.exam_no,
                c.school.code,
                c.class_name,
                gender.get(c.gender, ""),
                c.student_key,
                *c.scores,
            ]

    def import_file(
        self,
        data: bytes,
        filename: str,
        *,
        dry_run: bool = False,
        valid_only: bool = False,
        progress: ProgressFn | None = None,
        job_label: str = "",
    ) -> ImportResult:
        return _outcome_to_result(
            self,
            lambda: services.import_scores(
                actor=self.actor,
                exam=self.exam,
                data=data,
                filename=filename,
                valid_only=valid_only,
                dry_run=dry_run,
                progress=progress,
            ),
            dry_run=dry_run,
            valid_only=valid_only,
            analysed=True,
        )


@register
class ItemScoreSheet(ExamSheet):
    """One subject's item scores: 考号, one column per item, the 满分 row under the header
    (:func:`services.import_items`). Parameters: ``exam`` and ``subject`` (its name)."""

    kind = "item_scores"
    label = _lazy("Item scores")
    sheet_title = "小题分"
    key_column = "exam_no"
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

    def import_file(
        self,
        data: bytes,
        filename: str,
        *,
        dry_run: bool = False,
        valid_only: bool = False,
        progress: ProgressFn | None = None,
        job_label: str = "",
    ) -> ImportResult:
        return _outcome_to_result(
            self,
            lambda: services.import_items(
                actor=self.actor,
                exam=self.exam,
                subject=self.subject,
                data=data,
                filename=filename,
                valid_only=valid_only,
                dry_run=dry_run,
                progress=progress,
            ),
            dry_run=dry_run,
            valid_only=valid_only,
            analysed=True,
        )


@register
class BalanceInputSheet(SheetKind):
    """The schools' inputs to the resource indicators of the balance standard: 学校代码,
    学生数, then any of the indicator columns (:func:`services.import_balance_inputs`)."""

    kind = "balance_inputs"
    model = BalanceInput
    label = _lazy("Balance inputs of schools")
    sheet_title = "均衡指标"
    key_column = "school_code"
    columns = [
        Column("学校代码", "school_code", cells.code, required=True),
        Column("学生数", "students", cells.integer, required=True, width=10),
        *[
            Column(i.header, i.key, cells.number, help=f"单位：{i.unit}", width=18)
            for i in INDICATORS
        ],
    ]

    @classmethod
    def target_url(cls, values: Mapping[str, Any]) -> str:
        return reverse("quality:resource_balance")

    def export_queryset(self):
        qs = BalanceInput.objects.select_related("school").order_by("school__code")
        return qs if self.actor is None else qs.visible_to(self.actor)

    def export_rows(self, queryset) -> Iterable[list[Any]]:
        for b in queryset.iterator(chunk_size=2000):
            yield [b.school.code, b.students, *[b.values.get(i.key) for i in INDICATORS]]

    def import_file(
        self,
        data: bytes,
        filename: str,
        *,
        dry_run: bool = False,
        valid_only: bool = False,
        progress: ProgressFn | None = None,
        job_label: str = "",
    ) -> ImportResult:
        return _outcome_to_result(
            self,
            lambda: services.import_balance_inputs(
                actor=self.actor,
                data=data,
                filename=filename,
                valid_only=valid_only,
                dry_run=dry_run,
                progress=progress,
            ),
            dry_run=dry_run,
            valid_only=valid_only,
            analysed=False,
        )
