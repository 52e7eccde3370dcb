"""API of the quality module: exams, score and item imports, the stored analysis, balance,
item analysis, value-added and (with the permission, audited) student-level rows."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from jiaoyan.core import restricted
from jiaoyan.core.api import PageIn
from jiaoyan.core.api_crud import Resource
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.resolve import resolve
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.core.uploads import upload
from jiaoyan.orgs.models import OrgUnit, Stage

from . import queries, services
from .aggregates import ANALYSIS, ITEMS, VALUE_ADDED
from .indicators import BY_KEY
from .models import Candidate, Exam, Level, ValueAddedLink
from .schemas import (
    AnalysisOut,
    BalanceOut,
    ExamIn,
    ExamOut,
    ImportOut,
    ImportRejected,
    ItemsOut,
    PendingOut,
    StudentsOut,
    ValueAddedOut,
    ValueAddedRequestIn,
    ValueAddedRequestOut,
)
from .views import may_upload_balance, may_upload_into_exam

router = Router(tags=["quality"])

LEVELS = {"all": Level.ALL, "county": Level.COUNTY, "school": Level.SCHOOL, "class": Level.CLASS}


EXAMS = Exam.objects.select_related("stage", "org_unit", "analysis_job").prefetch_related(
    "subjects"
)


def _stage(user, code: str) -> Stage:
    """The exam's stage: a required reference (empty text is refused like an unknown one)."""
    return resolve(user, Stage, code, field="stage")


exams = Resource(router, "/exams/{exam_id}", EXAMS, out=ExamOut)
exams.list(summary="Exams in your scope")
exams.get()
exams.create(
    services.create_exam,
    ExamIn,
    refs={"org_unit": OrgUnit, "stage": _stage},
    summary="Create an exam with its subjects",
)


def _exam(request, exam_id: int) -> Exam:
    return exams.one(request, exam_id)


def _flag(request, value: bool) -> bool:
    raw = request.GET.get("valid_only")
    if raw is not None:
        return raw.lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _run_import(request, service, file: UploadedFile, valid_only: bool, default_name: str, **into):
    """One of the synchronous sheet imports: 200 with the report; 400 when the file was
    refused or nothing was imported."""
    try:
        outcome = service(
            actor=request.auth,
            data=file.read(),
            filename=file.name or default_name,
            valid_only=_flag(request, valid_only),
            **into,
        )
    except ServiceError as e:
        return Status(
            400,
            {
                "detail": e.text,
                "imported": 0,
                "errors": [{"row": 0, "column": "", "message": e.text}],
            },
        )
    body = outcome.as_dict()
    if outcome.errors and not outcome.imported:
        body["detail"] = _("Nothing was imported: %(n)d errors were found.") % {
            "n": len(outcome.errors)
        }
        return Status(400, body)
    return Status(200, body)


@router.post(
    "/exams/{exam_id}/scores",
    response={200: ImportOut, 400: ImportRejected},
    summary="Import the score sheet (nothing is imported when a row is wrong, "
    "unless valid_only=true); the analysis then runs in the background",
)
@upload("sheet", allowed=may_upload_into_exam)
def import_scores(
    request, exam_id: int, file: UploadedFile = File(...), valid_only: bool = Form(False)
):
    exam = _exam(request, exam_id)
    return _run_import(request, services.import_scores, file, valid_only, "scores.xlsx", exam=exam)


@router.post(
    "/exams/{exam_id}/items",
    response={200: ImportOut, 400: ImportRejected},
    summary="Import one subject's item scores (?subject=NAME)",
)
@upload("sheet", allowed=may_upload_into_exam)
def import_items(
    request,
    exam_id: int,
    subject: str,
    file: UploadedFile = File(...),
    valid_only: bool = Form(False),
):
    exam = _exam(request, exam_id)
    subj = exam.subjects.filter(name=subject).first()
    if subj is None:
        raise HttpError(404, _("The exam has no subject “%(s)s”.") % {"s": subject})
    return _run_import(
        request, services.import_items, file, valid_only, "items.xlsx", exam=exam, subject=subj
    )


def _pending(exam: Exam):
    if exam.analysis_status == Exam.Status.EMPTY:
        raise HttpError(404, _("The exam has no scores yet."))
    return Status(
        202,
        {
            "detail": _("The analysis is not ready yet; ask again shortly."),
            "status": exam.analysis_status,
            "progress": exam.analysis_progress,
        },
    )


def _subject(exam: Exam, key: str | None):
    try:
        return queries.subject_by_key(exam, key)
    except LookupError:
        raise HttpError(404, _("The exam has no subject “%(s)s”.") % {"s": key}) from None


