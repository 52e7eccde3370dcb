"""Pages of the quality module. Thin: parse, call a query or a service, render. Every
report page reads only the stored analysis."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import restricted
from jiaoyan.core.dbrouter import replica_reads
from jiaoyan.core.imports import start_import
from jiaoyan.core.lists import SortOption, paginate, querystring_without, xlsx_response
from jiaoyan.core.pages import (
    FAILED,
    Column,
    ListPage,
    edit_page,
    editing,
    form_page,
    post_action,
    wants_export,
)
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, get_visible_or_404, has_role, units_where
from jiaoyan.core.sheets import write_table_xlsx
from jiaoyan.core.uploads import may_import, upload
from jiaoyan.core.views_permissions import grants_page, revoke_grant
from jiaoyan.orgs.models import OrgUnit

from . import charts, queries, reports, services
from .aggregates import ANALYSIS, ITEMS, VALUE_ADDED
from .filters import ExamFilter, StudentFilter
from .forms import ExamForm, ItemUploadForm, PairForm, SettingsForm, UploadForm
from .indicators import INDICATORS, indicator_value
from .models import (
    Candidate,
    Exam,
    Level,
    ValueAddedLink,
)
from .sheets import ScoreSheet
from .stats import BANDS

LEVEL_LABELS = {Level.COUNTY: "区县", Level.SCHOOL: "学校", Level.CLASS: "班级"}


def _exam(request, pk: int) -> Exam:
    return get_visible_or_404(Exam.objects.select_related("org_unit", "stage"), request.user, pk=pk)


def _head_echarts() -> dict:
    return {"uses_charts": True}


# --- exams ------------------------------------------------------------------------------


class ExamList(ListPage):
    """The exams in scope (the viewer's units' own and those of the units above them)."""

    template = "quality/exam_list.html"
    fragment = "quality/_exam_table.html"
    filterset = ExamFilter
    sorts = [
        SortOption("date", _lazy("Date"), ("date",)),
        SortOption("name", _lazy("Exam"), ("name",)),
    ]
    default_sort = "-date"
    columns = [
        Column("考试名称", "name", width=30),
        Column("类型", "get_kind_display", width=14),
        Column("日期", "date", width=12),
        Column("学段", "stage.name", width=8),
        Column("年级", "grade", width=8),
        Column("组织单位", "org_unit.name", width=20),
        Column("学生数", "candidates_count", width=10),
        Column("分析状态", "get_analysis_status_display", width=14),
    ]
    export_name = "考试列表"
    export_title = "考试列表"

    def get_queryset(self):
        return queries.visible_exams(self.user)

    def get_context(self):
        return {
            "can_add": units_where(self.user, "add", Exam).exists(),
            "is_admin": has_role(self.user, Role.BUREAU_ADMIN),
        }


exam_list = ExamList.as_view()


def _owner_units(user):
    return (
        units_where(user, "add", Exam)
        .filter(kind=OrgUnit.Kind.REGION, level__in=[OrgUnit.Level.CITY, OrgUnit.Level.COUNTY])
        .order_by("path")
    )


@login_required
def exam_create(request: HttpRequest) -> HttpResponse:
    units = list(_owner_units(request.user)[:200])
    if not units:
        raise PermissionDenied(_("You may not create exams."))
    form = ExamForm(request.POST or None, units=units)

    def create(d):
        return services.create_exam(
            actor=request.user,
            name=d["name"],
            kind=d["kind"],
            date=d["date"],
            grade=d["grade"],
            stage=d["stage"],
            org_unit=next(u for u in units if str(u.pk) == d["org_unit"]),
            subjects=d["subjects"],
        )

    return form_page(
        request,
        form,
        create,
        template="quality/exam_form.html",
        success=lambda exam: _("Exam “%(name)s” created.") % {"name": exam.name},
    )


def _level_rows(request, exam, level, subject, per_page=None):
    qs = queries.ranked(queries.stat_rows(request.user, exam, level, subject))
    page = paginate(request, qs, per_page)
    queries.suppress(list(page.object_list), queries.Privacy(request.user))
    return page


@login_required
@restricted.publishes(ANALYSIS)
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    subjects = queries.subjects_of(exam)
    ctx: dict = {
        "exam": exam,
        "subjects": subjects,
        "can_import": can(request.user, "import", exam),
        "can_change": can(request.user, "change", exam),
        "score_form": UploadForm(),
        "item_form": ItemUploadForm(subjects=subjects, prefix="items"),
        "import_jobs": queries.import_jobs(request.user, exam),
        "uses_charts": True,
    }
    if exam.is_ready:
        privacy = queries.Privacy(request.user)
        mine = queries.scope_rows(request.user, exam)
        queries.suppress(list(mine.values()), privacy)
        summary = [{"subject": s, "row": mine.get(s.pk if s else None)} for s in [*subjects, None]]
        ctx["summary"] = summary
        counties = queries.counties_in_view(request.user, exam)
        queries.suppress(counties, privacy)
        ctx["counties"] = counties
        levels = (Level.COUNTY, Level.SCHOOL, Level.CLASS)
        level = request.GET.get("level") if request.GET.get("level") in levels else Level.SCHOOL
        if wants_export(request):
            rows = list(queries.ranked(queries.stat_rows(request.user, exam, level, None))[:20000])
            queries.suppress(rows, privacy)
            return xlsx_response(
                reports.rows_xlsx(
                    rows, level, title=f"{exam.name} 总分（{LEVEL_LABELS[level]}）", sheet="总分"
                ),
                f"{exam.name}-{LEVEL_LABELS[level]}",
            )
        ctx["page"] = _level_rows(request, exam, Level.SCHOOL, None)
        ctx["base_query"] = querystring_without(request, "page")
        named = [x for x in summary if x["subject"] is not None and x["row"] and x["row"].mean]
        if named:
            ctx["means_chart"] = charts.grouped_bar(
                [x["subject"].name for x in named],
                [
                    (
                        _("Mean as % of full marks"),
                        [round(100 * x["row"].mean / x["subject"].full_marks, 1) for x in named],
                    ),
                    (_("Pass rate %"), [round(100 * (x["row"].pass_rate or 0), 1) for x in named]),
                ],
                title=_("Subjects at a glance"),
            )
    return render(request, "quality/exam_detail.html", ctx)


@login_required
def exam_status(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    response = render(request, "quality/_analysis_status.html", {"exam": exam, "polling": True})
    if request.GET.get("was") == "busy" and exam.analysis_status in (
        Exam.Status.READY,
        Exam.Status.FAILED,
    ):
        response["HX-Refresh"] = "true"
    return response


def _start_job(request, exam: Exam | None, form, kind: str, params: dict) -> HttpResponse:
    """Store the upload as a background import job and show its page (progress, then the
    report); a file refused before it is read goes back with the message."""
    upload = form.cleaned_data["file"]
    back = exam.get_absolute_url() if exam is not None else reverse("quality:resource_balance")

    def start():
        return start_import(
            actor=request.user,
            kind=kind,
            filename=upload.name,
            data=upload.read(),
            valid_only=form.cleaned_data["valid_only"],
            params=params,
        )

    return post_action(request, start, redirect_to=lambda job: job if job is not None else back)


def may_upload_into_exam(request, user, kwargs) -> None:
    """The upload guard (core.uploads) of an exam's score and item sheets, pages and API:
    the exam is seen (else 404) and the user may import into it."""
    pk = kwargs.get("pk", kwargs.get("exam_id"))
    get_visible_or_404(Exam, user, pk=pk)
    may_import(user, ScoreSheet.kind, {"exam": pk})


def may_upload_balance(request, user, kwargs) -> None:
    may_import(user, "balance_inputs")


@login_required
@require_POST
@upload("sheet", allowed=may_upload_into_exam)
def upload_scores(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect(exam)
    return _start_job(request, exam, form, "scores", {"exam": exam.pk})


@login_required
@require_POST
@upload("sheet", allowed=may_upload_into_exam)
def upload_items(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    subjects = queries.subjects_of(exam)
    form = ItemUploadForm(request.POST, request.FILES, subjects=subjects, prefix="items")
    if not form.is_valid():
        messages.error(request, _("Choose a subject and a file to upload."))
        return redirect(exam)
    subject = next(s for s in subjects if str(s.pk) == form.cleaned_data["subject"])
    return _start_job(
        request, exam, form, "item_scores", {"exam": exam.pk, "subject": subject.name}
    )


@login_required
def score_template(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    names = [s.name for s in queries.subjects_of(exam)]
    content = write_table_xlsx(
        ["考号", "学校代码", "班级", "性别", "学籍号", *names],
        [],
        sheet_title="成绩",
        widths=[14, 14, 10, 8, 20] + [10] * len(names),
    )
    return xlsx_response(content, f"{exam.name}-成绩导入模板")


@login_required
def exam_settings(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    subjects = queries.subjects_of(exam)
    editable = can(request.user, "change", exam)
    initial = editing(exam, services.SETTING_FIELDS)
    for s in subjects:
        if s.excellent_cut is not None:
            initial[f"subject_{s.pk}"] = "/".join(
                f"{v:g}" for v in (s.excellent_cut, s.good_cut, s.pass_cut, s.low_cut)
            )
    form = SettingsForm(request.POST or None, initial=initial, subjects=subjects)
    if request.method == "POST" and not editable:
        raise PermissionDenied(_("You may not change this exam."))

    def save(d, version):
        subject_cuts = form.subject_cutoffs()  # puts a badly written line's error on its field
        if form.errors:
            return FAILED
        services.update_settings(
            actor=request.user,
            exam=exam,
            cutoffs={
                "excellent": d["excellent_cut"],
                "good": d["good_cut"],
                "pass": d["pass_cut"],
                "low": d["low_cut"],
            },
            weights={
                "mean": d["weight_mean"],
                "excellent": d["weight_excellent"],
                "pass": d["weight_pass"],
                "low": d["weight_low"],
            },
            subject_cutoffs=subject_cuts,
            expected_version=version,
        )

    from jiaoyan.core import audit

    return edit_page(
        request,
        form,
        save,
        template="quality/exam_settings.html",
        context={
            "exam": exam,
            "editable": editable,
            "subjects": subjects,
            "history": audit.entries(exam),
        },
        success=_("Saved; the analysis is being recomputed."),
        redirect_to=exam,
    )


# --- school report ------------------------------------------------------------------------


def _school(request, school_id: int) -> OrgUnit:
    return get_visible_or_404(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.SCHOOL), request.user, pk=school_id
    )


@replica_reads
@login_required
@restricted.publishes(ANALYSIS)
def school_report(request: HttpRequest, pk: int, school_id: int) -> HttpResponse:
    exam = _exam(request, pk)
    school = _school(request, school_id)
    if not exam.is_ready:
        return render(request, "quality/not_ready.html", {"exam": exam})
    try:
        class_subject = queries.subject_by_key(exam, request.GET.get("subject"))
    except LookupError:
        raise Http404 from None
    rep = queries.school_report(request.user, exam, school, class_subject)
    if rep is None:
        raise Http404(_("The school did not take part in this exam."))
    fmt = request.GET.get("format")
    if fmt == "docx":
        # Rendered by a job as the user sees it, started by a POST; a GET only reads:
        # the file once stored, else the job's progress (or the button starting it).
        if request.method == "POST":
            return post_action(
                request,
                lambda: services.school_report_document(
                    actor=request.user, exam=exam, school=school, subject=class_subject
                ),
                redirect_to=request.get_full_path(),
            )
        job = services.find_school_report_document(
            actor=request.user, exam=exam, school=school, subject=class_subject
        )
        if job is None or job.status != job.Status.SUCCEEDED:
            return render(
                request,
                "quality/report_pending.html",
                {"exam": exam, "job": job, "action": request.get_full_path()},
            )
        with default_storage.open(job.result["file"], "rb") as fh:
            content = fh.read()
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        name = f"{school.name}-{exam.name}-质量分析报告.docx"
        response["Content-Disposition"] = (
            f"attachment; filename=\"report.docx\"; filename*=UTF-8''{quote(name)}"
        )
        return response
    if wants_export(request):
        return xlsx_response(
            reports.rows_xlsx(
                rep.classes,
                Level.CLASS,
                title=f"{school.name} 各班级（{class_subject.name if class_subject else '总分'}）",
                sheet="班级",
            ),
            f"{school.name}-班级",
        )
    if wants_export(request, "subjects"):
        content = write_table_xlsx(
            ["学科", *reports.STAT_HEADERS],
            (
                [r.subject.name if r.subject_id else "总分", *reports.stat_cells(r)]
                for r in rep.rows
            ),
            sheet_title="学科",
            title=f"{school.name} · {exam.name}",
            widths=[12] + [10] * len(reports.STAT_HEADERS),
        )
        return xlsx_response(content, f"{school.name}-学科")
    subject_rows = [r for r in rep.rows if r.subject_id]
    t_scores = [round(r.t, 1) if r.t is not None else None for r in subject_rows]
    total = next((r for r in rep.rows if r.subject_id is None), None)
    city_total = rep.refs_all.get(None)
    ctx = {
        "exam": exam,
        "school": school,
        "rep": rep,
        "total": total,
        "city_total": city_total,
        "lines": [
            {
                "row": r,
                "name": r.subject.name if r.subject_id else _("Total"),
                "county": rep.refs_county.get(r.subject_id),
                "city": rep.refs_all.get(r.subject_id),
            }
            for r in rep.rows
        ],
        "uses_charts": True,
        "radar": charts.radar(
            [r.subject.name for r in subject_rows],
            [(school.name, t_scores), (_("Whole exam"), [50] * len(subject_rows))],
            title=_("T scores by subject (whole exam = 50)"),
            min_value=min([50, *[t for t in t_scores if t is not None]]) // 5 * 5 - 5,
            max_value=-(-max([50, *[t for t in t_scores if t is not None]]) // 5) * 5 + 5,
        )
        if len(subject_rows) >= 3
        else None,
        "classes_query": querystring_without(request, "subject", "export", "format"),
    }
    if total is not None and total.bands and total.n:
        ctx["dist_chart"] = charts.grouped_bar(
            reports.band_labels(),
            [
                (school.name, [round(100 * b / total.n, 1) for b in total.bands]),
                (
                    _("Whole exam"),
                    [round(100 * b / city_total.n, 1) for b in city_total.bands]
                    if city_total and city_total.n and city_total.bands
                    else [None] * BANDS,
                ),
            ],
            title=_("Distribution of the total (% of students per band of full marks)"),
        )
    if len(rep.trend) >= 2:
        ctx["trend_chart"] = charts.line(
            [t["exam"].name for t in rep.trend],
            [
                (
                    _("T score of the total"),
                    [round(t["t"], 1) if t["t"] is not None else None for t in rep.trend],
                )
            ],
            title=_("Trend across exams"),
        )
    shown = [c for c in rep.classes if c.mean is not None]
    if shown:
        ctx["class_chart"] = _spread_chart(
            shown, [c.class_name for c in shown], _("Classes: spread of scores")
        )
    return render(request, "quality/school_report.html", ctx)


def _spread_chart(rows, labels: list[str], title: str) -> dict:
    """A box plot of the score spread (minimum, quartiles, maximum) of each row."""
    return charts.boxplot(
        labels, [[r.min_score, r.q1, r.median, r.q3, r.max_score] for r in rows], title=title
    )


@login_required
@restricted.publishes(ANALYSIS)
def school_pick(request: HttpRequest, pk: int) -> HttpResponse:
    """The user's own school report, or the list of schools to choose from."""
    exam = _exam(request, pk)
    rows = list(
        queries.stat_rows(request.user, exam, Level.SCHOOL, None).values_list(
            "org_unit_id", flat=True
        )[:2]
    )
    if len(rows) == 1:
        return redirect("quality:school_report", pk=exam.pk, school_id=rows[0])
    return redirect(reverse("quality:exam_detail", args=[exam.pk]) + "#schools")


