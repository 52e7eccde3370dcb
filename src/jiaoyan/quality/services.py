"""Every write of the quality module: exams, their settings, score and item imports, the
balance inputs, value-added requests, and the student-data permission.

Imports validate every row first and report every error by row and column (in Chinese);
nothing is written when any row is wrong unless only the valid rows were asked for. They
check outside any transaction (reporting their progress to the import job that runs them,
see :mod:`jiaoyan.quality.sheets`), then write in one transaction that locks the exam. After
a successful import the exam's analysis is scheduled on the task queue (once the
transaction commits) and computed in the background (:mod:`jiaoyan.quality.analysis`).
The web pages run them as background import jobs; the API and the command line run them
directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, cells, restricted
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.models import Job
from jiaoyan.core.scope import can, require
from jiaoyan.core.services import check_version
from jiaoyan.core.sheets import ProgressFn, RowError, WriteCounts
from jiaoyan.core.tabular import TableError, normalise_header
from jiaoyan.orgs.models import OrgUnit, Stage

from .indicators import BY_HEADER
from .models import (
    DEFAULT_CUTOFFS,
    BalanceInput,
    Candidate,
    Exam,
    ExamItem,
    ExamSubject,
    ItemScore,
    StudentDataPermission,
    ValueAddedLink,
)
from .reader import format_number, read_grid, score

Action = audit.AuditLog.Action

EXAM_NO = "考号"
SCHOOL_CODE = "学校代码"
CLASS = "班级"
GENDER = "性别"
STUDENT_KEY = "学籍号"
NAME = "姓名"
FULL_MARKS_MARK = "满分"
SCORE_ALIASES = {
    "准考证号": EXAM_NO,
    "学校编码": SCHOOL_CODE,
    "班别": CLASS,
    "全国学籍号": STUDENT_KEY,
}
GENDERS = {"男": Candidate.Gender.MALE, "女": Candidate.Gender.FEMALE}


@dataclass
class ImportOutcome:
    """What an import did: the API answers ``{"imported": N, "errors": [...]}``."""

    imported: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    unchanged: bool = False
    written: bool = False
    # rows new to the exam (or school), replacing earlier ones, or the same as stored
    counts: WriteCounts = field(default_factory=WriteCounts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "rows": self.rows,
            "errors": [e.as_dict() for e in self.errors],
            "notices": self.notices,
            "unchanged": self.unchanged,
        }


# --- exams ------------------------------------------------------------------------------


def _clean_cutoffs(cut: dict[str, float], *, field_prefix: str = "") -> dict[str, float]:
    try:
        values = {k: float(cut[k]) for k in ("excellent", "good", "pass", "low")}
    except (KeyError, TypeError, ValueError):
        raise ServiceError(_("Cut-offs need excellent, good, pass and low values.")) from None
    if not all(0 < v <= 1 for v in values.values()):
        raise ServiceError(
            _("Cut-offs are fractions of the full marks, above 0 and at most 1."),
            field=f"{field_prefix}excellent_cut" if field_prefix else None,
        )
    if not values["low"] <= values["pass"] <= values["good"] <= values["excellent"]:
        raise ServiceError(_("Cut-offs must rise: low ≤ pass ≤ good ≤ excellent."))
    return values


def _clean_weights(weights: dict[str, float]) -> dict[str, float]:
    try:
        values = {k: float(weights[k]) for k in ("mean", "excellent", "pass", "low")}
    except (KeyError, TypeError, ValueError):
        raise ServiceError(_("Weights need mean, excellent, pass and low values.")) from None
    if any(v < 0 for v in values.values()) or sum(values.values()) <= 0:
        raise ServiceError(_("Weights must not be negative and must not all be zero."))
    return values


def _clean_subjects(subjects: Iterable[dict]) -> list[dict]:
    cleaned: list[dict] = []
    seen: set[str] = set()
    for s in subjects:
        name = cells.text(s.get("name")).strip()
        if not name:
            raise ServiceError(_("Every subject needs a name."), field="subjects")
        if len(name) > 30:
            raise ServiceError(_("A subject name is longer than 30 characters."), field="subjects")
        key = normalise_header(name)
        if key in {normalise_header(h) for h in (EXAM_NO, SCHOOL_CODE, CLASS, GENDER, NAME)}:
            raise ServiceError(
                _("“%(name)s” cannot be a subject: it is a fixed column of the score sheet.")
                % {"name": name},
                field="subjects",
            )
        if key in seen:
            raise ServiceError(
                _("The subject “%(name)s” is listed twice.") % {"name": name}, field="subjects"
            )
        seen.add(key)
        try:
            full = float(s.get("full_marks"))
        except (TypeError, ValueError):
            full = 0
        if not 0 < full <= 1000:
            raise ServiceError(
                _("The full marks of “%(name)s” must be a number above 0 (at most 1000).")
                % {"name": name},
                field="subjects",
            )
        cut = s.get("cutoffs")
        cleaned.append(
            {"name": name, "full_marks": full, "cutoffs": _clean_cutoffs(cut) if cut else None}
        )
    if not cleaned:
        raise ServiceError(_("An exam needs at least one subject."), field="subjects")
    if len(cleaned) > 30:
        raise ServiceError(_("An exam has at most 30 subjects."), field="subjects")
    return cleaned


@transaction.atomic
def create_exam(
    *,
    actor,
    name: str,
    kind: str,
    date: dt.date,
    grade: int,
    stage: Stage,
    org_unit: OrgUnit,
    subjects: Iterable[dict],
    cutoffs: dict[str, float] | None = None,
    weights: dict[str, float] | None = None,
) -> Exam:
    """Create an exam owned by a region (a bureau or institute stands for its region)."""
    owner = org_unit.scope_root
    if owner.kind == OrgUnit.Kind.SCHOOL:
        raise ServiceError(
            _("An exam belongs to a city or county, not to a school."), field="org_unit"
        )
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("The exam needs a name."), field="name")
    if kind not in Exam.Kind.values:
        raise ServiceError(_("Unknown exam kind."), field="kind")
    if not 1 <= int(grade) <= 12:
        raise ServiceError(_("The grade must be from 1 to 12."), field="grade")
    cut = _clean_cutoffs(cutoffs or DEFAULT_CUTOFFS)
    w = _clean_weights(weights) if weights else None
    subject_rows = _clean_subjects(subjects)
    exam = Exam(
        name=name[:100],
        kind=kind,
        date=date,
        grade=int(grade),
        stage=stage,
        org_unit=owner,
        excellent_cut=cut["excellent"],
        good_cut=cut["good"],
        pass_cut=cut["pass"],
        low_cut=cut["low"],
        created_by=actor if actor is not None and actor.pk else None,
    )
    if w:
        exam.weight_mean, exam.weight_excellent = w["mean"], w["excellent"]
        exam.weight_pass, exam.weight_low = w["pass"], w["low"]
    require(actor, "add", exam)
    exam.save()
    ExamSubject.objects.bulk_create(
        [
            ExamSubject(
                exam=exam,
                name=s["name"],
                full_marks=s["full_marks"],
                order=i,
                **(
                    {
                        "excellent_cut": s["cutoffs"]["excellent"],
                        "good_cut": s["cutoffs"]["good"],
                        "pass_cut": s["cutoffs"]["pass"],
                        "low_cut": s["cutoffs"]["low"],
                    }
                    if s["cutoffs"]
                    else {}
                ),
            )
            for i, s in enumerate(subject_rows)
        ]
    )
    snap = audit.snapshot(exam, ["name", "kind", "date", "grade", "stage", "org_unit"])
    snap["subjects"] = [f"{s['name']}（{format_number(s['full_marks'])}）" for s in subject_rows]
    audit.record(actor, exam, Action.CREATE, {k: [None, v] for k, v in snap.items()})
    return exam


SETTING_FIELDS = [
    "excellent_cut",
    "good_cut",
    "pass_cut",
    "low_cut",
    "weight_mean",
    "weight_excellent",
    "weight_pass",
    "weight_low",
]


@transaction.atomic
def update_settings(
    *,
    actor,
    exam: Exam,
    cutoffs: dict[str, float],
    weights: dict[str, float],
    subject_cutoffs: dict[int, dict[str, float] | None] | None = None,
    expected_version: int | None = None,
) -> Exam:
    """Change the cut-offs (exam-wide and per subject) and the composite weights; the
    analysis is recomputed."""
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    require(actor, "change", exam)
    check_version(exam, expected_version)
    cut = _clean_cutoffs(cutoffs)
    w = _clean_weights(weights)
    data = {
        "excellent_cut": cut["excellent"],
        "good_cut": cut["good"],
        "pass_cut": cut["pass"],
        "low_cut": cut["low"],
        "weight_mean": w["mean"],
        "weight_excellent": w["excellent"],
        "weight_pass": w["pass"],
        "weight_low": w["low"],
    }
    before = audit.snapshot(exam, SETTING_FIELDS)
    for k, v in data.items():
        setattr(exam, k, v)
    changes = audit.diff(before, audit.snapshot(exam, SETTING_FIELDS))
    subjects = {s.pk: s for s in exam.subjects.all()}
    for sid, sc in (subject_cutoffs or {}).items():
        subject = subjects.get(sid)
        if subject is None:
            continue
        new = _clean_cutoffs(sc) if sc else None
        old = (
            {
                "excellent": subject.excellent_cut,
                "good": subject.good_cut,
                "pass": subject.pass_cut,
                "low": subject.low_cut,
            }
            if subject.excellent_cut is not None
            else None
        )
        if new == old:
            continue
        subject.excellent_cut = new["excellent"] if new else None
        subject.good_cut = new["good"] if new else None
        subject.pass_cut = new["pass"] if new else None
        subject.low_cut = new["low"] if new else None
        subject.save(update_fields=["excellent_cut", "good_cut", "pass_cut", "low_cut"])
        changes[f"{subject.name}"] = [_cut_text(old), _cut_text(new)]
    if not changes:
        return exam
    exam.version = F("version") + 1
    exam.updated_at = timezone.now()
    exam.save(update_fields=[*SETTING_FIELDS, "version", "updated_at"])
    audit.record(actor, exam, Action.UPDATE, changes, message=_("cut-offs and weights"))
    exam.refresh_from_db()
    if exam.candidates_count:
        schedule_analysis(exam, actor=actor)
    return exam


def _cut_text(c: dict | None) -> str:
    if not c:
        return _("exam default")
    return " / ".join(format_number(c[k]) for k in ("excellent", "good", "pass", "low"))


def schedule_analysis(exam: Exam, *, actor=None) -> Job:
    """Mark the exam's analysis as waiting and start its job (queued once the transaction
    commits); the job's progress is shown on the exam's page."""
    from .tasks import ANALYSIS

    Exam.objects.filter(pk=exam.pk).update(
        data_version=F("data_version") + 1, analysis_status=Exam.Status.PENDING
    )
    exam.refresh_from_db()
    job = start_job(
        ANALYSIS,
        actor=actor,
        org_unit=exam.org_unit_id,
        params={"exam": exam.pk, "version": exam.data_version},
    )
    Exam.objects.filter(pk=exam.pk).update(analysis_job=job)
    exam.analysis_job = job
    return job


# --- scores -----------------------------------------------------------------------------

PROGRESS_EVERY = 2000  # rows between two progress reports while checking


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _allowed(actor, action: str, obj) -> bool:
    """``can``, except that no actor is the command line (``jiaoyan import`` without
    ``--as``), which acts with full rights as every sheet kind does."""
    return actor is None or can(actor, action, obj)


def _require(actor, action: str, obj) -> None:
    if actor is not None:
        require(actor, action, obj)


def _fingerprint(rows: list[tuple]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def _read(data: bytes, filename: str, required: list[str], aliases=None):
    try:
        return read_grid(data, filename, required=required, aliases=aliases)
    except TableError as e:
        raise ServiceError(str(e), field="file") from None


def import_scores(
    *,
    actor,
    exam: Exam,
    data: bytes,
    filename: str,
    valid_only: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> ImportOutcome:
    """Import the score sheet: one row per student (考号, 学校代码, 班级, optional 性别 and
    学籍号, one column per subject). A re-import replaces the exam's students; the same
    file again changes nothing. Student names are never stored: a 姓名 column is dropped.
    ``dry_run`` checks and counts without writing; ``progress(phase, done, total)`` hears
    how far it got.
    """
    report = progress or _no_progress
    exam = Exam.objects.select_related("org_unit").get(pk=exam.pk)
    _require(actor, "import", exam)
    out = ImportOutcome()
    report("reading", 0, 0)
    grid = _read(data, filename, [EXAM_NO, SCHOOL_CODE, CLASS], SCORE_ALIASES)
    subjects = list(exam.subjects.order_by("order", "id"))
    subject_cols: list[tuple[ExamSubject, int]] = []
    missing = []
    for s in subjects:
        col = grid.columns.get(normalise_header(s.name))
        if col is None:
            missing.append(s.name)
        else:
            subject_cols.append((s, col))
    if missing:
        raise ServiceError(
            _(
                "The sheet has no column for the subject(s): %(s)s. Every subject of the exam "
                "needs its own column (header = subject name)."
            )
            % {"s": "、".join(missing)},
            field="file",
        )
    if grid.duplicates:
        raise ServiceError(
            _("The header “%(h)s” appears twice.") % {"h": grid.duplicates[0]}, field="file"
        )
    known = {normalise_header(h) for h in (EXAM_NO, SCHOOL_CODE, CLASS, GENDER, STUDENT_KEY)}
    known |= {normalise_header(s.name) for s in subjects}
    names_dropped = normalise_header(NAME) in grid.columns
    if names_dropped:
        out.notices.append(
            _(
                "The 姓名 (name) column was dropped: student names are not needed and are "
                "not stored."
            )
        )
    ignored = [
        grid.labels[k] for k in grid.columns if k not in known and k != normalise_header(NAME)
    ]
    if ignored:
        out.notices.append(
            _("Columns not used by the analysis were ignored: %(cols)s")
            % {"cols": "、".join(ignored)}
        )
    out.rows = len(grid.rows)
    if not grid.rows:
        raise ServiceError(_("The sheet has a header row but no data rows."), field="file")

    schools = {
        code: (pk, path)
        for code, pk, path in OrgUnit.objects.filter(
            kind=OrgUnit.Kind.SCHOOL, path__under=exam.org_unit.path
        ).values_list("code", "pk", "path")
    }
    c_no = grid.columns[normalise_header(EXAM_NO)]
    c_school = grid.columns[normalise_header(SCHOOL_CODE)]
    c_class = grid.columns[normalise_header(CLASS)]
    c_gender = grid.columns.get(normalise_header(GENDER))
    c_key = grid.columns.get(normalise_header(STUDENT_KEY))
    seen_no: dict[str, int] = {}
    seen_key: dict[str, int] = {}
    valid: list[tuple] = []
    errors = out.errors

    def cell(values, idx):
        return values[idx] if idx is not None and idx < len(values) else None

    total = len(grid.rows)
    report("validating", 0, total)
    for i, (number, values) in enumerate(grid.rows, 1):
        if i % PROGRESS_EVERY == 0:
            report("validating", i, total)
        row_errors: list[RowError] = []
        raw_no = cell(values, c_no)
        try:
            exam_no = cells.code(raw_no, max_length=32)
        except cells.CellError as e:
            exam_no = ""
            row_errors.append(RowError(number, EXAM_NO, str(e), cells.text(raw_no)[:50]))
        else:
            if not exam_no:
                row_errors.append(RowError(number, EXAM_NO, _("is required but empty")))
            elif exam_no in seen_no:
                errors.append(
                    RowError(
                        number,
                        EXAM_NO,
                        _("duplicates row %(row)d (“%(value)s”)")
                        % {"row": seen_no[exam_no], "value": exam_no},
                        exam_no,
                    )
                )
                continue
            else:
                seen_no[exam_no] = number
        raw_school = cell(values, c_school)
        school = None
        try:
            code = cells.code(raw_school)
        except cells.CellError as e:
            code = ""
            row_errors.append(RowError(number, SCHOOL_CODE, str(e), cells.text(raw_school)[:50]))
        else:
            if not code:
                row_errors.append(RowError(number, SCHOOL_CODE, _("is required but empty")))
            else:
                school = schools.get(code)
                if school is None:
                    row_errors.append(
                        RowError(
                            number,
                            SCHOOL_CODE,
                            _("“%(code)s” is not a school of %(unit)s")
                            % {"code": code, "unit": exam.org_unit.name},
                            code,
                        )
                    )
        class_name = cells.nfkc(cells.text(cell(values, c_class))).strip()
        if not class_name:
            row_errors.append(RowError(number, CLASS, _("is required but empty")))
        elif len(class_name) > 30:
            row_errors.append(
                RowError(number, CLASS, _("is longer than %(n)d characters") % {"n": 30})
            )
        gender = ""
        raw_gender = cell(values, c_gender)
        if not cells.is_blank(raw_gender):
            try:
                gender = cells.choice(raw_gender, GENDERS)
            except cells.CellError as e:
                row_errors.append(RowError(number, GENDER, str(e), cells.text(raw_gender)[:20]))
        student_key = ""
        raw_key = cell(values, c_key)
        if not cells.is_blank(raw_key):
            try:
                student_key = cells.code(raw_key, max_length=40)
            except cells.CellError as e:
                row_errors.append(RowError(number, STUDENT_KEY, str(e), cells.text(raw_key)[:50]))
            else:
                if student_key in seen_key:
                    row_errors.append(
                        RowError(
                            number,
                            STUDENT_KEY,
                            _("duplicates row %(row)d (“%(value)s”)")
                            % {"row": seen_key[student_key], "value": student_key},
                            student_key,
                        )
                    )
                else:
                    seen_key[student_key] = number
        row_scores: list[float | None] = []
        for subject, col in subject_cols:
            raw = values[col] if col < len(values) else None
            try:
                row_scores.append(score(raw, subject.full_marks))
            except cells.CellError as e:
                row_errors.append(RowError(number, subject.name, str(e), cells.text(raw)[:50]))
                row_scores.append(None)
        if row_errors:
            errors.extend(row_errors)
            continue
        valid.append((exam_no, student_key or exam_no, school[0], class_name, gender, row_scores))
    report("validating", total, total)
    if not valid and not errors:
        raise ServiceError(_("The sheet has a header row but no data rows."), field="file")
    if errors and not valid_only:
        return out
    if not valid:
        return out
    # In exam-number order: the same rows in another order (an export) change nothing.
    fingerprint = _fingerprint(sorted(valid, key=lambda row: row[0]))
    # Inside the transaction the job's progress is not seen by others: the page shows
    # "writing" until it commits.
    report("writing", 0, len(valid))
    with transaction.atomic():
        # Checked without a lock (the progress is seen meanwhile); written under one, so
        # two imports of one exam follow each other.
        exam = Exam.objects.select_for_update().get(pk=exam.pk)
        out.imported = len(valid)
        if fingerprint == exam.scores_fingerprint and exam.candidates_count == len(valid):
            out.unchanged = True
            out.counts.unchanged = len(valid)
            return out
        existing = set(Candidate.objects.filter(exam=exam).values_list("exam_no", flat=True))
        new_numbers = {row[0] for row in valid}
        out.counts.updated = len(existing & new_numbers)
        out.counts.created = len(valid) - out.counts.updated
        gone = len(existing - new_numbers)
        if gone:
            out.notices.append(
                _("%(n)d students of the previous import are not in this sheet: they were removed.")
                % {"n": gone}
            )
        if dry_run:
            return out
        _replace_candidates(exam, valid)
        before = exam.candidates_count
        Exam.objects.filter(pk=exam.pk).update(
            candidates_count=len(valid),
            names_dropped=names_dropped,
            scores_fingerprint=fingerprint,
            updated_at=timezone.now(),
        )
        exam.refresh_from_db()
        audit.record(
            actor,
            exam,
            Action.IMPORT_UPDATE,
            {"students": [before, len(valid)]},
            message=_("scores imported from %(file)s") % {"file": filename[:100]},
        )
        schedule_analysis(exam, actor=actor)
    out.written = True
    return out


def _replace_candidates(exam: Exam, valid: list[tuple]) -> None:
    """Replace the exam's students, keeping the item scores of exam numbers still there."""
    kept = list(
        ItemScore.objects.filter(candidate__exam=exam).values_list(
            "candidate__exam_no", "subject_id", "scores"
        )
    )
    ItemScore.objects.filter(candidate__exam=exam)._raw_delete(ItemScore.objects.db)
    Candidate.objects.filter(exam=exam)._raw_delete(Candidate.objects.db)
    objs = [
        Candidate(
            exam=exam,
            exam_no=no,
            student_key=key,
            school_id=school_id,
            class_name=cls,
            gender=gender,
            scores=scores,
        )
        for no, key, school_id, cls, gender, scores in valid
    ]
    Candidate.objects.bulk_create(objs, batch_size=2000)
    if kept:
        ids = dict(Candidate.objects.filter(exam=exam).values_list("exam_no", "pk"))
        ItemScore.objects.bulk_create(
            [
                ItemScore(candidate_id=ids[no], subject_id=sid, scores=sc)
                for no, sid, sc in kept
                if no in ids
            ],
            batch_size=2000,
        )


