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

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core import audit, cells, restricted
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.jobs import start_job
from jiaoyan.core.models import Job
from jiaoyan.core.scope import require
from jiaoyan.core.services import check_version
from jiaoyan.core.sheets import RowError, WriteCounts, import_columns
from jiaoyan.core.tabular import normalise_header
from jiaoyan.orgs.models import OrgUnit, Stage

from .models import (
    DEFAULT_CUTOFFS,
    SMALL_GROUP,
    BalanceInput,
    Candidate,
    Exam,
    ExamItem,
    ExamSubject,
    ItemScore,
    StudentDataPermission,
    ValueAddedLink,
    ValueAddedStat,
)
from .reader import format_number

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


# --- imports ----------------------------------------------------------------------------
# The sheets are read and checked by the sheet kinds (:mod:`.sheets`); the ``import_*``
# verbs run them for the API and the tests, the ``store_*`` ones write their valid rows
# (inside the import's transaction; a dry run counts, then stops).


def _require(actor, action: str, obj) -> None:
    # No actor is the command line, which acts with full rights as every sheet kind does.
    if actor is not None:
        require(actor, action, obj)


def _import(sheet, data: bytes, filename: str, **options: Any) -> ImportOutcome:
    """Run ``sheet``'s import (``options``: ``valid_only``, ``dry_run``, ``progress`` as
    in :func:`jiaoyan.core.sheets.import_columns`); a file that cannot be read at all is a
    ``ServiceError``."""
    sheet.filename = filename
    result = import_columns(sheet, data, filename, **options)
    whole = next((e for e in result.errors if not e.row), None)
    if whole is not None:
        raise ServiceError(whole.message, field="file")
    return ImportOutcome(
        imported=result.imported or 0,
        rows=result.rows,
        errors=result.errors,
        notices=result.notices,
        unchanged=bool(result.imported) and not (result.created or result.updated),
        written=result.written,
        counts=WriteCounts(result.created, result.updated, result.unchanged),
    )


def import_scores(
    *, actor, exam: Exam, data: bytes, filename: str, **options: Any
) -> ImportOutcome:
    """Import the score sheet (:class:`.sheets.ScoreSheet`): one row per student. A
    re-import replaces the exam's students; the same file again changes nothing. Student
    names are never stored: a 姓名 column is dropped. ``dry_run`` checks and counts
    without writing; ``progress(phase, done, total)`` hears how far it got."""
    from .sheets import ScoreSheet

    _require(actor, "import", exam)
    sheet = ScoreSheet(actor, {"exam": exam.pk})
    return _import(sheet, data, filename, **options)


def import_items(
    *, actor, exam: Exam, subject: ExamSubject, data: bytes, filename: str, **options: Any
) -> ImportOutcome:
    """Import one subject's item scores (:class:`.sheets.ItemScoreSheet`)."""
    from .sheets import ItemScoreSheet

    _require(actor, "import", exam)
    if subject.exam_id != exam.pk:
        raise ServiceError(_("Unknown subject."), field="subject")
    sheet = ItemScoreSheet(actor, {"exam": exam.pk, "subject": subject.name})
    return _import(sheet, data, filename, **options)


def import_balance_inputs(*, actor, data: bytes, filename: str, **options: Any) -> ImportOutcome:
    """Import the schools' resource inputs (:class:`.sheets.BalanceInputSheet`)."""
    from .sheets import BalanceInputSheet

    sheet = BalanceInputSheet(actor)
    return _import(sheet, data, filename, **options)


