"""Pages of the researchers app: the list and profile of researchers (duties, liaison
schools, residencies, exit and exchange), a residency with its visits, the work record
(工作纪实; .xlsx and .docx) and the liaison coverage of an institute or region."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit, charts
from jiaoyan.core.lists import SortOption, paginate, querystring_without
from jiaoyan.core.pages import (
    Column,
    ListPage,
    columns_response,
    creating,
    denied_on_form,
    form_page,
    post_form,
    updating,
    wants_export,
)
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, get_visible_or_404, has_role, units_where
from jiaoyan.observations.models import LiaisonAssignment
from jiaoyan.observations.terms import parse_term, recent_terms, term_of
from jiaoyan.orgs.models import OrgUnit

from . import documents, queries, services
from .filters import ProfileFilter, VisitFilter
from .forms import (
    DutyForm,
    ExchangeForm,
    ExitForm,
    LiaisonSchoolsForm,
    ProfileForm,
    ResidencyForm,
    SummaryForm,
    VisitForm,
)
from .models import ResearcherProfile, Residency

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    if raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR:
        return int(raw)
    return None


# --- the list ---------------------------------------------------------------------------------


class ProfileList(ListPage):
    """The researchers the viewer sees (their institutes' and, for a researcher, their own)."""

    template = "researchers/profile_list.html"
    fragment = "researchers/_profile_table.html"
    filterset = ProfileFilter
    filter_defaults = {"status": ResearcherProfile.Status.ACTIVE}
    sorts = [SortOption("unit", _lazy("Institute"), ("org_unit_id", "id"))]
    default_sort = "unit"
    columns = [
        Column(_lazy("Staff number"), "person.staff_no"),
        Column(_lazy("Researcher"), "person.name", width=12),
        Column(_lazy("Institute"), "org_unit.name", width=24),
        Column(_lazy("Employment"), "get_employment_display"),
        Column(_lazy("School taught at"), lambda p: p.school.name if p.school_id else None, 24),
        Column(_lazy("Researcher since"), "since"),
        Column(_lazy("Status"), "get_status_display"),
    ]
    export_name = _lazy("Researchers")

    def get_queryset(self):
        return queries.profiles_for(self.user)

    def get_context(self):
        ctx = {"may_add": units_where(self.user, "add", ResearcherProfile).exists()}
        if has_role(self.user, Role.PRINCIPAL):
            # A school sees its liaison researchers (联点联校), not their records.
            ctx["school_liaisons"] = list(
                LiaisonAssignment.objects.visible_to(self.user)
                .filter(is_active=True, school__kind=OrgUnit.Kind.SCHOOL)
                .select_related("researcher", "researcher__org_unit", "school")
                .order_by("school__path", "researcher__name")[:100]
            )
        return ctx


profile_list = ProfileList.as_view()


@login_required
def profile_new(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", ResearcherProfile).exists():
        raise PermissionDenied(_("Only a bureau admin keeps researchers' profiles."))
    form = ProfileForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        denied_on_form(creating(services.create_profile, request.user)),
        template="researchers/profile_form.html",
        success=_("The researcher profile was saved."),
        redirect_to=lambda p: p,
    )


def _profile(request: HttpRequest, pk: int) -> ResearcherProfile:
    return get_visible_or_404(queries.profiles_for(request.user), request.user, pk=pk)


@login_required
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    profile = _profile(request, pk)
    may_change = can(user, "change", profile)
    today = timezone.localdate()
    liaisons = (
        LiaisonAssignment.objects.visible_to(user)
        .filter(researcher_id=profile.person_id)
        .select_related("school")
        .order_by("-is_active", "-start_date")[:100]
    )
    ctx = {
        "profile": profile,
        "subjects": list(profile.subjects.all()),
        "stages": list(profile.stages.all()),
        "duties": list(profile.duties.all()[:10]),
        "liaisons": list(liaisons),
        "residencies": list(
            queries.residencies_for(user).filter(profile=profile).order_by("-start_date")[:50]
        ),
        "changes": list(queries.changes_for(user, profile)),
        "may_change": may_change and profile.status == ResearcherProfile.Status.ACTIVE,
        "may_assign": units_where(user, "add", LiaisonAssignment).exists(),
        "may_reside": can(
            user,
            "add",
            Residency(profile=profile, researcher=profile.person, org_unit=profile.org_unit),
        ),
        "history": audit.entries(profile) if may_change else [],
        "year": today.year,
        "terms": recent_terms(today, 2),
    }
    if ctx["may_change"]:
        ctx["duty_form"] = DutyForm(initial={"year": today.year})
        ctx["exit_form"] = ExitForm()
        ctx["exchange_form"] = ExchangeForm(user=user)
    if ctx["may_assign"] and profile.status == ResearcherProfile.Status.ACTIVE:
        term = term_of(today)
        ctx["liaison_form"] = LiaisonSchoolsForm(
            user=user, initial={"start_date": term.start, "end_date": term.end}
        )
    if ctx["may_reside"] and profile.status == ResearcherProfile.Status.ACTIVE:
        ctx["residency_form"] = ResidencyForm(user=user)
    from .views_appraisal import profile_panel

    ctx.update(profile_panel(request, profile, ctx))
    return render(request, "researchers/profile_detail.html", ctx)


def _small_form(request, pk, form, service, success, **extra):
    profile = _profile(request, pk)
    return post_form(
        request,
        form,
        denied_on_form(creating(service, request.user, profile=profile, **extra)),
        success=success,
        redirect_to=profile,
    )


@login_required
@require_POST
def duty_set(request: HttpRequest, pk: int) -> HttpResponse:
    return _small_form(
        request, pk, DutyForm(request.POST), services.set_duties, _("The duties were saved.")
    )


@login_required
@require_POST
def liaison_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _small_form(
        request,
        pk,
        LiaisonSchoolsForm(request.POST, user=request.user),
        services.assign_liaison_schools,
        _("The liaison schools were assigned."),
    )


@login_required
@require_POST
def residency_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _small_form(
        request,
        pk,
        ResidencyForm(request.POST, user=request.user),
        services.create_residency,
        _("The residency was saved."),
    )


@login_required
@require_POST
def exit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _small_form(
        request, pk, ExitForm(request.POST), services.exit_researcher, _("The researcher exited.")
    )


@login_required
@require_POST
def exchange_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _small_form(
        request,
        pk,
        ExchangeForm(request.POST, user=request.user),
        services.exchange_researcher,
        _("The researcher moved to the other institute."),
    )


# --- residencies and visits ---------------------------------------------------------------------


def _residency(request: HttpRequest, pk: int) -> Residency:
    return get_visible_or_404(queries.residencies_for(request.user), request.user, pk=pk)


@login_required
def residency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    r = _residency(request, pk)
    may_change = can(user, "change", r)
    visits = list(queries.visits_for(user).filter(residency=r).order_by("date", "id")[:200])
    ctx = {
        "residency": r,
        "visits": visits,
        "may_change": may_change,
        "ended": timezone.localdate() >= r.end_date,
        "history": audit.entries(r) if may_change else [],
    }
    if may_change:
        ctx["visit_form"] = VisitForm(user=user, residency=r)
        ctx["summary_form"] = SummaryForm(initial={"summary": r.summary})
    return render(request, "researchers/residency_detail.html", ctx)


@login_required
@require_POST
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    r = _residency(request, pk)
    return post_form(
        request,
        VisitForm(request.POST, user=request.user, residency=r),
        denied_on_form(creating(services.log_visit, request.user, residency=r)),
        success=_("The visit was logged."),
        redirect_to=r,
    )


@login_required
@require_POST
def residency_summary(request: HttpRequest, pk: int) -> HttpResponse:
    r = _residency(request, pk)
    return post_form(
        request,
        SummaryForm(request.POST),
        denied_on_form(creating(services.summarise_residency, request.user, residency=r)),
        success=_("The summary report was saved."),
        redirect_to=r,
    )


@login_required
def residency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from jiaoyan.core.pages import edit_page, editing

    r = _residency(request, pk)
    if not can(request.user, "change", r):
        raise PermissionDenied(_("You may not change this residency."))
    form = ResidencyForm(
        request.POST or None,
        user=request.user,
        initial=editing(r, ("school", "start_date", "end_date", "goals")),
    )
    form.fields["school"].disabled = True
    return edit_page(
        request,
        form,
        updating(services.update_residency, request.user, residency=r),
        template="researchers/residency_form.html",
        context={"residency": r},
        success=_("The residency was saved."),
        redirect_to=r,
    )


class VisitList(ListPage):
    """Residency visits the viewer sees: their own, a school's principal those made to the
    school, an institute's admins those of its researchers."""

    template = "researchers/visit_list.html"
    fragment = "researchers/_visit_table.html"
    filterset = VisitFilter
    sorts = [SortOption("date", _lazy("Date"), ("date", "id"))]
    default_sort = "-date"
    columns = [
        Column(_lazy("Date"), "date"),
        Column(_lazy("Researcher"), "researcher.name", width=12),
        Column(_lazy("School"), "school.name", width=24),
        Column(_lazy("What was done"), "get_kind_display", width=16),
        Column(_lazy("Note"), "note", width=30),
        Column(_lazy("Research activity"), lambda v: v.activity.title if v.activity else None, 30),
    ]
    export_name = _lazy("Residency visits")

    def get_queryset(self):
        return queries.visits_for(self.user)


visit_list = VisitList.as_view()


# --- the work record ----------------------------------------------------------------------------

RECORD_COLUMNS = [
    Column("项目", "label", 30),
    Column("数值", "value", 16),
]


def _record_rows(rec: queries.WorkRecord) -> list[dict]:
    cov = rec.coverage()
    rows = [
        {"label": "姓名", "value": rec.profile.person.name},
        {"label": "单位", "value": rec.profile.org_unit.name},
        {"label": "期间", "value": f"{rec.start:%Y-%m-%d}至{rec.end:%Y-%m-%d}"},
        {"label": "组织活动（场）", "value": rec.organised},
        {"label": "参加活动（场）", "value": rec.attended},
        {"label": "听评课（节）", "value": rec.observed},
        {"label": "其中联系学校（节）", "value": rec.observed_in_liaison},
        {"label": "联系学校听课占比（%）", "value": rec.liaison_share},
        {"label": "联系学校（所）", "value": len(rec.liaison_rows)},
        {"label": "联系学校：听过课（所）", "value": cov["observed"]},
        {"label": "联系学校：仅走访（所）", "value": cov["visited"]},
        {"label": "联系学校：未到过（所）", "value": cov["untouched"]},
        {"label": "台账事项（项）", "value": rec.ledger_total},
        {"label": "台账已完成（项）", "value": rec.ledger_done},
        {"label": "台账按期完成（项）", "value": rec.ledger_on_time},
        {"label": "驻校蹲点（天）", "value": rec.residency_days},
        {"label": "驻校走访（次）", "value": rec.visits},
        {"label": "授课培训（学时）", "value": float(rec.training_given)},
        {"label": "参加培训（学时）", "value": float(rec.training_received)},
    ]
    for s in rec.schools:
        rows.append(
            {
                "label": f"听课学校：{s.name}{'（联系学校）' if s.liaison else ''}",
                "value": f"听课{s.observed}节，走访{s.visits}次",
            }
        )
    return rows


@login_required
def work_record(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _profile(request, pk)
    today = timezone.localdate()
    term = parse_term(request.GET.get("term"))
    year = _year(request)
    start, end = queries.period_of(year, term, today)
    rec = queries.work_record(profile, start, end)
    name = f"{profile.person.name}工作纪实{start:%Y%m%d}-{end:%Y%m%d}"
    if wants_export(request):
        return columns_response(
            RECORD_COLUMNS,
            _record_rows(rec),
            filename=name,
            sheet_title="工作纪实",
            title=f"{profile.person.name}工作纪实（{start:%Y-%m-%d}至{end:%Y-%m-%d}）",
        )
    if wants_export(request, "docx"):
        response = HttpResponse(
            documents.work_record_docx(rec),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        from urllib.parse import quote

        response["Content-Disposition"] = (
            f"attachment; filename=\"work-record.docx\"; filename*=UTF-8''{quote(name)}.docx"
        )
        return response
    cov = rec.coverage()
    return render(
        request,
        "researchers/work_record.html",
        {
            "profile": profile,
            "rec": rec,
            "cov": cov,
            "year": year or (None if term else today.year),
            "term": term,
            "terms": recent_terms(today, 4),
            "years": list(range(today.year, today.year - 4, -1)),
            "export_query": querystring_without(request, "export"),
            "chart": charts.pie(
                [
                    {"name": _("Observed"), "value": cov["observed"]},
                    {"name": _("Visited only"), "value": cov["visited"]},
                    {"name": _("Untouched"), "value": cov["untouched"]},
                ],
                title=_("Liaison schools"),
            ),
        },
    )


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    from django.shortcuts import redirect

    profile = queries.own_profile(request.user)
    if profile is None:
        raise PermissionDenied(_("You have no researcher profile."))
    return redirect(reverse("researchers:record", args=[profile.pk]))


# --- liaison coverage ---------------------------------------------------------------------------

COVERAGE_COLUMNS = [
    Column("教研员", "name", 12),
    Column("单位", "unit", 24),
    Column("联系学校（所）", "schools", 12),
    Column("听过课（所）", "observed", 12),
    Column("仅走访（所）", "visited", 12),
    Column("未到过（所）", "untouched", 12),
]


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    term = parse_term(request.GET.get("term")) or term_of(today)
    units = list(
        OrgUnit.objects.visible_to(user)
        .filter(kind__in=[OrgUnit.Kind.INSTITUTE, OrgUnit.Kind.BUREAU])
        .order_by("path")
        .values_list("pk", "name")[:200]
    )
    raw_unit = request.GET.get("unit", "")
    unit_id = (
        int(raw_unit) if raw_unit.isdigit() and any(u[0] == int(raw_unit) for u in units) else None
    )
    data = queries.coverage(user, term, unit_id)
    if wants_export(request):
        return columns_response(
            COVERAGE_COLUMNS,
            data.rows,
            filename=f"联点联校覆盖{term.code}",
            sheet_title="联点联校覆盖",
            title=f"联点联校覆盖（{term.label}）",
        )
    totals = data.totals()
    school_totals = data.school_totals()
    by_unit: dict[str, list[int]] = {}
    for r in data.rows:
        agg = by_unit.setdefault(r.unit, [0, 0, 0])
        agg[0] += r.observed
        agg[1] += r.visited
        agg[2] += r.untouched
    chart = charts.bar(list(by_unit), [v[2] for v in by_unit.values()], horizontal=True)
    chart["series"] = [
        {
            "type": "bar",
            "stack": "all",
            "name": str(label),
            "data": [v[i] for v in by_unit.values()],
        }
        for i, label in enumerate((_("Observed"), _("Visited only"), _("Untouched")))
    ]
    chart["legend"] = {"bottom": 0}
    chart["title"] = {"text": _("Liaison schools by institute"), "left": "center"}
    return render(
        request,
        "researchers/coverage.html",
        {
            "data": data,
            "term": term,
            "terms": recent_terms(today, 4),
            "units": units,
            "unit_id": unit_id,
            "totals": totals,
            "school_totals": school_totals,
            "rows": paginate(request, data.rows, 50),
            "untouched": [s for s in data.schools if s.state == "untouched"][:200],
            "chart": chart,
            "export_query": querystring_without(request, "export"),
            "base_query": querystring_without(request, "page", "export"),
        },
    )