# --- items ------------------------------------------------------------------------------


def import_items(
    *,
    actor,
    exam: Exam,
    subject: ExamSubject,
    data: bytes,
    filename: str,
    valid_only: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> ImportOutcome:
    """Import one subject's item scores: 考号, then one column per item (题1, 题2 …); the
    row right under the header, with 满分 in the 考号 column, gives each item's full marks.
    A row of blanks or with 缺考 is an absent student; a blank item in a row that has
    scores is 0 (an unanswered question). A re-import replaces the subject's items."""
    report = progress or _no_progress
    exam = Exam.objects.get(pk=exam.pk)
    _require(actor, "import", exam)
    if subject.exam_id != exam.pk:
        raise ServiceError(_("Unknown subject."), field="subject")
    out = ImportOutcome()
    report("reading", 0, 0)
    grid = _read(data, filename, [EXAM_NO], {"准考证号": EXAM_NO})
    fixed = {normalise_header(h) for h in (SCHOOL_CODE, CLASS, GENDER, STUDENT_KEY, NAME)}
    c_no = grid.columns[normalise_header(EXAM_NO)]
    item_cols = sorted(
        (col, grid.labels[k]) for k, col in grid.columns.items() if col != c_no and k not in fixed
    )
    if normalise_header(NAME) in grid.columns:
        out.notices.append(
            _(
                "The 姓名 (name) column was dropped: student names are not needed and are "
                "not stored."
            )
        )
    if grid.duplicates:
        raise ServiceError(
            _("The header “%(h)s” appears twice.") % {"h": grid.duplicates[0]}, field="file"
        )
    if not item_cols:
        raise ServiceError(
            _("The sheet has no item columns (题1, 题2 … after 考号)."), field="file"
        )
    if len(item_cols) > 200:
        raise ServiceError(_("A paper has at most 200 items."), field="file")
    rows = grid.rows
    if not rows or cells.compact(rows[0][1][c_no] if c_no < len(rows[0][1]) else "") != "满分":
        raise ServiceError(
            _(
                "The row right under the header must give each item's full marks, with 满分 "
                "in the 考号 column."
            ),
            field="file",
        )
    marks_row_no, marks_values = rows[0]
    full: list[float] = []
    for col, label in item_cols:
        raw = marks_values[col] if col < len(marks_values) else None
        try:
            value = cells.number(raw, minimum=0)
        except cells.CellError as e:
            out.errors.append(RowError(marks_row_no, label, str(e), cells.text(raw)[:20]))
            continue
        if not value:
            out.errors.append(
                RowError(marks_row_no, label, _("the item's full marks must be above 0"))
            )
            continue
        full.append(value)
    if out.errors:
        return out
    total_full = sum(full)
    if abs(total_full - subject.full_marks) > 1e-6:
        out.notices.append(
            _("The items' full marks add up to %(sum)s, the subject's full marks are %(full)s.")
            % {"sum": format_number(total_full), "full": format_number(subject.full_marks)}
        )
    candidates = dict(Candidate.objects.filter(exam=exam).values_list("exam_no", "pk"))
    if not candidates:
        raise ServiceError(
            _("Import the exam's score sheet first: item scores are matched on 考号."),
            field="file",
        )
    seen: dict[str, int] = {}
    valid: list[tuple[int, list[float] | None]] = []
    out.rows = total = len(rows) - 1
    report("validating", 0, total)
    for i, (number, values) in enumerate(rows[1:], 1):
        if i % PROGRESS_EVERY == 0:
            report("validating", i, total)
        raw_no = values[c_no] if c_no < len(values) else None
        try:
            exam_no = cells.code(raw_no, max_length=32)
        except cells.CellError as e:
            out.errors.append(RowError(number, EXAM_NO, str(e), cells.text(raw_no)[:50]))
            continue
        if not exam_no:
            out.errors.append(RowError(number, EXAM_NO, _("is required but empty")))
            continue
        if exam_no in seen:
            out.errors.append(
                RowError(
                    number,
                    EXAM_NO,
                    _("duplicates row %(row)d (“%(value)s”)")
                    % {"row": seen[exam_no], "value": exam_no},
                    exam_no,
                )
            )
            continue
        seen[exam_no] = number
        cand = candidates.get(exam_no)
        if cand is None:
            out.errors.append(
                RowError(
                    number,
                    EXAM_NO,
                    _("“%(no)s” is not in the exam's score sheet") % {"no": exam_no},
                    exam_no,
                )
            )
            continue
        raws = [values[col] if col < len(values) else None for col, _l in item_cols]
        if all(cells.is_blank(r) for r in raws) or any(
            isinstance(r, str) and cells.compact(r) == "缺考" for r in raws
        ):
            valid.append((cand, None))
            continue
        row_errors = []
        item_scores: list[float] = []
        for (_col, label), raw, f in zip(item_cols, raws, full, strict=True):
            try:
                v = score(raw, f)
            except cells.CellError as e:
                row_errors.append(RowError(number, label, str(e), cells.text(raw)[:20]))
                continue
            item_scores.append(0.0 if v is None else v)
        if row_errors:
            out.errors.extend(row_errors)
            continue
        valid.append((cand, item_scores))
    report("validating", total, total)
    if (out.errors and not valid_only) or not valid:
        return out
    report("writing", 0, len(valid))
    with transaction.atomic():
        locked = Exam.objects.select_for_update().get(pk=exam.pk)
        if locked.scores_fingerprint != exam.scores_fingerprint:
            # The score sheet was imported again while this file was checked: the exam
            # numbers matched may be gone.
            raise ServiceError(
                _("The exam's scores were imported again meanwhile; import the items again."),
                field="file",
            )
        before = set(
            ItemScore.objects.filter(subject=subject).values_list("candidate_id", flat=True)
        )
        out.imported = len(valid)
        out.counts.updated = sum(1 for c, _s in valid if c in before)
        out.counts.created = len(valid) - out.counts.updated
        if dry_run:
            return out
        ExamItem.objects.filter(subject=subject).delete()
        ItemScore.objects.filter(subject=subject)._raw_delete(ItemScore.objects.db)
        ExamItem.objects.bulk_create(
            [
                ExamItem(subject=subject, label=label[:30], full_marks=f, order=i)
                for i, ((_c, label), f) in enumerate(zip(item_cols, full, strict=True))
            ]
        )
        ItemScore.objects.bulk_create(
            [ItemScore(candidate_id=c, subject=subject, scores=s) for c, s in valid],
            batch_size=2000,
        )
        audit.record(
            actor,
            locked,
            Action.IMPORT_UPDATE,
            {"items": [None, f"{subject.name}：{len(full)}"]},
            message=_("item scores imported from %(file)s") % {"file": filename[:100]},
        )
        schedule_analysis(locked, actor=actor)
    out.written = True
    return out


# --- balance inputs ---------------------------------------------------------------------


def import_balance_inputs(
    *,
    actor,
    data: bytes,
    filename: str,
    valid_only: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
) -> ImportOutcome:
    """Import the schools' resource inputs: 学校代码, 学生数, then one column per indicator
    (see :mod:`jiaoyan.quality.indicators`). Re-importing the same file changes nothing."""
    report = progress or _no_progress
    out = ImportOutcome()
    report("reading", 0, 0)
    grid = _read(data, filename, [SCHOOL_CODE, "学生数"], {"在校生数": "学生数"})
    indicator_cols = [
        (BY_HEADER[grid.labels[k]], col)
        for k, col in grid.columns.items()
        if grid.labels.get(k) in BY_HEADER
    ]
    known = {normalise_header(SCHOOL_CODE), normalise_header("学生数")}
    known |= {normalise_header(h) for h in BY_HEADER}
    ignored = [grid.labels[k] for k in grid.columns if k not in known]
    if ignored:
        out.notices.append(
            _("Columns not in the template were ignored: %(cols)s") % {"cols": "、".join(ignored)}
        )
    if not indicator_cols:
        raise ServiceError(
            _("The sheet has no indicator column; the columns are: %(cols)s.")
            % {"cols": "、".join(BY_HEADER)},
            field="file",
        )
    out.rows = len(grid.rows)
    schools = {
        code: (pk, path)
        for code, pk, path in OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL).values_list(
            "code", "pk", "path"
        )
    }
    c_school = grid.columns[normalise_header(SCHOOL_CODE)]
    c_students = grid.columns[normalise_header("学生数")]
    seen: dict[str, int] = {}
    valid: list[tuple[int, int, dict]] = []
    total = len(grid.rows)
    report("validating", 0, total)
    for i, (number, values) in enumerate(grid.rows, 1):
        if i % PROGRESS_EVERY == 0:
            report("validating", i, total)
        row_errors: list[RowError] = []
        raw_code = values[c_school] if c_school < len(values) else None
        school = None
        try:
            code = cells.code(raw_code)
        except cells.CellError as e:
            code = ""
            row_errors.append(RowError(number, SCHOOL_CODE, str(e), cells.text(raw_code)[:50]))
        if code:
            if code in seen:
                out.errors.append(
                    RowError(
                        number,
                        SCHOOL_CODE,
                        _("duplicates row %(row)d (“%(value)s”)")
                        % {"row": seen[code], "value": code},
                        code,
                    )
                )
                continue
            seen[code] = number
            school = schools.get(code)
            probe = BalanceInput(school=OrgUnit(path=school[1])) if school else None
            if school is None or not _allowed(actor, "import", probe):
                row_errors.append(
                    RowError(
                        number,
                        SCHOOL_CODE,
                        _("“%(code)s” is not a school in your scope") % {"code": code},
                        code,
                    )
                )
        elif not row_errors:
            row_errors.append(RowError(number, SCHOOL_CODE, _("is required but empty")))
        raw_students = values[c_students] if c_students < len(values) else None
        students = None
        try:
            students = cells.integer(raw_students, minimum=1)
            if students is None:
                row_errors.append(RowError(number, "学生数", _("is required but empty")))
        except cells.CellError as e:
            row_errors.append(RowError(number, "学生数", str(e), cells.text(raw_students)[:20]))
        vals: dict[str, float] = {}
        for ind, col in indicator_cols:
            raw = values[col] if col < len(values) else None
            try:
                v = cells.number(raw, minimum=0)
            except cells.CellError as e:
                row_errors.append(RowError(number, ind.header, str(e), cells.text(raw)[:20]))
                continue
            if v is not None:
                vals[ind.key] = v
        if row_errors:
            out.errors.extend(row_errors)
            continue
        valid.append((school[0], students, vals))
    report("validating", total, total)
    if (out.errors and not valid_only) or not valid:
        return out
    report("writing", 0, len(valid))
    with transaction.atomic():
        existing = {
            b.school_id: b
            for b in BalanceInput.objects.select_for_update().filter(
                school_id__in=[v[0] for v in valid]
            )
        }
        created, changed = [], []
        now = timezone.now()
        for school_id, students, vals in valid:
            b = existing.get(school_id)
            if b is None:
                created.append(BalanceInput(school_id=school_id, students=students, values=vals))
                continue
            merged = {**b.values, **vals}
            if merged != b.values or b.students != students:
                b.values, b.students, b.updated_at = merged, students, now
                changed.append(b)
        out.imported = len(valid)
        out.unchanged = not (created or changed)
        out.counts = WriteCounts(
            len(created), len(changed), len(valid) - len(created) - len(changed)
        )
        if dry_run:
            return out
        BalanceInput.objects.bulk_create(created, batch_size=2000)
        BalanceInput.objects.bulk_update(
            changed, ["values", "students", "updated_at"], batch_size=1000
        )
        if created or changed:
            audit.record(
                actor,
                None,
                Action.IMPORT_UPDATE,
                {"created": [None, len(created)], "updated": [None, len(changed)]},
                message=_("balance inputs imported from %(file)s") % {"file": filename[:100]},
                unit_path=_common_path(actor),
            )
            out.written = True
    return out


