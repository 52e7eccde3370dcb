"""Pages of lesson observation: the observation list, recording on a phone (lesson, S-T
taps, scores), the observation page with replies and corrections, teacher growth,
coverage and distributions, 同课异构 rounds, rubrics and liaison schools."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.activities.models import Activity
from jiaoyan.activities.queries import visible_activities
from jiaoyan.core import audit
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.lists import (
    SortOption,
    paginate,
    querystring_without,
    render_list,
    sort_queryset,
    xlsx_response,
)
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, get_visible_or_404, has_role, units_where, user_scopes
from jiaoyan.core.sheets import export_xlsx, write_table_xlsx
from jiaoyan.orgs.models import OrgUnit, Subject
from jiaoyan.people.models import Person

from . import charts, hooks, queries, services, st
from .filters import ObservationFilter
from .forms import (
    CorrectionForm,
    LessonForm,
    LiaisonForm,
    RecordForm,
    ReplyForm,
    RoundForm,
    RubricForm,
)
from .models import (
    OBSERVERS,
    ComparisonRound,
    LiaisonAssignment,
    Observation,
    Rubric,
    RubricVersion,
)
from .scoring import compute_results, parse_rubric_text, structure_text
from .sheets import LiaisonSheet
from .terms import parse_term, recent_terms, term_of

SORTS = [
    SortOption("date", gettext_lazy("Date"), ("date", "period")),
    SortOption("total", gettext_lazy("Total score"), ("total",)),
    SortOption("school", gettext_lazy("School"), ("unit_path",)),
]


def _form_error(form, error: ServiceError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.text if field is None else error.messages)


def _term(request: HttpRequest):
    return parse_term(request.GET.get("term")) or term_of(timezone.localdate())


def _term_context(request: HttpRequest, term) -> dict:
    return {
        "term": term,
        "terms": recent_terms(timezone.localdate(), 6),
        "base_query_noterm": querystring_without(request, "term", "export"),
    }


# --- observation list ----------------------------------------------------------------------

EXPORT_HEADERS = [
    "日期",
    "节次",
    "学校",
    "授课教师",
    "学科",
    "学段",
    "年级",
    "班级",
    "课题",
    "类型",
    "听课人",
    "评价表",
    "总分",
    "等级",
    "S-T Rt",
    "S-T Ch",
    "教学模式",
    "状态",
    "教研活动",
]


def _export_rows(qs):
    for o in qs.select_related("rubric_version__rubric").iterator(chunk_size=2000):
        yield [
            o.date,
            o.period or "",
            o.org_unit.name,
            o.teacher.name,
            o.subject.name,
            o.stage.name,
            o.grade,
            o.class_name,
            o.topic,
            o.get_kind_display(),
            o.observer_name,
            str(o.rubric_version),
            float(o.total) if o.total is not None else "",
            o.grade_label,
            float(o.st_rt) if o.st_rt is not None else "",
            float(o.st_ch) if o.st_ch is not None else "",
            o.st_mode_label,
            o.get_status_display(),
            o.activity_title,
        ]


@login_required
def observation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    f = ObservationFilter(request.GET, queryset=queries.observations_for(user), request=request)
    qs = f.qs
    if request.GET.get("export") == "xlsx":
        content = write_table_xlsx(
            EXPORT_HEADERS,
            _export_rows(queries.for_list(qs.order_by("-date", "-id"))),
            sheet_title="听课记录",
            title=f"听课记录（{timezone.localdate():%Y-%m-%d} 导出）",
        )
        return xlsx_response(content, "听课记录")
    qs, sort = sort_queryset(request, qs, SORTS, "-date")
    unfiltered = not any(request.GET.get(k) for k in f.filters)
    count = queries.visible_count(user) if unfiltered else None
    page = paginate(request, queries.CountedList(queries.for_list(qs), count))
    return render_list(
        request,
        "observations/observation_list.html",
        "observations/_observation_table.html",
        {
            "filter": f,
            "page": page,
            "sort": sort,
            "can_add": queries.can_add_somewhere(user),
            "person": getattr(user, "person", None),
            "activity": f.form.cleaned_data.get("activity") if f.is_bound else None,
            "without_activity": querystring_without(request, "page", "activity"),
            "base_query": querystring_without(request, "page"),
            "base_query_nosort": querystring_without(request, "page", "sort"),
            "export_query": querystring_without(request, "page", "export"),
        },
    )


# --- recording -------------------------------------------------------------------------


def _teacher_role_defaults(person: Person) -> dict:
    ra = (
        person.roles.filter(is_active=True, role__in=[Role.TEACHER, Role.PRINCIPAL])
        .prefetch_related("subjects", "stages")
        .first()
    )
    if ra is None:
        return {}
    out = {}
    subject = next(iter(ra.subjects.all()), None)
    stage = next(iter(ra.stages.all()), None)
    if subject:
        out["subject"] = subject
    if stage:
        out["stage"] = stage
    return out


def _default_rubric(rubrics, stage, subject):
    rubrics = list(rubrics)
    for r in rubrics:
        if (
            r.stage_id
            and r.subject_id
            and r.stage_id == getattr(stage, "pk", None)
            and (r.subject_id == getattr(subject, "pk", None))
        ):
            return r
    for r in rubrics:
        if r.applies_to(
            stage_id=getattr(stage, "pk", None), subject_id=getattr(subject, "pk", None)
        ) and (r.org_unit_id):
            return r
    return next((r for r in rubrics if r.org_unit_id is None), rubrics[0] if rubrics else None)


def _default_kind(user) -> str:
    if has_role(user, Role.PRINCIPAL) and not has_role(user, Role.RESEARCHER, Role.BUREAU_ADMIN):
        return Observation.Kind.DROP_IN
    return Observation.Kind.SCHEDULED


@login_required
def observation_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    schools = queries.schools_for_new(user)
    teacher = rnd = activity = None
    if request.GET.get("teacher"):
        teacher = get_visible_or_404(
            Person.objects.select_related("org_unit"), user, pk=request.GET["teacher"]
        )
    if request.GET.get("round"):
        rnd = get_visible_or_404(
            ComparisonRound.objects.select_related("activity"), user, pk=request.GET["round"]
        )
    if request.GET.get("activity"):
        activity = get_visible_or_404(
            visible_activities(user).select_related("org_unit", "subject", "stage"),
            user,
            pk=request.GET["activity"],
        )
        if rnd is None:
            rnd = (
                ComparisonRound.objects.visible_to(user)
                .filter(activity=activity)
                .order_by("-date", "-id")
                .first()
            )
    school_pk = request.POST.get("school") or request.GET.get("school")
    if teacher is not None:
        school_pk = teacher.org_unit_id
    if school_pk:
        try:
            school = schools.get(pk=int(school_pk))
        except (ValueError, OrgUnit.DoesNotExist):
            raise Http404(_("The requested object does not exist.")) from None
    else:
        count = schools.count()
        if count == 0:
            raise PermissionDenied(_("You may not record observations."))
        if count > 1:
            q = request.GET.get("q", "").strip()
            return render(
                request,
                "observations/observation_pick_school.html",
                {
                    "schools": queries.schools_for_new(user, q)[:60],
                    "q": q,
                    "round": rnd if rnd is not None and activity is None else None,
                    "activity": activity,
                    "total": count,
                },
            )
        school = schools.first()

    staff = queries.school_staff(school)
    rubrics = queries.usable_rubrics(user, school)
    rounds = list(queries.rounds_for_new(user))
    activities = queries.activities_for_observing(user, school)
    initial = {"kind": _default_kind(user), "date": timezone.localdate()}
    if teacher is not None:
        initial["teacher"] = teacher
        initial.update(_teacher_role_defaults(teacher))
    if activity is not None:
        initial.update(
            kind=Observation.Kind.INSPECTION
            if activity.kind == Activity.Kind.INSPECTION
            else Observation.Kind.ACTIVITY,
            activity=activity,
            date=min(timezone.localtime(activity.starts_at).date(), timezone.localdate()),
            **{f: getattr(activity, f) for f in ("subject", "stage") if getattr(activity, f)},
        )
        if activity not in activities:
            activities.insert(0, activity)
    if rnd is not None:
        initial.update(
            kind=Observation.Kind.SAME_LESSON,
            round=rnd,
            subject=rnd.subject,
            stage=rnd.stage,
            topic=rnd.topic,
            date=min(rnd.date, timezone.localdate()),
            activity_title=rnd.activity_title if rnd.activity_id is None else "",
        )
        if rnd.activity_id is not None:
            initial["activity"] = rnd.activity
            if rnd.activity not in activities:
                activities.insert(0, rnd.activity)
        if rnd not in rounds:
            rounds.insert(0, rnd)
    if "stage" not in initial:
        stage = school.school.stages.first() if hasattr(school, "school") else None
        if stage:
            initial["stage"] = stage
    rubric = _default_rubric(rubrics, initial.get("stage"), initial.get("subject"))
    if rubric is not None:
        initial["rubric"] = rubric
    form = LessonForm(
        request.POST or None,
        initial=initial,
        staff=staff,
        rubrics=rubrics,
        rounds=rounds,
        activities=activities,
        teacher_data=queries.teacher_option_data(school),
    )
    del form.fields["version"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            obs = services.create_observation(
                actor=user,
                teacher=d["teacher"],
                rubric=d["rubric"],
                kind=d["kind"],
                subject=d["subject"],
                stage=d["stage"],
                topic=d["topic"],
                date=d["date"],
                period=d["period"],
                grade=d["grade"],
                class_name=d["class_name"],
                round=d["round"],
                activity=d["activity"],
                activity_title=d["activity_title"],
            )
        except ServiceError as e:
            _form_error(form, e)
        except PermissionDenied as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("The draft was created: record the lesson now."))
            return redirect("observations:observation_edit", pk=obs.pk)
    return render(
        request,
        "observations/observation_new.html",
        {
            "form": form,
            "school": school,
            "multiple_schools": schools.count() > 1,
            "activity": activity,
        },
    )


def _score_rows(dims, scores: dict, posted: dict | None = None) -> list[dict]:
    rows = []
    for d in dims:
        crit = []
        for c in d.criteria.all():
            value = scores.get(c.pk)
            shown = (
                posted.get(c.pk, "")
                if posted is not None
                else (_fmt(value) if value is not None else "")
            )
            crit.append(
                {
                    "criterion": c,
                    "value": shown,
                    "score": value,
                    "band": c.band_of(value) if value is not None else "",
                }
            )
        rows.append({"dimension": d, "criteria": crit})
    return rows


def _fmt(value) -> str:
    d = Decimal(value)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def _posted_scores(request: HttpRequest, dims) -> dict[int, str]:
    out = {}
    for d in dims:
        for c in d.criteria.all():
            out[c.pk] = request.POST.get(f"score_{c.pk}", "").strip()
    return out


def _observation(request, pk: int) -> Observation:
    return get_visible_or_404(queries.for_detail(request.user), request.user, pk=pk)


@login_required
def observation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft on a phone: the lesson, the S-T tapper, notes, scores, then submit."""
    user = request.user
    obs = _observation(request, pk)
    if not can(user, "change", obs):
        if obs.is_submitted:
            messages.info(request, _("This observation is submitted; it can only be corrected."))
            return redirect(obs)
        raise PermissionDenied(_("Only the observer edits a draft."))
    dims = services.version_dimensions(obs.rubric_version)
    scores = services.current_scores(obs)
    rubrics = queries.usable_rubrics(user, obs.org_unit)
    rounds = list(queries.rounds_for_new(user))
    if obs.round is not None and obs.round not in rounds:
        rounds.insert(0, obs.round)
    activities = queries.activities_for_observing(user, obs.org_unit)
    if obs.activity is not None and obs.activity not in activities:
        activities.insert(0, obs.activity)
    lesson_initial = {
        f: getattr(obs, f)
        for f in ("teacher", "kind", "subject", "stage", "grade", "class_name", "topic", "date")
    }
    lesson_initial.update(
        period=obs.period,
        rubric=obs.rubric_version.rubric,
        round=obs.round,
        activity=obs.activity,
        activity_title=obs.activity_title if obs.activity_id is None else "",
        version=obs.version,
    )
    record_initial = {
        f: getattr(obs, f)
        for f in ("st_sequence", "st_interval", "notes", "strengths", "suggestions")
    }
    post = request.POST if request.method == "POST" else None
    lesson = LessonForm(
        post,
        prefix="lesson",
        initial=lesson_initial,
        staff=queries.school_staff(obs.org_unit),
        rubrics=rubrics,
        rounds=rounds,
        activities=activities,
        teacher_data=queries.teacher_option_data(obs.org_unit),
    )
    record = RecordForm(post, initial=record_initial)
    posted = None
    if post is not None:
        posted = _posted_scores(request, dims)
        if lesson.is_valid() and record.is_valid():
            ld, rd = lesson.cleaned_data, record.cleaned_data
            rubric_changed = ld["rubric"].pk != obs.rubric_version.rubric_id
            data = {
                k: ld[k]
                for k in (
                    "kind",
                    "subject",
                    "stage",
                    "grade",
                    "class_name",
                    "topic",
                    "date",
                    "period",
                    "round",
                    "activity",
                    "activity_title",
                )
            }
            data.update({k: rd[k] for k in ("notes", "strengths", "suggestions", "st_interval")})
            try:
                services.update_observation(
                    actor=user,
                    observation=obs,
                    data=data,
                    scores=None if rubric_changed else posted,
                    st_sequence=rd["st_sequence"],
                    rubric=ld["rubric"],
                    teacher=ld["teacher"],
                    expected_version=ld["version"],
                )
                if request.POST.get("action") == "submit":
                    services.submit_observation(actor=user, observation=obs)
            except ServiceError as e:
                target = record if e.field in record.fields else lesson
                _form_error(target, e)
                if e.field == "scores":
                    messages.error(request, e.text)
            else:
                if request.POST.get("action") == "submit":
                    messages.success(request, _("Submitted. The teacher can now read it."))
                    return redirect(obs)
                if rubric_changed:
                    messages.warning(request, _("The rubric changed: score the new criteria."))
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("observations:observation_edit", pk=obs.pk)
    total, results = compute_results(dims, scores)
    return render(
        request,
        "observations/observation_edit.html",
        {
            "obs": obs,
            "lesson_form": lesson,
            "record_form": record,
            "score_rows": _score_rows(dims, scores, posted),
            "total": total,
            "results": results,
        },
    )


