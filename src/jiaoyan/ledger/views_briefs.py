"""Pages of the briefs (简报) and the periodic reports (月督查, 季考核). Thin: parse, call
``briefs``/``reports``, render."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from jiaoyan.core import audit, charts
from jiaoyan.core.dbrouter import replica_reads
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.lists import ListRows, querystring_without
from jiaoyan.core.pages import (
    Column,
    ListPage,
    attempt,
    refusal_text,
    wants_export,
    xlsx_response,
)
from jiaoyan.core.scope import can, get_visible_or_404
from jiaoyan.core.sheets import write_table_xlsx
from jiaoyan.orgs.models import OrgUnit

from . import briefs, queries, reports
from .models import Brief

PER_PAGE = 25  # rows per list on the report pages (the .xlsx export has them all)


def _require_reports(request: HttpRequest) -> None:
    if not reports.may_see_reports(request.user):
        raise PermissionDenied(_("Briefs and reports are for admins, researchers and principals."))


# --- briefs --------------------------------------------------------------------------------


class BriefList(ListPage):
    """The briefs the viewer sees, by unit, year and state, newest first."""

    template = "ledger/briefs/brief_list.html"
    columns = [
        Column(gettext_lazy("Unit"), "org_unit.name", 24),
        Column(gettext_lazy("Year"), "year", 8),
        Column(gettext_lazy("Issue number"), lambda b: b.number or "", 8),
        Column(gettext_lazy("Title"), "title", 30),
        Column(gettext_lazy("From"), "period_start", 12),
        Column(gettext_lazy("To"), "period_end", 12),
        Column(gettext_lazy("State"), "get_state_display", 8),
        Column(gettext_lazy("Issued at"), "issued_at", 18),
    ]
    export_name = gettext_lazy("Briefs")
    export_title = gettext_lazy("Briefs")

    def get_queryset(self):
        _require_reports(self.request)
        return briefs.visible_briefs(self.user).select_related("org_unit")

    def filter_queryset(self, qs):
        get = self.request.GET
        self.unit = None
        if get.get("unit"):
            self.unit = OrgUnit.objects.visible_to(self.user).filter(pk=_int(get["unit"])).first()
            if self.unit is None:
                raise Http404
            qs = qs.filter(org_unit=self.unit)
        self.year = _int(get.get("year"))
        if self.year:
            qs = qs.filter(year=self.year)
        self.state = get.get("state", "")
        if self.state in Brief.State.values:
            qs = qs.filter(state=self.state)
        return qs.order_by("-year", "-period_start", "-number", "-pk")

    def export_rows(self, qs):
        return qs.iterator(chunk_size=500)

    def paginate(self, rows):
        return Paginator(rows, PER_PAGE).get_page(self.request.GET.get("page"))

    def get_context(self):
        units = briefs.brief_units(self.user)
        this_year = timezone.localdate().year
        return {
            "units": units,
            "unit": self.unit,
            "year": self.year,
            "years": list(range(this_year, this_year - 6, -1)),
            "state": self.state,
            "states": Brief.State.choices,
            "can_create": bool(units),
        }


brief_list = BriefList.as_view()


@login_required
def brief_create(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    units = briefs.brief_units(request.user)
    if not units:
        raise PermissionDenied(_("You cannot write briefs for any unit."))
    week = briefs.last_week()
    error = ""
    chosen = units[0].pk
    if request.method == "POST":
        chosen = _int(request.POST.get("unit"))
        unit = next((u for u in units if u.pk == chosen), None)

        def generate():
            nonlocal week
            if unit is None:
                raise ServiceError(_("Choose a unit."), field="unit")
            week = briefs.parse_week(request.POST.get("week")) or week
            return briefs.generate_weekly_brief(actor=request.user, unit=unit, week_start=week)

        brief, refused = attempt(generate, denied=True)
        if refused is None:
            messages.success(request, _("The draft brief was generated: check it, then issue it."))
            return redirect("ledger:brief", pk=brief.pk)
        error = refusal_text(refused)
    return render(
        request,
        "ledger/briefs/brief_create.html",
        {"units": units, "chosen": chosen, "week": briefs.week_label(week), "error": error},
    )


def _sections_from_post(request: HttpRequest, brief: Brief) -> list[dict[str, str]]:
    return [
        {
            "key": s["key"],
            "heading": request.POST.get(f"heading_{s['key']}", s["heading"]),
            "body": request.POST.get(f"body_{s['key']}", s["body"]),
        }
        for s in brief.content.get("sections", [])
    ]


@login_required
def brief_detail(request: HttpRequest, pk: int) -> HttpResponse:
    brief = get_visible_or_404(Brief.objects.select_related("org_unit"), request.user, pk=pk)
    may_change = brief.state == Brief.State.DRAFT and can(request.user, "change", brief)
    sections = brief.content.get("sections", [])
    if request.method == "POST":
        action = request.POST.get("action", "save")

        def save():
            return briefs.update_brief_sections(
                actor=request.user,
                brief=brief,
                sections=_sections_from_post(request, brief),
                expected_version=_int(request.POST.get("version")),
            )

        def act():
            if action == "issue":
                save()
                issued = briefs.issue_brief(actor=request.user, brief=brief)
                n = {"n": issued.number, "y": issued.year}
                return issued, _("Issued as issue %(n)d of %(y)d.") % n
            if action == "delete":
                briefs.delete_draft(actor=request.user, brief=brief)
                return None, _("The draft was deleted.")
            save()
            return brief, _("The brief was saved.")

        done, refused = attempt(act, denied=True)
        if refused is not None:
            messages.error(request, refusal_text(refused))
            if isinstance(refused, PermissionDenied):
                return _brief_page(request, brief, may_change, sections, status=403)
            sections = _sections_from_post(request, brief)
            return _brief_page(request, brief, may_change, sections, status=400)
        target, message = done
        messages.success(request, message)
        if target is None:
            return redirect("ledger:brief_list")
        return redirect("ledger:brief", pk=target.pk)
    return _brief_page(request, brief, may_change, sections)


def _brief_page(request, brief: Brief, may_change: bool, sections, status: int = 200):
    figures = brief.content.get("figures", {})
    chart = None
    if figures:
        title, bars = briefs.chart_data(figures)
        chart = charts.bar([n for n, _v in bars], [v for _n, v in bars], title=title)
    return render(
        request,
        "ledger/briefs/brief_detail.html",
        {
            "brief": brief,
            "figures": figures,
            "sections": sections,
            "chart": chart,
            "may_change": may_change,
            "may_delete": may_change and can(request.user, "delete", brief),
            "history": audit.entries(brief),
        },
        status=status,
    )


@login_required
def brief_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The brief's .docx. A background job renders it, started by this page's POST (a GET
    only reads); until it is stored a GET answers a page with the job's progress, which
    reloads when the job ends (the download starts), or the button that starts it."""
    brief = get_visible_or_404(
        Brief.objects.select_related("org_unit", "document_job"), request.user, pk=pk
    )
    if request.method == "POST":
        if not brief.document_ready:
            briefs.request_document(brief, actor=request.user)
        return redirect("ledger:brief_docx", pk=brief.pk)
    if not brief.document_ready:
        return render(
            request,
            "ledger/briefs/document_pending.html",
            {"brief": brief, "job": briefs.document_job(brief)},
        )
    with brief.docx.open("rb") as f:
        data = f.read()
    if brief.state == Brief.State.ISSUED:
        name = f"{brief.title} {_('Issue %(n)d') % {'n': brief.number}}.docx"
    else:
        name = f"{brief.title} {_('Draft')}.docx"
    response = HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f"attachment; filename=\"brief-{brief.pk}.docx\"; filename*=UTF-8''{quote(name)}"
    )
    return response