def _common_path(actor) -> str:
    from jiaoyan.core.scope import scope_paths

    if actor is None:
        return ""
    paths = scope_paths(actor)
    return paths[0] if len(paths) == 1 else ""


# --- value-added ------------------------------------------------------------------------


@transaction.atomic
def request_value_added(*, actor, entry: Exam, exit_exam: Exam) -> ValueAddedLink:
    """Ask for the value-added between two exams of one cohort; computed in the
    background (and again whenever either exam's data changes)."""
    if entry.pk == exit_exam.pk:
        raise ServiceError(_("The entry and exit exams must be two different exams."))
    link = ValueAddedLink.objects.filter(entry_exam=entry, exit_exam=exit_exam).first()
    probe = link or ValueAddedLink(entry_exam=entry, exit_exam=exit_exam)
    require(actor, "add", probe)
    if link is None:
        link = ValueAddedLink.objects.create(entry_exam=entry, exit_exam=exit_exam)
        audit.record(
            actor,
            exit_exam,
            Action.CREATE,
            {"value_added": [None, f"{entry.name} → {exit_exam.name}"]},
            message=_("value-added requested"),
        )
    if link.is_current or link.status in {link.Status.PENDING, link.Status.RUNNING}:
        if link.status == link.Status.PENDING and not link.job_id:
            schedule_value_added(link, actor=actor)
        return link
    schedule_value_added(link, actor=actor)
    return link


