"""Pages of the follow-up workflow (一生一策): the interview after an alert, the case page
(restricted: a reason first, every read audited) with its steps (district review,
referral, visits, closing), the list of cases, the class teacher's "follow-up due" list
and the suppressed aggregates of a campaign (by school, grade, gender or class) with their
chart and .xlsx export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit, charts, restricted
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    Column,
    ListPage,
    columns_response,
    edit_page,
    post_form,
    wants_export,
)
from jiaoyan.core.scope import can, get_visible_or_404
from jiaoyan.orgs.models import OrgUnit

from . import queries_followup as fq
from . import scales as sc
from . import services_followup as fs
from .filters import FollowUpFilter
from .forms_followup import CloseForm, InterviewForm, ReferralForm, ReviewForm, VisitForm
from .metrics import AGGREGATE_FIGURES
from .models import Alert, FollowUpCase
from .views import _alerts_allowed, _campaign, _reason

# --- the interview -------------------------------------------------------------------------


@login_required
def interview(request: HttpRequest, pk: int) -> HttpResponse:
    """The interview after an alert: opens the student's follow-up."""
    alert = get_visible_or_404(
        Alert.objects.select_related("student", "school"), request.user, pk=pk
    )
    if not can(request.user, "change", alert):
        raise PermissionDenied(_("You may not record this interview."))
    form = InterviewForm(
        request.POST or None,
        initial={"version": alert.version, "on": timezone.localdate(), "every_days": 14},
    )

    def save(data, version):
        return fs.record_interview(
            actor=request.user, alert=alert, expected_version=version, **data
        )

    return edit_page(
        request,
        form,
        save,
        template="wellbeing/followup/interview.html",
        context={"alert": alert},
        success=_("The interview is recorded; the follow-up is open."),
        redirect_to=lambda case: reverse("wellbeing:followup", args=[case.pk]),
    )


# --- a case ----------------------------------------------------------------------------------


def _case(request: HttpRequest, pk: int) -> FollowUpCase:
    return get_visible_or_404(
        FollowUpCase.objects.select_related("student", "school", "alert", "counsellor"),
        request.user,
        pk=pk,
    )


def _back(case: FollowUpCase, reason: str) -> str:
    url = reverse("wellbeing:followup", args=[case.pk])
    return f"{url}?{urlencode({'reason': reason})}" if reason else url


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A student's follow-up: every record (decrypted) and the next steps."""
    case = _case(request, pk)
    reason, page = _reason(request, {"title": case.student.key})
    if page is not None:
        return page
    entries = fq.read_case(request.user, case, reason)
    may_change = case.is_open and can(request.user, "change", case)
    initial = {"version": case.version, "reason": reason}
    today = timezone.localdate()
    ctx = {
        "case": case,
        "entries": entries,
        "reason": reason,
        "may_change": may_change,
        "may_review": may_change
        and case.status == FollowUpCase.Status.REVIEW
        and fs.is_district_reviewer(request.user, case.school),
        "review_form": ReviewForm(initial=initial, prefix="review"),
        "referral_form": ReferralForm(initial={**initial, "on": today}, prefix="referral"),
        "visit_form": VisitForm(
            initial={**initial, "on": today, "level": case.level}, prefix="visit"
        ),
        "close_form": CloseForm(initial=initial, prefix="close"),
        "history": audit.entries(case),
    }
    return render(request, "wellbeing/followup/case.html", ctx)


def _step(form_class, prefix: str, service, success):
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        case = _case(request, pk)
        form = form_class(request.POST, prefix=prefix)
        reason = (request.POST.get(f"{prefix}-reason") or "")[:200]

        def perform(data):
            data.pop("reason", None)
            version = data.pop("version", None)
            return service(actor=request.user, case=case, expected_version=version, **data)

        return post_form(request, form, perform, success=success, redirect_to=_back(case, reason))

    return view


def _close(*, actor, case, close_reason, note, expected_version):
    return fs.close_case(
        actor=actor, case=case, reason=close_reason, note=note, expected_version=expected_version
    )


case_review = _step(ReviewForm, "review", fs.review_case, _lazy("The review is recorded."))
case_referral = _step(ReferralForm, "referral", fs.refer_case, _lazy("The referral is recorded."))
case_visit = _step(VisitForm, "visit", fs.record_visit, _lazy("The follow-up visit is recorded."))
case_close = _step(CloseForm, "close", _close, _lazy("The follow-up is closed."))