# --- reports --------------------------------------------------------------------------------


def _report_unit(request: HttpRequest) -> OrgUnit:
    _require_reports(request)
    raw = request.GET.get("unit")
    if raw:
        unit = reports.pick_unit(request.user, raw)
        if unit is None:
            raise Http404(_("The requested object does not exist."))
        return unit
    unit = reports.default_unit(request.user)
    if unit is None:
        raise PermissionDenied(_("Briefs and reports are for admins, researchers and principals."))
    return unit


def _period(fn, value):
    period, refused = attempt(lambda: fn(value))
    if refused is not None:
        return fn(None), refusal_text(refused)
    return period, ""


@replica_reads
@login_required
def monthly(request: HttpRequest) -> HttpResponse:
    unit = _report_unit(request)
    period, error = _period(reports.month_period, request.GET.get("month"))
    data = reports.monthly_supervision(request.user, unit, period)
    row_units = {r["unit"].pk: r["unit"] for r in data["rows"]}
    row_units.setdefault(unit.pk, unit)
    overdue, escalated = data["overdue"], data["escalated"]
    child = None
    if request.GET.get("child"):
        child = row_units.get(_int(request.GET["child"]))
        if child is not None:
            if child.pk == unit.pk:
                overdue = overdue.filter(responsible_unit=unit)
                escalated = escalated.filter(item__responsible_unit=unit)
            else:
                overdue = overdue.filter(responsible_unit__path__under=child.path)
                escalated = escalated.filter(item__responsible_unit__path__under=child.path)

    def row_unit(responsible_id: int) -> str:
        u = row_units.get(data["owner"].get(responsible_id, unit.pk))
        return u.name if u else unit.name

    title = _("%(unit)s monthly supervision report, %(month)s") % {
        "unit": unit.name,
        "month": period.label,
    }
    if wants_export(request):
        content = _monthly_xlsx(title, overdue, escalated, row_unit)
        return xlsx_response(content, title)
    # The whole list's ids come in order with the counts; for one picked unit, a page reads
    # its ids first, then its rows.
    rows = (
        queries.IdRows(data["overdue_ids"])
        if child is None
        else ListRows(overdue, fetch=queries.rows_by_id, ids_first=True)
    )
    opage = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    epage = Paginator(escalated, PER_PAGE).get_page(request.GET.get("epage"))
    for item in opage:
        item.row_unit = row_unit(item.responsible_unit_id)
    for sup in epage:
        sup.row_unit = row_unit(sup.item.responsible_unit_id)
    rows = data["rows"]
    chart = charts.bar(
        [r["unit"].name for r in rows if not r["is_self"]],
        [r["overdue"] for r in rows if not r["is_self"]],
        title=_("Overdue items per unit"),
    )
    return render(
        request,
        "ledger/reports/monthly.html",
        {
            "unit": unit,
            "units": reports.report_units(request.user),
            "period": period,
            "periods": reports.recent_months(),
            "error": error,
            "data": data,
            "rows": rows,
            "child": child,
            "opage": opage,
            "epage": epage,
            "chart": chart,
            "base_query": querystring_without(request, "page", "epage"),
            "title": title,
            "today": timezone.localdate(),
        },
    )