def _fingerprint(rows: list[tuple]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def store_scores(
    *, actor, exam: Exam, rows: list[tuple], names_dropped: bool, filename: str, dry_run: bool
) -> WriteCounts:
    """Replace the exam's students by ``rows`` (考号, 学籍号, school id, 班级, 性别, the
    scores), unless they are the ones stored; the analysis is scheduled."""
    # In exam-number order: the same rows in another order (an export) change nothing.
    fingerprint = _fingerprint(sorted(rows, key=lambda row: row[0]))
    # Checked without a lock (the progress is seen meanwhile); written under one, so two
    # imports of one exam follow each other.
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    counts = WriteCounts(imported=len(rows))
    if fingerprint == exam.scores_fingerprint and exam.candidates_count == len(rows):
        counts.unchanged = len(rows)
        return counts
    existing = set(Candidate.objects.filter(exam=exam).values_list("exam_no", flat=True))
    new_numbers = {row[0] for row in rows}
    counts.updated = len(existing & new_numbers)
    counts.created = len(rows) - counts.updated
    gone = len(existing - new_numbers)
    if gone:
        counts.notices.append(
            _("%(n)d students of the previous import are not in this sheet: they were removed.")
            % {"n": gone}
        )
    if dry_run:
        return counts
    _replace_candidates(exam, rows)
    before = exam.candidates_count
    Exam.objects.filter(pk=exam.pk).update(
        candidates_count=len(rows),
        names_dropped=names_dropped,
        scores_fingerprint=fingerprint,
        updated_at=timezone.now(),
    )
    exam.refresh_from_db()
    audit.record(
        actor,
        exam,
        Action.IMPORT_UPDATE,
        {"students": [before, len(rows)]},
        message=_("scores imported from %(file)s") % {"file": filename[:100]},
    )
    schedule_analysis(exam, actor=actor)
    return counts


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


def store_item_scores(
    *,
    actor,
    exam: Exam,
    subject: ExamSubject,
    items: list[tuple[str, float]],
    rows: list[tuple[int, list[float] | None]],
    filename: str,
    dry_run: bool,
) -> WriteCounts:
    """Replace ``subject``'s items (label, full marks) and the students' item scores
    (candidate id, the scores or ``None`` when absent); the analysis is scheduled."""
    locked = Exam.objects.select_for_update().get(pk=exam.pk)
    if locked.scores_fingerprint != exam.scores_fingerprint:
        # The score sheet was imported again while this file was checked: the exam
        # numbers matched may be gone.
        raise ServiceError(
            _("The exam's scores were imported again meanwhile; import the items again."),
            field="file",
        )
    before = set(ItemScore.objects.filter(subject=subject).values_list("candidate_id", flat=True))
    counts = WriteCounts(imported=len(rows))
    counts.updated = sum(1 for c, _s in rows if c in before)
    counts.created = len(rows) - counts.updated
    if dry_run:
        return counts
    ExamItem.objects.filter(subject=subject).delete()
    ItemScore.objects.filter(subject=subject)._raw_delete(ItemScore.objects.db)
    ExamItem.objects.bulk_create(
        [
            ExamItem(subject=subject, label=label[:30], full_marks=full, order=i)
            for i, (label, full) in enumerate(items)
        ]
    )
    ItemScore.objects.bulk_create(
        [ItemScore(candidate_id=c, subject=subject, scores=s) for c, s in rows],
        batch_size=2000,
    )
    audit.record(
        actor,
        locked,
        Action.IMPORT_UPDATE,
        {"items": [None, f"{subject.name}：{len(items)}"]},
        message=_("item scores imported from %(file)s") % {"file": filename[:100]},
    )
    schedule_analysis(locked, actor=actor)
    return counts


def store_balance_inputs(
    *, actor, rows: list[tuple[int, int, dict]], filename: str, dry_run: bool
) -> WriteCounts:
    """Store the schools' inputs (school id, 学生数, the indicators given), merged into
    what is stored: the same values again change nothing."""
    existing = {
        b.school_id: b
        for b in BalanceInput.objects.select_for_update().filter(
            school_id__in=[row[0] for row in rows]
        )
    }
    created, changed = [], []
    now = timezone.now()
    for school_id, students, values in rows:
        b = existing.get(school_id)
        if b is None:
            created.append(BalanceInput(school_id=school_id, students=students, values=values))
            continue
        merged = {**b.values, **values}
        if merged != b.values or b.students != students:
            b.values, b.students, b.updated_at = merged, students, now
            changed.append(b)
    counts = WriteCounts(
        len(created), len(changed), len(rows) - len(created) - len(changed), imported=len(rows)
    )
    if dry_run or not (created or changed):
        return counts
    BalanceInput.objects.bulk_create(created, batch_size=2000)
    BalanceInput.objects.bulk_update(changed, ["values", "students", "updated_at"], batch_size=1000)
    audit.record(
        actor,
        None,
        Action.IMPORT_UPDATE,
        {"created": [None, len(created)], "updated": [None, len(changed)]},
        message=_("balance inputs imported from %(file)s") % {"file": filename[:100]},
        unit_path=_common_path(actor),
    )
    return counts


def _common_path(actor) -> str:
    from jiaoyan.core.scope import scope_paths

    if actor is None:
        return ""
    paths = scope_paths(actor)
    return paths[0] if len(paths) == 1 else ""


# --- value-added ------------------------------------------------------------------------


def value_added_min_overlap() -> int:
    """The fewest students two exams must share before their value-added is computed
    (``VALUE_ADDED_MIN_OVERLAP``, never below the small-cell threshold)."""
    return max(int(getattr(settings, "VALUE_ADDED_MIN_OVERLAP", 30)), SMALL_GROUP)


def may_link(actor, entry: Exam, exit_exam: Exam) -> bool:
    """May ``actor`` have two exams linked (or their link refreshed)? A link reads every
    student of both cohorts, so it needs the student-data permission on both exams'
    units (``None`` is the command line and the system, acting with full rights)."""
    if actor is None:
        return True
    return all(
        restricted.has_permission(actor, restricted.STUDENT_DATA, e.org_unit)
        for e in (entry, exit_exam)
    )


def shared_students(entry: Exam, exit_exam: Exam) -> int:
    """How many students of ``exit_exam`` have a row in ``entry`` (by student key)."""
    keys = Candidate.objects.filter(exam=entry).exclude(student_key="").values("student_key")
    return (
        Candidate.objects.filter(exam=exit_exam, student_key__in=keys)
        .exclude(student_key="")
        .count()
    )


def _check_link(actor, entry: Exam, exit_exam: Exam) -> None:
    if not may_link(actor, entry, exit_exam):
        raise PermissionDenied(
            _(
                "Linking two exams for value-added needs the student-data permission on "
                "the units of both exams."
            )
        )
    minimum = value_added_min_overlap()
    if shared_students(entry, exit_exam) < minimum:
        raise ServiceError(
            _(
                "The two exams share fewer than %(min)d students; value-added is computed "
                "only for cohorts of at least %(min)d students found in both exams."
            )
            % {"min": minimum}
        )


@transaction.atomic
def request_value_added(*, actor, entry: Exam, exit_exam: Exam) -> ValueAddedLink:
    """Ask for the value-added between two exams of one cohort (a write: a POST); it is
    computed in the background (and again whenever either exam's data changes, when the
    importer may link them, see :func:`refresh_links_after_import`).

    Refused without the student-data permission on both exams' units, and when the exams
    share fewer than :func:`value_added_min_overlap` students: a self-made exam linked to
    a city exam would otherwise give away the exit scores of the students it names (add
    one student to the entry cohort and compare the means)."""
    if entry.pk == exit_exam.pk:
        raise ServiceError(_("The entry and exit exams must be two different exams."))
    link = ValueAddedLink.objects.filter(entry_exam=entry, exit_exam=exit_exam).first()
    probe = link or ValueAddedLink(entry_exam=entry, exit_exam=exit_exam)
    require(actor, "add", probe)
    _check_link(actor, entry, exit_exam)
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


def refresh_links_after_import(exam: Exam, importer) -> None:
    """After ``exam``'s data changed: recompute the pairs it belongs to when whoever
    imported may link both exams; otherwise drop the pair's stored figures (they no
    longer match the exams) and leave it for someone with the permission to refresh —
    re-importing an entry cohort with one more student must not recompute a pair and
    give that student's exit score away by difference."""
    links = ValueAddedLink.objects.filter(
        Q(entry_exam_id=exam.pk) | Q(exit_exam_id=exam.pk)
    ).select_related("entry_exam__org_unit", "exit_exam__org_unit")
    for link in links:
        if may_link(importer, link.entry_exam, link.exit_exam):
            schedule_value_added(link)
        else:
            ValueAddedStat.objects.filter(link=link).delete()
            ValueAddedLink.objects.filter(pk=link.pk).update(
                job=None, computed_at=None, n_linked=0, n_exit=0, slope=None, intercept=None
            )


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


def _report_params(actor, exam: Exam, school: OrgUnit, subject: ExamSubject | None) -> dict:
    key = str(subject.pk) if subject is not None else "total"
    return {
        "exam": exam.pk,
        "school": school.pk,
        "subject": key,
        "version": exam.data_version,
        # What the document shows depends on the student-data permissions the reader held
        # (small groups shown or suppressed): one rendered under a permission since
        # withdrawn is never handed out again.
        "sees": _sees(actor),
    }


def find_school_report_document(
    *, actor, exam: Exam, school: OrgUnit, subject: ExamSubject | None
) -> Job | None:
    """The job rendering ``school``'s report of ``exam`` for ``actor`` at this version of
    the analysis — done (and its file still stored), under way or failed — or ``None``.
    Reads only: what a GET (the download, its polling) may call."""
    from .tasks import SCHOOL_REPORT

    params = _report_params(actor, exam, school, subject)
    for job in Job.objects.filter(
        kind=SCHOOL_REPORT,
        created_by=actor,
        params__exam=params["exam"],
        params__school=params["school"],
        params__subject=params["subject"],
        params__version=params["version"],
        params__sees=params["sees"],
    ).exclude(status=Job.Status.CANCELLED)[:1]:
        if job.status != Job.Status.SUCCEEDED or _stored(job):
            return job
    return None


def school_report_document(
    *, actor, exam: Exam, school: OrgUnit, subject: ExamSubject | None
) -> Job:
    """The job rendering ``school``'s report of ``exam`` as .docx for ``actor`` (as they
    see it): the one done, under way or failed for this version of the analysis (a
    failure is shown, not retried in a loop), else a new one (queued at once; the
    immediate queue renders it before this returns). A write: started by a POST."""
    from .tasks import SCHOOL_REPORT

    job = find_school_report_document(actor=actor, exam=exam, school=school, subject=subject)
    if job is not None:
        return job
    return start_job(
        SCHOOL_REPORT,
        actor=actor,
        org_unit=exam.org_unit_id,
        params=_report_params(actor, exam, school, subject),
        defer=False,
    )


def _sees(actor) -> str:
    """A digest of the student-data permissions ``actor`` holds now ("" for none)."""
    if getattr(actor, "is_superuser", False):
        return "all"
    paths = restricted.permitted_paths(actor, restricted.STUDENT_DATA)
    if not paths:
        return ""
    return hashlib.sha256("|".join(paths).encode()).hexdigest()[:16]


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