# --- subject report -------------------------------------------------------------------------


@replica_reads
@login_required
@restricted.publishes(ANALYSIS, ITEMS)
def subject_report(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    exam = _exam(request, pk)
    try:
        subject = queries.subject_by_key(exam, key)
    except LookupError:
        raise Http404 from None
    if not exam.is_ready:
        return render(request, "quality/not_ready.html", {"exam": exam})
    level = Level.CLASS if request.GET.get("level") == Level.CLASS else Level.SCHOOL
    privacy = queries.Privacy(request.user)
    name = subject.name if subject else _("Total")
    paper, items = (None, [])
    if subject is not None:
        paper, items = queries.item_rows(request.user, exam, subject)
    if wants_export(request):
        rows = list(queries.ranked(queries.stat_rows(request.user, exam, level, subject))[:20000])
        queries.suppress(rows, privacy)
        return xlsx_response(
            reports.rows_xlsx(rows, level, title=f"{exam.name} · {name}", sheet=str(name)[:31]),
            f"{exam.name}-{name}",
        )
    if wants_export(request, "items") and subject is not None:
        return xlsx_response(
            reports.items_xlsx(items, paper, title=f"{exam.name} · {name} 题目分析"),
            f"{exam.name}-{name}-题目分析",
        )
    page = _level_rows(request, exam, level, subject)
    scope = queries.scope_row(request.user, exam, subject)
    if scope is not None:
        queries.suppress([scope], privacy)
    counties = list(queries.stat_rows(request.user, exam, Level.COUNTY, subject).order_by("rank"))
    queries.suppress(counties, privacy)
    ctx = {
        "exam": exam,
        "subject": subject,
        "name": name,
        "level": level,
        "page": page,
        "scope": scope,
        "counties": counties,
        "paper": paper,
        "items": items,
        "subjects": queries.subjects_of(exam),
        "base_query": querystring_without(request, "page"),
        "uses_charts": True,
    }
    if scope is not None and scope.bands and scope.n:
        ctx["dist_chart"] = charts.grouped_bar(
            reports.band_labels(),
            [(_("Students"), scope.bands)],
            title=_("Distribution (students per band of full marks)"),
        )
    box_rows = [c for c in counties if c.mean is not None]
    if len(box_rows) < 2:
        box_rows = [r for r in page.object_list if r.mean is not None][:30]
    if box_rows:
        ctx["box_chart"] = _spread_chart(
            box_rows, [r.class_name or r.org_unit.name for r in box_rows], _("Spread of scores")
        )
    return render(request, "quality/subject_report.html", ctx)


# --- balance -----------------------------------------------------------------------------


@replica_reads
@login_required
@restricted.publishes(ANALYSIS)
def exam_balance(request: HttpRequest, pk: int) -> HttpResponse:
    exam = _exam(request, pk)
    if not exam.is_ready:
        return render(request, "quality/not_ready.html", {"exam": exam})
    table = queries.exam_balance_table(request.user, exam, queries.subjects_of(exam))
    for r in table:
        r["area"] = r["county"] or _("All schools you see")
        r["subject"] = r["subject"].name if r["subject"] else _("Total")
    if wants_export(request):
        content = write_table_xlsx(
            ["范围", "学科", "学校数", "均分差异系数", "及格率差异系数", "标准", "均分是否达标"],
            (
                [
                    r["area"],
                    r["subject"],
                    r["mean"]["schools"],
                    reports.num(r["mean"]["cv"], 4),
                    reports.num(r["pass_rate"]["cv"], 4),
                    r["mean"]["threshold"],
                    "" if r["mean"]["met"] is None else ("达标" if r["mean"]["met"] else "未达标"),
                ]
                for r in table
            ),
            sheet_title="校际差异系数",
            title=f"{exam.name} 校际差异系数",
        )
        return xlsx_response(content, f"{exam.name}-校际差异系数")
    return render(
        request,
        "quality/exam_balance.html",
        {"exam": exam, "table": table, "threshold": exam.balance_threshold},
    )


@replica_reads
@login_required
@upload("sheet", allowed=may_upload_balance)
def resource_balance(request: HttpRequest) -> HttpResponse:
    stage = (
        request.GET.get("stage") if request.GET.get("stage") in ("primary", "junior") else "primary"
    )
    can_import = has_role(request.user, Role.BUREAU_ADMIN)
    form = UploadForm()
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied(_("You may not import balance inputs."))
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            return _start_job(request, None, form, "balance_inputs", {})
    inputs = queries.balance_inputs(request.user, stage)
    if wants_export(request):
        content = write_table_xlsx(
            [
                "学校代码",
                "学校",
                "学生数",
                *[i.header for i in INDICATORS],
                *[str(i.label) for i in INDICATORS],
            ],
            (
                [
                    b.school.code,
                    b.school.name,
                    b.students,
                    *[b.values.get(i.key) for i in INDICATORS],
                    *[
                        reports.num(indicator_value(i, b.values.get(i.key), b.students), 3)
                        for i in INDICATORS
                    ],
                ]
                for b in inputs
            ),
            sheet_title="均衡指标",
            title="优质均衡资源配置指标",
        )
        return xlsx_response(content, "优质均衡资源配置指标")
    table = queries.resource_balance_all(request.user, stage)
    return render(
        request,
        "quality/resource_balance.html",
        {
            "stage": stage,
            "table": table,
            "form": form,
            "can_import": can_import,
            "schools": table[0]["schools"] if table else 0,
            "indicators": INDICATORS,
        },
    )


@login_required
def balance_template(request: HttpRequest) -> HttpResponse:
    content = write_table_xlsx(
        ["学校代码", "学生数", *[i.header for i in INDICATORS]],
        [],
        sheet_title="均衡指标",
        widths=[14, 10] + [18] * len(INDICATORS),
    )
    return xlsx_response(content, "均衡指标导入模板")


# --- value-added -------------------------------------------------------------------------


@login_required
@restricted.publishes(VALUE_ADDED)
def value_added(request: HttpRequest) -> HttpResponse:
    exams = list(
        queries.visible_exams(request.user).exclude(analysis_status=Exam.Status.EMPTY)[:200]
    )
    form = PairForm(request.POST or request.GET or None, exams=exams)
    ids = {e.pk: e for e in exams}
    if request.method == "POST" and form.is_valid():
        entry = ids.get(int(form.cleaned_data["entry"] or 0))
        exit_exam = ids.get(int(form.cleaned_data["exit"] or 0))
        if entry is None or exit_exam is None:
            messages.error(request, _("Choose both exams."))
        else:
            url = reverse("quality:value_added")
            return post_action(
                request,
                lambda: services.request_value_added(
                    actor=request.user, entry=entry, exit_exam=exit_exam
                ),
                redirect_to=f"{url}?entry={entry.pk}&exit={exit_exam.pk}",
            )
    ctx: dict = {"form": form, "uses_charts": True}
    try:
        entry_id, exit_id = int(request.GET.get("entry", 0)), int(request.GET.get("exit", 0))
    except ValueError:
        entry_id = exit_id = 0
    link = None
    if entry_id and exit_id:
        entry, exit_exam = _exam(request, entry_id), _exam(request, exit_id)
        link = (
            ValueAddedLink.objects.visible_to(request.user)
            .select_related("entry_exam", "exit_exam__org_unit", "job")
            .filter(entry_exam=entry, exit_exam=exit_exam)
            .first()
        )
    ctx["link"] = link
    ctx["pair_chosen"] = bool(entry_id and exit_id)
    if link is not None and link.is_current:
        queries.hide_link_fit(request.user, link)
        school = None
        if request.GET.get("school"):
            school = _school(
                request, int(request.GET["school"]) if request.GET["school"].isdigit() else 0
            )
        level = Level.CLASS if school else Level.SCHOOL
        rows = [r for r in queries.value_added_rows(request.user, link, level, school) if r.n_exit]
        if wants_export(request):
            content = write_table_xlsx(
                [
                    "学校代码",
                    "学校",
                    "班级",
                    "出口参考人数",
                    "匹配人数",
                    "入口均分",
                    "出口均分",
                    "标准分增量均值",
                    "回归残差均值",
                    "提示",
                ],
                (
                    [
                        r.org_unit.code,
                        r.org_unit.name,
                        r.class_name,
                        r.n_exit,
                        r.n_linked,
                        reports.num(r.mean_entry),
                        reports.num(r.mean_exit),
                        reports.num(r.mean_z_gain, 4),
                        reports.num(r.mean_residual, 3),
                        "匹配人数少" if r.few else "",
                    ]
                    for r in rows
                ),
                sheet_title="增值评价",
                title=f"增值评价：{link.entry_exam.name} → {link.exit_exam.name}",
            )
            return xlsx_response(content, "增值评价")
        page = paginate(request, rows, 50)
        ctx.update(
            {
                "rows": page.object_list,
                "page": page,
                "school": school,
                "level": level,
                "base_query": querystring_without(request, "page"),
            }
        )
        points = [
            (r.mean_entry, r.mean_exit, r.class_name or r.org_unit.name)
            for r in rows
            if r.mean_entry is not None and r.mean_exit is not None
        ]
        if points:
            ctx["scatter"] = charts.scatter(
                points,
                title=_("Entry vs exit (group means of linked students)"),
                x_name=_("Entry"),
                y_name=_("Exit"),
                fit=(link.slope, link.intercept) if link.slope is not None else None,
            )
    return render(request, "quality/value_added.html", ctx)


# --- student-level rows (permission, audited) ------------------------------------------------


STUDENT_SORTS = [
    SortOption("class", _lazy("Class"), ("class_name", "exam_no")),
    SortOption("exam_no", _lazy("Exam number"), ("exam_no",)),
]


class StudentList(ListPage):
    """One school's student rows in one exam (restricted data). Every page shown and every
    export is audited; the export is the exam's score sheet, so it imports back."""

    template = "quality/students.html"
    fragment = "quality/_student_table.html"
    filterset = StudentFilter
    sorts = STUDENT_SORTS
    default_sort = "class"
    per_page = 50
    sheet = ScoreSheet

    def __init__(
        self, request: HttpRequest, *, exam: Exam, school: OrgUnit, reason: str, **kwargs
    ) -> None:
        super().__init__(request, **kwargs)
        self.exam, self.school, self.reason = exam, school, reason

    def get_queryset(self):
        return Candidate.objects.visible_to(self.user).filter(exam=self.exam, school=self.school)

    def get_sheet(self):
        # The exam was read within the viewer's scope and the rows are the page's (scoped)
        # rows; exporting needs no right to import, so the kind is built without an actor.
        return ScoreSheet(params={"exam": self.exam.pk})

    def export(self, qs):
        rows = qs.count()
        services.record_student_read(
            actor=self.user,
            exam=self.exam,
            unit=self.school,
            rows=rows,
            reason=self.reason,
            export=True,
        )
        return super().export(qs)

    def get_context(self):
        services.record_student_read(
            actor=self.user,
            exam=self.exam,
            unit=self.school,
            rows=len(self.page.object_list),
            reason=self.reason,
        )
        return {
            "reason": self.reason,
            "exam": self.exam,
            "school": self.school,
            "names": [s.name for s in queries.subjects_of(self.exam)],
        }


@login_required
def students(request: HttpRequest, pk: int) -> HttpResponse:
    """Student-level rows of one school (found by :func:`queries.student_school`: one
    answer for every school the user may not read); the reader says why before any row
    is shown, and every view and export is audited with that reason
    (:func:`jiaoyan.core.restricted.record_read`)."""
    exam = _exam(request, pk)
    raw_school = (request.GET.get("school") or "").strip()
    school = queries.student_school(
        request.user, int(raw_school) if raw_school.isdigit() and len(raw_school) < 19 else None
    )
    raw = request.GET.get("reason", "")
    reason, problem = restricted.reason_or_problem(raw)
    if reason is None:
        ctx = {"exam": exam, "school": school, "reason": raw}
        ctx["reason_error"] = problem if "reason" in request.GET else ""
        return render(request, "quality/students_reason.html", ctx)
    return StudentList(request, exam=exam, school=school, reason=reason).dispatch()


# --- the permission page -------------------------------------------------------------------
# The student-data grants are core's generic grants page (``/permissions/student_data/``);
# the old address serves the same page.


@login_required
def permissions(request: HttpRequest) -> HttpResponse:
    return grants_page(request, restricted.STUDENT_DATA, redirect_to="quality:permissions")


@login_required
@require_POST
def permission_revoke(request: HttpRequest, perm_id: int) -> HttpResponse:
    return revoke_grant(
        request, restricted.STUDENT_DATA, perm_id, redirect_to="quality:permissions"
    )