def _monthly_xlsx(title: str, overdue, escalated, row_unit) -> bytes:
    def row(listed_as, item, supervising="", escalated_at=""):
        return [
            listed_as,
            row_unit(item.responsible_unit_id),
            item.org_unit.name,
            item.number,
            item.title,
            item.responsible_unit.name,
            item.responsible_name,
            item.due_on,
            item.get_status_display(),
            item.percent,
            supervising,
            escalated_at,
        ]

    rows = [row(_("Overdue"), item) for item in overdue.iterator(chunk_size=1000)]
    rows += [
        row(_("Put under supervision"), sup.item, sup.unit.name, sup.escalated_at)
        for sup in escalated.iterator(chunk_size=1000)
    ]
    return write_table_xlsx(
        [
            _("List"),
            _("Unit"),
            _("Assigning unit"),
            _("No."),
            _("Work item"),
            _("Responsible unit"),
            _("Responsible person"),
            _("Deadline"),
            _("Status"),
            _("Progress (%)"),
            _("Supervising unit"),
            _("Escalated at"),
        ],
        rows,
        sheet_title=_("Monthly supervision"),
        title=title,
        widths=[10, 20, 20, 6, 40, 20, 10, 12, 10, 8, 20, 18],
    )


@replica_reads
@login_required
def quarterly(request: HttpRequest) -> HttpResponse:
    unit = _report_unit(request)
    period, error = _period(reports.quarter_period, request.GET.get("quarter"))
    data = reports.quarterly_assessment(request.user, unit, period)
    title = _("%(unit)s quarterly assessment, %(quarter)s") % {
        "unit": unit.name,
        "quarter": period.label,
    }
    if wants_export(request):
        content = write_table_xlsx(
            [
                _("Rank"),
                _("Unit"),
                _("Items due"),
                _("On time"),
                pgettext("ledger", "Late"),
                _("Overdue"),
                _("Not yet due"),
                _("Score"),
            ],
            (
                [
                    r["rank"] or "",
                    r["unit"].name,
                    r["due"],
                    r["on_time"],
                    r["late"],
                    r["overdue"],
                    r["pending"],
                    r["score"] if r["score"] is not None else _("Not scored"),
                ]
                for r in data["rows"]
            ),
            sheet_title=_("Quarterly assessment"),
            title=title,
            widths=[6, 24, 10, 10, 10, 10, 10, 10],
        )
        return xlsx_response(content, title)
    scored = [r for r in data["rows"] if r["score"] is not None]
    chart = charts.bar(
        [r["unit"].name for r in scored], [r["score"] for r in scored], title=_("Score")
    )
    return render(
        request,
        "ledger/reports/quarterly.html",
        {
            "unit": unit,
            "units": reports.report_units(request.user),
            "period": period,
            "periods": reports.recent_quarters(),
            "error": error,
            "data": data,
            "chart": chart if scored else None,
            "title": title,
            "late_weight": reports.LATE_WEIGHT,
        },
    )


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