def analysis_item(r, subject_name: str) -> dict:
    unit = r.org_unit
    return {
        "id": r.pk,
        "level": r.level,
        "subject": subject_name,
        "org_unit": r.org_unit_id,
        "name": unit.name,
        "school_code": unit.code if r.level in (Level.SCHOOL, Level.CLASS) else None,
        "class_name": r.class_name if r.level == Level.CLASS else None,
        "county": r.county_id,
        "n": r.n,
        "absent": r.absent,
        "suppressed": r.suppressed,
        "suppression": r.suppression,
        "mean": r.mean,
        "sd": r.sd,
        "max": r.max_score,
        "min": r.min_score,
        "median": r.median,
        "q1": r.q1,
        "q3": r.q3,
        "excellent_rate": r.excellent_rate,
        "good_rate": r.good_rate,
        "pass_rate": r.pass_rate,
        "low_rate": r.low_rate,
        "all_pass_rate": r.all_pass_rate,
        "z": r.z,
        "t": r.t,
        "rank": r.rank,
        "peers": r.peers,
        "rank_in_county": r.rank_in_county,
        "percentile": r.percentile,
        "ratio_county": r.ratio_county,
        "ratio_city": r.ratio_city,
        "composite": r.composite,
        "bands": r.bands or [],
    }


@restricted.publishes(ANALYSIS)
@router.get(
    "/exams/{exam_id}/analysis",
    response={200: AnalysisOut, 202: PendingOut},
    summary="Stored figures per county, school or class (202 until the analysis is ready)",
)
def analysis(
    request, exam_id: int, page: Query[PageIn], level: str = "school", subject: str = "total"
):
    exam = _exam(request, exam_id)
    if level not in LEVELS:
        raise HttpError(400, _("level must be one of: all, county, school, class."))
    subj = _subject(exam, subject)
    if not exam.is_ready:
        return _pending(exam)
    qs = queries.ranked(queries.stat_rows(request.auth, exam, LEVELS[level], subj))
    count = qs.count()
    rows = queries.suppress(list(page.slice(qs)), queries.Privacy(request.auth))
    name = subj.name if subj else "total"
    return Status(200, {"items": [analysis_item(r, name) for r in rows], "count": count})


def _within(request, org_unit: int | None) -> str | None:
    if org_unit is None:
        return None
    return get_visible_or_404(OrgUnit, request.auth, pk=org_unit).path


@restricted.publishes(ANALYSIS)
@router.get(
    "/exams/{exam_id}/balance",
    response={200: BalanceOut, 202: PendingOut},
    summary="Inter-school CV of the school mean or pass rate (weighted by students tested)",
)
def exam_balance(
    request,
    exam_id: int,
    subject: str = "total",
    indicator: str = "mean",
    org_unit: int | None = None,
):
    exam = _exam(request, exam_id)
    if indicator not in {"mean", "pass_rate"}:
        raise HttpError(400, _("indicator must be mean or pass_rate."))
    subj = _subject(exam, subject)
    if not exam.is_ready:
        return _pending(exam)
    return Status(
        200,
        queries.exam_balance(
            request.auth, exam, subj, indicator, within=_within(request, org_unit)
        ),
    )


@router.get(
    "/balance",
    response=BalanceOut,
    summary="Inter-school CV of a resource indicator of the balance standard",
)
def resource_balance(request, indicator: str, stage: str = "primary", org_unit: int | None = None):
    if indicator not in BY_KEY:
        raise HttpError(
            400, _("Unknown indicator; one of: %(k)s") % {"k": ", ".join(sorted(BY_KEY))}
        )
    if stage not in {"primary", "junior"}:
        raise HttpError(400, _("stage must be primary or junior."))
    return queries.resource_balance(request.auth, indicator, stage, _within(request, org_unit))


@router.post(
    "/balance/inputs",
    response={200: ImportOut, 400: ImportRejected},
    summary="Import the schools' resource inputs (学校代码, 学生数, one column per indicator)",
)
@upload("sheet", allowed=may_upload_balance)
def import_balance_inputs(request, file: UploadedFile = File(...), valid_only: bool = Form(False)):
    return _run_import(request, services.import_balance_inputs, file, valid_only, "balance.xlsx")


@restricted.publishes(ITEMS)
@router.get(
    "/exams/{exam_id}/items",
    response={200: ItemsOut, 202: PendingOut},
    summary="Item analysis of one subject's paper and its reliability",
)
def item_analysis(request, exam_id: int, subject: str):
    exam = _exam(request, exam_id)
    subj = _subject(exam, subject)
    if subj is None:
        raise HttpError(400, _("Item analysis is per subject."))
    if not exam.is_ready:
        return _pending(exam)
    paper, items = queries.item_rows(request.auth, exam, subj)
    if paper is None:
        raise HttpError(404, _("No item scores were imported for this subject."))
    return Status(
        200,
        {
            "subject": subj.name,
            "n": paper.n,
            "k": paper.k,
            "alpha": paper.alpha,
            "kr20": paper.kr20,
            "count": len(items),
            "items": [
                {
                    "id": i.item_id,
                    "item": i.item.label,
                    "full_marks": i.item.full_marks,
                    "n": i.n,
                    "mean": i.mean,
                    "difficulty": i.difficulty,
                    "discrimination": i.discrimination,
                    "item_total_r": i.item_total_r,
                    "suppressed": i.suppressed,
                }
                for i in items
            ],
        },
    )