# --- lists ---------------------------------------------------------------------------------


class CaseList(ListPage):
    template = "wellbeing/followup/case_list.html"
    fragment = "wellbeing/followup/_case_table.html"
    filterset = FollowUpFilter
    sorts = [
        SortOption("opened", _lazy("Opened"), ("created_at", "id")),
        SortOption("due", _lazy("Next follow-up due"), ("next_due", "id")),
    ]
    default_sort = "-opened"
    columns = [
        Column(_lazy("Student key"), "student.key", width=14),
        Column(_lazy("School"), "school.name", width=24),
        Column(_lazy("Status"), "get_status_display", width=14),
        Column(_lazy("Concern level"), "get_level_display", width=12),
        Column(_lazy("Next follow-up due"), "next_due"),
        Column(_lazy("Escalation"), "get_escalation_display", width=14),
        Column(_lazy("Opened"), "created_at"),
    ]
    export_name = _lazy("Follow-up cases")

    def get_queryset(self):
        return fq.cases_for(self.user)

    def export_queryset(self, qs):
        """Every school whose cases leave in the file gets an audited export row."""
        rows = self.list_queryset(qs)
        for school in OrgUnit.objects.filter(pk__in=rows.order_by().values("school_id")):
            restricted.record_read(
                self.user,
                restricted.WELLBEING,
                school,
                _("export of the follow-up list"),
                rows=rows.filter(school=school).count(),
                export=True,
            )
        return rows


cases = login_required(_alerts_allowed(CaseList.as_view()))

DUE_COLUMNS = [
    Column(_lazy("Student key"), "key", width=14),
    Column(_lazy("Grade"), "grade", width=8),
    Column(_lazy("Class"), "class_name", width=10),
    Column(_lazy("Follow-up due"), "due", width=14),
]


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """The class teacher's list: which students of my class have a follow-up due — and
    nothing else (no score, level, note or alert kind)."""
    if not fq.is_class_teacher(request.user):
        raise PermissionDenied(_("This list is for class teachers."))
    rows = fq.due_for_class_teacher(request.user)
    if wants_export(request):
        return columns_response(
            DUE_COLUMNS,
            rows,
            filename=_("follow-ups due"),
            sheet_title=_("Follow-ups due"),
        )
    return render(request, "wellbeing/followup/due.html", {"rows": rows})


# --- aggregates ------------------------------------------------------------------------------


def _cell(j: int):
    return lambda row: row[1][j]


@login_required
@restricted.publishes(AGGREGATE_FIGURES)
def aggregates(request: HttpRequest, pk: int) -> HttpResponse:
    """Participation and levels of a campaign by school, grade, gender or class, over the
    schools the viewer sees — every cell suppressed below 10 (shown "<10")."""
    campaign = _campaign(request, pk)
    if not fq.may_see_aggregates(request.user, campaign):
        raise PermissionDenied(_("Teachers see no screening figures."))
    by = request.GET.get("by", "school")
    table = fq.aggregate(request.user, campaign, by, request.GET.get("scale", ""))
    if wants_export(request):
        columns = [Column(str(fq.BY[table.by]), lambda r: r[0], width=28)]
        columns += [Column(label, _cell(j), width=10) for j, label in enumerate(table.columns)]
        columns.append(Column(_("Invited"), lambda r: r[2], width=10))
        rows = [*table.rows, (_("In total"), table.totals, table.total)]
        return columns_response(
            columns,
            rows,
            filename=f"{campaign.name} {fq.BY[table.by]}",
            sheet_title=str(_("Screening figures")),
            title=f"{campaign.name} · {sc.display_name(table.scale)}",
        )
    series = table.chart_series()
    chart = charts.stacked_bar([r[0] for r in table.rows], series) if table.rows else None
    ctx = {
        "campaign": campaign,
        "table": table,
        "by": table.by,
        "by_options": list(fq.BY.items()),
        "scales": campaign.scales,
        "chart": chart,
        "hidden": fq.HIDDEN,
    }
    return render(request, "wellbeing/followup/aggregates.html", ctx)