def _st_context(obs: Observation) -> dict:
    result = st.analyse(obs.st_sequence, obs.st_interval) if obs.st_sequence else None
    if result is None:
        return {"st": None}
    return {
        "st": result,
        "st_curve": charts.st_curve(result.curve),
        "st_mode_chart": charts.rt_ch(float(result.rt), float(result.ch)),
    }


def _activity_context(user, obs: Observation) -> dict:
    """The research activity on the observation's page: a link when the viewer sees the
    activity (its title as recorded otherwise), and, for who may link the observation,
    the activities it may be linked to."""
    ctx: dict = {
        "activity_visible": obs.activity_id is not None
        and visible_activities(user).filter(pk=obs.activity_id).exists(),
        "can_link": False,
    }
    fixed = obs.round is not None and obs.round.activity_id is not None
    if not fixed and can(user, "link", obs):
        ctx["can_link"] = True
        ctx["link_choices"] = [
            a
            for a in queries.activities_for_observing(user, obs.org_unit, on=obs.date)
            if a.pk != obs.activity_id
        ]
    return ctx


@login_required
@require_POST
def observation_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the observation to an activity the user sees (or unlink it: no activity)."""
    obs = _observation(request, pk)
    try:
        if request.POST.get("activity"):
            activity = get_visible_or_404(
                visible_activities(request.user), request.user, pk=request.POST["activity"]
            )
            services.attach_to_activity(actor=request.user, observation=obs, activity=activity)
            messages.success(request, _("Linked to the activity."))
        else:
            services.detach_from_activity(actor=request.user, observation=obs)
            messages.success(request, _("No longer linked to the activity."))
    except ServiceError as e:
        messages.error(request, e.text)
    except PermissionDenied as e:
        messages.error(request, str(e))
    return redirect(obs)


@login_required
def observation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obs = _observation(request, pk)
    dims = services.version_dimensions(obs.rubric_version)
    scores = services.current_scores(obs)
    results = obs.dimension_results or []
    complete = [r for r in results if r.get("percent") is not None]
    ctx = {
        "obs": obs,
        "score_rows": _score_rows(dims, scores),
        "results": results,
        "radar": charts.radar(
            [r["name"] for r in complete], [(obs.teacher.name, [r["percent"] for r in complete])]
        )
        if complete
        else None,
        "replies": list(obs.replies.all()),
        "can_edit": can(user, "change", obs),
        "can_reply": can(user, "reply", obs),
        "can_correct": can(user, "correct", obs),
        "reply_form": ReplyForm(),
        "history": audit.entries(obs),
        "is_teacher": obs.teacher.user_id == user.pk,
        "panels": hooks.detail_panels(request, obs),
    }
    ctx.update(_activity_context(user, obs))
    ctx.update(_st_context(obs))
    return render(request, "observations/observation_detail.html", ctx)


@login_required
@require_POST
def observation_submit(request: HttpRequest, pk: int) -> HttpResponse:
    obs = _observation(request, pk)
    try:
        services.submit_observation(actor=request.user, observation=obs)
    except ServiceError as e:
        messages.error(request, e.text)
        return redirect("observations:observation_edit", pk=obs.pk)
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Submitted. The teacher can now read it."))
    return redirect(obs)


@login_required
@require_POST
def observation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    obs = _observation(request, pk)
    try:
        services.delete_draft(actor=request.user, observation=obs)
    except PermissionDenied as e:
        messages.error(request, str(e))
        return redirect(obs)
    messages.success(request, _("The draft was deleted."))
    return redirect("observations:observation_list")


@login_required
@require_POST
def observation_reply(request: HttpRequest, pk: int) -> HttpResponse:
    obs = _observation(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
        return redirect(obs)
    try:
        services.reply(actor=request.user, observation=obs, text=form.cleaned_data["text"])
    except ServiceError as e:
        messages.error(request, e.text)
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Your reply was sent to the observer."))
    return redirect(reverse("observations:observation_detail", args=[obs.pk]) + "#replies")


@login_required
def observation_correct(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obs = _observation(request, pk)
    if not can(user, "correct", obs):
        raise PermissionDenied(_("You may not correct this observation."))
    dims = services.version_dimensions(obs.rubric_version)
    scores = services.current_scores(obs)
    initial = {
        f: getattr(obs, f)
        for f in (
            "grade",
            "class_name",
            "topic",
            "date",
            "period",
            "st_sequence",
            "st_interval",
            "notes",
            "strengths",
            "suggestions",
            "version",
        )
    }
    form = CorrectionForm(request.POST or None, initial=initial)
    posted = None
    if request.method == "POST":
        posted = _posted_scores(request, dims)
        if form.is_valid():
            d = dict(form.cleaned_data)
            try:
                services.correct_observation(
                    actor=user,
                    observation=obs,
                    reason=d.pop("reason"),
                    data={k: d[k] for k in services.CORRECTABLE},
                    scores=posted,
                    st_sequence=d["st_sequence"],
                    expected_version=d["version"],
                )
            except ServiceError as e:
                _form_error(form, e)
                if e.field == "scores":
                    messages.error(request, e.text)
            else:
                messages.success(request, _("The correction was saved and recorded."))
                return redirect(obs)
    return render(
        request,
        "observations/observation_correct.html",
        {"obs": obs, "form": form, "score_rows": _score_rows(dims, scores, posted)},
    )


# --- growth --------------------------------------------------------------------------------


@login_required
def growth(request: HttpRequest, person_pk: int) -> HttpResponse:
    user = request.user
    teacher = get_visible_or_404(Person.objects.select_related("org_unit"), user, pk=person_pk)
    data = queries.growth(user, teacher)
    ctx = {"teacher": teacher, "data": data}
    if data["count"]:
        ctx["total_chart"] = charts.trend(
            data["labels"], {str(_("Total score")): data["totals"]}, title=_("Total score")
        )
        ctx["trend_chart"] = charts.trend(
            data["labels"], data["series"], title=_("Dimensions over time (%)")
        )
        ctx["radar"] = charts.radar(
            [d.name for d in data["dimensions"]],
            [(str(_("Mean")), [d.mean for d in data["dimensions"]])],
        )
    return render(request, "observations/growth.html", ctx)


@login_required
def my_growth(request: HttpRequest) -> HttpResponse:
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404(_("Your account is not linked to a staff record."))
    return redirect("observations:growth", person_pk=person.pk)


# --- coverage and distributions ------------------------------------------------------------


def _coverage_unit(request: HttpRequest, pk: int | None) -> OrgUnit:
    user = request.user
    if pk is None:
        unit = queries.default_coverage_unit(user)
        if unit is None:
            raise PermissionDenied(_("Coverage is for admins, researchers and principals."))
    else:
        unit = get_object_or_404(queries.coverage_units(user), pk=pk)
    if unit.kind in (OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE) and unit.parent_id:
        unit = unit.parent
    if not queries.may_see_coverage(user, unit):
        raise Http404(_("The requested object does not exist."))
    return unit


def _breadcrumbs(user, unit: OrgUnit) -> list[OrgUnit]:
    tops = [s.path for s in user_scopes(user) if s.role in OBSERVERS]
    return [
        a for a in unit.ancestors() if user.is_superuser or any(a.path.startswith(p) for p in tops)
    ]


@login_required
def coverage(request: HttpRequest, unit_pk: int | None = None) -> HttpResponse:
    user = request.user
    unit = _coverage_unit(request, unit_pk)
    term = _term(request)
    ctx = {"unit": unit, "ancestors": _breadcrumbs(user, unit), **_term_context(request, term)}
    if unit.kind == OrgUnit.Kind.SCHOOL:
        data = queries.school_coverage(user, unit, term)
        if request.GET.get("export") == "xlsx":
            rows = (
                [
                    r["teacher"].staff_no,
                    r["teacher"].name,
                    r["subjects"],
                    r["observations"],
                    r["last_date"],
                    r["mean_total"] if r["mean_total"] is not None else "",
                    "、".join(f"{n}×{c}" for n, c in r["observers"]),
                ]
                for r in data["rows"]
            )
            content = write_table_xlsx(
                ["工号", "姓名", "学科", "听课次数", "最近听课", "平均分", "听课人"],
                rows,
                sheet_title="听课覆盖",
                title=f"{unit.name} {term.label} 听课覆盖",
            )
            return xlsx_response(content, f"{unit.name}听课覆盖")
        ctx.update(data=data, can_add=queries.can_add_somewhere(user))
        return render(request, "observations/coverage_school.html", ctx)
    data = queries.unit_coverage(user, unit, term)
    if request.GET.get("export") == "xlsx":
        rows = (
            [
                r["unit"].code,
                r["unit"].name,
                r["teachers"],
                r["observed"],
                r["never"],
                r["coverage"] if r["coverage"] is not None else "",
                r["observations"],
                r["mean_total"] if r["mean_total"] is not None else "",
            ]
            for r in data["rows"]
        )
        content = write_table_xlsx(
            [
                "单位代码",
                "单位",
                "教师数",
                "已听课教师",
                "未听课教师",
                "覆盖率(%)",
                "听课次数",
                "平均分",
            ],
            rows,
            sheet_title="听课覆盖",
            title=f"{unit.name} {term.label} 听课覆盖",
        )
        return xlsx_response(content, f"{unit.name}听课覆盖")
    ctx["data"] = data
    if unit.level in (OrgUnit.Level.COUNTY, OrgUnit.Level.TOWN):
        ctx["observers"] = queries.top_observers(user, unit, term)
    ctx["liaisons"] = list(queries.liaison_schools(user))
    return render(request, "observations/coverage_unit.html", ctx)


@login_required
def analysis(request: HttpRequest, unit_pk: int | None = None) -> HttpResponse:
    user = request.user
    unit = _coverage_unit(request, unit_pk)
    term = _term(request)
    subject = None
    if request.GET.get("subject"):
        subject = (
            Subject.objects.filter(pk=request.GET["subject"]).first()
            if request.GET["subject"].isdigit()
            else None
        )
    data = queries.distribution(user, unit, term, subject)
    ctx = {
        "unit": unit,
        "ancestors": _breadcrumbs(user, unit),
        "data": data,
        "subject": subject,
        "subjects": Subject.objects.all(),
        **_term_context(request, term),
        "base_query_nosubject": querystring_without(request, "subject"),
    }
    if data["dimensions"]:
        ctx["bucket_chart"] = charts.buckets(
            [d["name"] for d in data["dimensions"]]
            + ([str(_("Total score"))] if data["total"] else []),
            data["bucket_labels"],
            [d["buckets"] for d in data["dimensions"]]
            + ([data["total"]["buckets"]] if data["total"] else []),
        )
        ctx["mean_chart"] = charts.radar(
            [d["name"] for d in data["dimensions"]],
            [(unit.name, [d["mean"] for d in data["dimensions"]])],
        )
    return render(request, "observations/analysis.html", ctx)


# --- 同课异构 rounds ---------------------------------------------------------------------


def _organiser_units(user, model):
    return queries.organiser_units(user, model)


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    qs = ComparisonRound.objects.visible_to(request.user).select_related(
        "org_unit", "subject", "stage"
    )
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(topic__icontains=q)
    if request.GET.get("export") == "xlsx":
        rows = (
            [r.date, r.topic, r.stage.name, r.subject.name, r.org_unit.name, r.activity_title]
            for r in qs.order_by("-date", "-id").iterator(chunk_size=2000)
        )
        content = write_table_xlsx(
            ["日期", "课题", "学段", "学科", "组织单位", "教研活动"],
            rows,
            sheet_title="同课异构",
            title=f"同课异构（{timezone.localdate():%Y-%m-%d} 导出）",
        )
        return xlsx_response(content, "同课异构")
    page = paginate(request, qs.order_by("-date", "-id"))
    return render(
        request,
        "observations/round_list.html",
        {
            "page": page,
            "q": q,
            "can_add": _organiser_units(request.user, ComparisonRound).exists(),
            "base_query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "export"),
        },
    )


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    units = _organiser_units(request.user, ComparisonRound)
    if not units.exists():
        raise PermissionDenied(_("You may not organise rounds."))
    person = getattr(request.user, "person", None)
    initial = {"date": timezone.localdate()}
    if person is not None and units.filter(pk=person.org_unit_id).exists():
        initial["org_unit"] = person.org_unit_id
    activities = queries.round_activities(request.user)
    activity = None
    if request.GET.get("activity"):
        activity = get_visible_or_404(
            visible_activities(request.user).select_related("org_unit", "subject", "stage"),
            request.user,
            pk=request.GET["activity"],
        )
        if activity not in activities:
            activities.insert(0, activity)
        # Prefilled from the activity: its title, subject, stage, day and organiser.
        initial.update(
            activity=activity,
            topic=activity.title,
            date=timezone.localtime(activity.starts_at).date(),
            **{f: getattr(activity, f) for f in ("subject", "stage") if getattr(activity, f)},
        )
        if units.filter(pk=activity.org_unit_id).exists():
            initial["org_unit"] = activity.org_unit_id
    form = RoundForm(request.POST or None, units=units, activities=activities, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rnd = services.create_round(actor=request.user, **d)
        except ServiceError as e:
            _form_error(form, e)
        else:
            messages.success(request, _("The round was created."))
            return redirect(rnd)
    return render(request, "observations/round_form.html", {"form": form, "activity": activity})


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_visible_or_404(
        ComparisonRound.objects.select_related("org_unit", "subject", "stage", "activity"),
        request.user,
        pk=pk,
    )
    data = queries.comparison(rnd)
    ctx = {
        "round": rnd,
        "activity_visible": rnd.activity_id is not None
        and visible_activities(request.user).filter(pk=rnd.activity_id).exists(),
        "data": data,
        "rows": [
            {
                **t,
                "cells": [
                    {"value": v, "best": v is not None and v == best}
                    for v, best in zip(t["dimensions"], data["best"], strict=True)
                ],
            }
            for t in data["teachers"]
        ],
        "observations": queries.for_list(
            queries.observations_for(request.user).filter(round=rnd)
        ).order_by("teacher__name", "date"),
        "can_add": queries.can_add_somewhere(request.user),
        "history": audit.entries(rnd),
    }
    if data["teachers"] and data["dimensions"]:
        ctx["radar"] = charts.radar(
            data["dimensions"], [(t["teacher"].name, t["dimensions"]) for t in data["teachers"]]
        )
    return render(request, "observations/round_detail.html", ctx)


# --- rubrics -------------------------------------------------------------------------------


@login_required
def rubric_list(request: HttpRequest) -> HttpResponse:
    rubrics = (
        Rubric.objects.visible_to(request.user)
        .select_related("org_unit", "stage", "subject", "current")
        .order_by("-is_active", "org_unit__path", "name")
    )
    if request.GET.get("export") == "xlsx":
        rows = (
            [
                r.name,
                r.org_unit.name if r.org_unit else "系统内置",
                r.stage.name if r.stage else "",
                r.subject.name if r.subject else "",
                f"v{r.current.number}" if r.current else "",
                "启用" if r.is_active else "停用",
            ]
            for r in rubrics
        )
        content = write_table_xlsx(
            ["名称", "所属单位", "学段", "学科", "当前版本", "状态"],
            rows,
            sheet_title="听课评价表",
            title="听课评价表",
        )
        return xlsx_response(content, "听课评价表")
    return render(
        request,
        "observations/rubric_list.html",
        {
            "rubrics": rubrics,
            "can_add": _organiser_units(request.user, Rubric).exists(),
        },
    )


def _rubric(request, pk: int) -> Rubric:
    return get_visible_or_404(
        Rubric.objects.select_related("org_unit", "stage", "subject", "current"),
        request.user,
        pk=pk,
    )


@login_required
def rubric_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    return _rubric_page(request, rubric, rubric.current)


@login_required
def rubric_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    version = get_object_or_404(RubricVersion, rubric=rubric, number=number)
    return _rubric_page(request, rubric, version)


def _rubric_page(request, rubric: Rubric, version: RubricVersion | None) -> HttpResponse:
    dims = services.version_dimensions(version) if version else []
    return render(
        request,
        "observations/rubric_detail.html",
        {
            "rubric": rubric,
            "version": version,
            "dimensions": dims,
            "versions": rubric.versions.all().order_by("-number"),
            "in_use": services.version_in_use(version) if version else False,
            "can_change": can(request.user, "change", rubric),
            "can_copy": _organiser_units(request.user, Rubric).exists(),
            "history": audit.entries(rubric),
        },
    )


@login_required
def rubric_new(request: HttpRequest) -> HttpResponse:
    units = _organiser_units(request.user, Rubric)
    if not units.exists():
        raise PermissionDenied(_("You may not add rubrics."))
    source = None
    if request.GET.get("from"):
        source = _rubric(request, request.GET["from"])
    else:
        source = Rubric.objects.filter(org_unit__isnull=True, is_active=True).first()
    initial = {}
    if source is not None and source.current_id:
        initial.update(
            structure=structure_text(services.version_dimensions(source.current)),
            stage=source.stage,
            subject=source.subject,
            description=source.description,
        )
        if request.GET.get("from"):
            initial["name"] = source.name
    person = getattr(request.user, "person", None)
    first = units.first()
    initial["org_unit"] = first
    if person is not None:
        scope_ids = [s.unit_id for s in user_scopes(request.user)]
        own = units.filter(pk__in=scope_ids).first()
        if own is not None:
            initial["org_unit"] = own
    form = RubricForm(request.POST or None, units=units, initial=initial)
    del form.fields["version"]
    del form.fields["note"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rubric = services.create_rubric(
                actor=request.user,
                org_unit=d["org_unit"],
                name=d["name"],
                structure=parse_rubric_text(d["structure"]),
                description=d["description"],
                stage=d["stage"],
                subject=d["subject"],
            )
        except ServiceError as e:
            _form_error(form, e)
        else:
            messages.success(request, _("The rubric was created."))
            return redirect(rubric)
    return render(request, "observations/rubric_form.html", {"form": form})


@login_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    if not can(request.user, "change", rubric):
        raise PermissionDenied(_("You may not change this rubric."))
    initial = {
        "name": rubric.name,
        "stage": rubric.stage,
        "subject": rubric.subject,
        "description": rubric.description,
        "version": rubric.version,
        "structure": structure_text(services.version_dimensions(rubric.current))
        if rubric.current
        else "",
    }
    form = RubricForm(request.POST or None, initial=initial)
    del form.fields["org_unit"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_rubric(
                actor=request.user,
                rubric=rubric,
                name=d["name"],
                structure=parse_rubric_text(d["structure"]),
                description=d["description"],
                stage=d["stage"],
                subject=d["subject"],
                note=d["note"],
                expected_version=d["version"],
            )
        except ServiceError as e:
            _form_error(form, e)
        else:
            messages.success(request, _("Saved."))
            return redirect(rubric)
    return render(
        request,
        "observations/rubric_form.html",
        {
            "form": form,
            "rubric": rubric,
            "in_use": services.version_in_use(rubric.current) if rubric.current else False,
        },
    )


@login_required
@require_POST
def rubric_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_rubric_active(actor=request.user, rubric=rubric, active=active)
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, _("The rubric is in use.") if active else _("The rubric was retired.")
        )
    return redirect(rubric)


# --- liaison schools -----------------------------------------------------------------------


@login_required
def liaison_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    qs = LiaisonAssignment.objects.visible_to(user).select_related(
        "researcher", "researcher__org_unit", "school"
    )
    if request.GET.get("all") != "1":
        qs = qs.filter(is_active=True)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(Q(researcher__name__icontains=q) | Q(school__name__icontains=q))
    if request.GET.get("export") == "xlsx":
        sheet = LiaisonSheet(actor=user)
        return xlsx_response(
            export_xlsx(sheet, sheet.export_queryset().filter(pk__in=qs.values("pk"))),
            "联点联校",
        )
    page = paginate(request, qs.order_by("school__path", "researcher__name"))
    return render(
        request,
        "observations/liaison_list.html",
        {
            "page": page,
            "q": q,
            "can_add": units_where(user, "add", LiaisonAssignment).exists(),
            "base_query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "export"),
        },
    )


def _researchers(user):
    from jiaoyan.people.models import RoleAssignment

    return (
        Person.objects.visible_to(user)
        .filter(
            status=Person.Status.ACTIVE,
            pk__in=RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True).values(
                "person_id"
            ),
        )
        .select_related("org_unit")
        .order_by("org_unit__path", "name")
    )


@login_required
def liaison_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    schools = (
        units_where(user, "add", LiaisonAssignment)
        .filter(kind=OrgUnit.Kind.SCHOOL, is_active=True)
        .order_by("path")
    )
    if not schools.exists():
        raise PermissionDenied(_("You may not assign liaison schools."))
    form = LiaisonForm(
        request.POST or None,
        researchers=_researchers(user),
        schools=schools,
        initial={"start_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assign_liaison(actor=user, **d)
        except ServiceError as e:
            _form_error(form, e)
        except PermissionDenied as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("The liaison assignment was saved."))
            return redirect("observations:liaison_list")
    return render(request, "observations/liaison_form.html", {"form": form})


@login_required
@require_POST
def liaison_end(request: HttpRequest, pk: int) -> HttpResponse:
    la = get_visible_or_404(LiaisonAssignment, request.user, pk=pk)
    try:
        services.end_liaison(actor=request.user, assignment=la, end_date=dt.date.today())
    except PermissionDenied as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("The liaison assignment ended."))
    return redirect("observations:liaison_list")