def _pending_link(link: ValueAddedLink):
    if not link.awaits_refresh:
        detail = _("The value-added is being computed; ask again shortly.")
    else:
        detail = _(
            "The value-added no longer matches the exams' data; someone with the "
            "student-data permission on both exams must ask for it again (POST)."
        )
    return Status(202, {"detail": detail, "status": link.status, "progress": 0})


@router.post(
    "/value-added",
    response={200: ValueAddedRequestOut, 202: ValueAddedRequestOut},
    summary="Ask for the value-added of a pair of exams to be computed (needs the "
    "student-data permission on both exams' units and a large enough shared cohort); "
    "202 while it is computed, then read it with GET",
)
def request_value_added(request, data: ValueAddedRequestIn):
    entry_exam = resolve(request.auth, Exam, data.entry, field="entry", queryset=EXAMS)
    exit_exam = resolve(request.auth, Exam, data.exit, field="exit", queryset=EXAMS)
    link = services.request_value_added(actor=request.auth, entry=entry_exam, exit_exam=exit_exam)
    link = ValueAddedLink.objects.select_related("entry_exam", "exit_exam", "job").get(pk=link.pk)
    current = link.is_current
    return Status(
        200 if current else 202,
        {
            "entry": entry_exam.pk,
            "exit": exit_exam.pk,
            "status": link.status,
            "current": current,
            "detail": _("Ready.")
            if current
            else _("The value-added is being computed; ask again shortly."),
        },
    )


@restricted.publishes(VALUE_ADDED)
@router.get(
    "/value-added",
    response={200: ValueAddedOut, 202: PendingOut},
    summary="Value-added between an entry and an exit exam of one cohort, as computed "
    "(404 until asked for with POST; 202 while computing). Reads only.",
)
def value_added(request, entry: int, exit: int, page: Query[PageIn], level: str = "school"):
    if level not in {"all", "county", "school", "class"}:
        raise HttpError(400, _("level must be one of: all, county, school, class."))
    entry_exam = _exam(request, entry)
    exit_exam = _exam(request, exit)
    link = (
        ValueAddedLink.objects.visible_to(request.auth)
        .select_related("entry_exam", "exit_exam__org_unit", "job")
        .filter(entry_exam=entry_exam, exit_exam=exit_exam)
        .first()
    )
    if link is None:
        raise HttpError(
            404,
            _("The value-added of this pair has not been asked for; ask for it with POST."),
        )
    if not link.is_current:
        return _pending_link(link)
    queries.hide_link_fit(request.auth, link)
    rows = [r for r in queries.value_added_rows(request.auth, link, LEVELS[level]) if r.n_exit]
    count = len(rows)
    rows = page.slice(rows)
    return Status(
        200,
        {
            "entry": entry_exam.pk,
            "exit": exit_exam.pk,
            "n_linked": link.n_linked,
            "slope": link.slope,
            "intercept": link.intercept,
            "count": count,
            "items": [
                {
                    "id": r.pk,
                    "level": r.level,
                    "org_unit": r.org_unit_id,
                    "name": r.org_unit.name,
                    "school_code": r.org_unit.code
                    if r.level in (Level.SCHOOL, Level.CLASS)
                    else None,
                    "class_name": r.class_name if r.level == Level.CLASS else None,
                    "n_exit": r.n_exit,
                    "n_linked": r.n_linked,
                    "suppressed": r.suppressed,
                    "suppression": r.suppression,
                    "few_linked": bool(r.few),
                    "mean_entry": r.mean_entry,
                    "mean_exit": r.mean_exit,
                    "mean_z_gain": r.mean_z_gain,
                    "mean_residual": r.mean_residual,
                }
                for r in rows
            ],
        },
    )


@router.get(
    "/exams/{exam_id}/students",
    response=StudentsOut,
    summary="Student-level rows of one school (needs the student-data permission and a "
    "reason; every read is audited with it)",
)
def students(request, exam_id: int, school: int, page: Query[PageIn], reason: str = ""):
    exam = _exam(request, exam_id)
    unit = queries.student_school(request.auth, school)  # 403 / one 404 for all others
    reason = restricted.clean_reason(reason)
    qs = Candidate.objects.visible_to(request.auth).filter(exam=exam, school=unit)
    count = qs.count()
    if not count:
        raise HttpError(404, _("Not found."))
    rows = list(page.slice(qs.order_by("class_name", "exam_no")))
    services.record_student_read(
        actor=request.auth, exam=exam, unit=unit, rows=len(rows), reason=reason
    )
    names = [s.name for s in exam.subjects.all()]
    return {
        "count": count,
        "items": [
            {
                "id": c.pk,
                "org_unit": c.school_id,
                "exam_no": c.exam_no,
                "student_key": c.student_key,
                "school_code": unit.code,
                "class_name": c.class_name,
                "gender": c.gender,
                "scores": dict(zip(names, c.scores, strict=False)),
            }
            for c in rows
        ],
    }