def schedule_value_added(link: ValueAddedLink, *, actor=None) -> Job | None:
    """Start the job computing ``link`` (once the transaction commits), unless one is
    already waiting: it reads the exams' data when it runs."""
    from .tasks import VALUE_ADDED

    current = Job.objects.filter(pk=link.job_id).first() if link.job_id else None
    if current is not None and current.status == Job.Status.QUEUED:
        return current
    exit_unit = Exam.objects.filter(pk=link.exit_exam_id).values_list("org_unit_id", flat=True)
    job = start_job(VALUE_ADDED, actor=actor, org_unit=exit_unit.first(), params={"link": link.pk})
    ValueAddedLink.objects.filter(pk=link.pk).update(job=job)
    link.job = job
    return job


# --- documents ----------------------------------------------------------------------------


def school_report_document(
    *, actor, exam: Exam, school: OrgUnit, subject: ExamSubject | None
) -> Job:
    """The job rendering ``school``'s report of ``exam`` as .docx for ``actor`` (as they
    see it): the one done, under way or failed for this version of the analysis (a
    failure is shown, not retried in a loop), else a new one (queued at once; the
    immediate queue renders it before this returns)."""
    from .tasks import SCHOOL_REPORT

    key = str(subject.pk) if subject is not None else "total"
    params = {"exam": exam.pk, "school": school.pk, "subject": key, "version": exam.data_version}
    for job in Job.objects.filter(
        kind=SCHOOL_REPORT,
        created_by=actor,
        params__exam=exam.pk,
        params__school=school.pk,
        params__subject=key,
        params__version=exam.data_version,
    ).exclude(status=Job.Status.CANCELLED)[:1]:
        if job.status != Job.Status.SUCCEEDED or _stored(job):
            return job
    return start_job(
        SCHOOL_REPORT, actor=actor, org_unit=exam.org_unit_id, params=params, defer=False
    )


def _stored(job: Job) -> bool:
    from django.core.files.storage import default_storage

    name = job.result.get("file")
    return bool(name) and default_storage.exists(name)


# --- the student-data permission (the core kind ``student_data``) ---------------------------


def grant_student_data(
    *, actor, user, org_unit: OrgUnit, reason: str, expires_at: dt.datetime | None = None
) -> StudentDataPermission:
    """Give ``user`` the right to read student-level rows on ``org_unit``'s subtree."""
    return restricted.grant(
        actor=actor,
        kind=restricted.STUDENT_DATA,
        user=user,
        org_unit=org_unit,
        reason=reason,
        expires_at=expires_at,
    )


def revoke_student_data(*, actor, permission: StudentDataPermission) -> StudentDataPermission:
    return restricted.revoke(actor=actor, kind=restricted.STUDENT_DATA, permission=permission)


def record_student_read(
    *, actor, exam: Exam, unit: OrgUnit, rows: int, reason: str | None, export: bool = False
):
    """Audit one read (or export) of an exam's student-level rows of ``unit``, with the
    reader's reason; refused without the permission on the unit or without a reason."""
    return restricted.record_read(
        actor, restricted.STUDENT_DATA, exam, reason, unit=unit, rows=rows, export=export
    )
