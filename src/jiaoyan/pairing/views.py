"""Pairing pages: the lists (pairings, funds, people sent), the form pages, and the
pairing page with what changed for the helped side."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit, restricted
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    Column,
    ListPage,
    creating,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
    post_form,
    post_form_view,
    stored_file_response,
    updating,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.core.uploads import may_on, upload
from jiaoyan.quality.aggregates import ANALYSIS

from . import queries, services
from .filters import FundFilter, PairingFilter, PersonSentFilter
from .forms import (
    AgreementForm,
    FundEditForm,
    FundForm,
    JointActivityForm,
    PairingEditForm,
    PairingForm,
    PersonSentEditForm,
    PersonSentForm,
    ReportEditForm,
    ReportForm,
)
from .models import Fund, JointActivity, Pairing, PairingReport, PersonSent, owns, sides_of

# --- lists ----------------------------------------------------------------------------------


class PairingList(ListPage):
    """The pairings the viewer sees (own subtree and both sides'), with fund totals."""

    template = "pairing/pairing_list.html"
    fragment = "pairing/_pairing_table.html"
    filterset = PairingFilter
    sorts = [
        SortOption("start", _lazy("Starts on"), ("start_date", "id")),
        SortOption("level", _lazy("Level"), ("level", "start_date", "id")),
    ]
    default_sort = "-start"
    columns = [
        Column(_lazy("Title"), "title", width=30),
        Column(_lazy("Level"), "get_level_display", width=12),
        Column(_lazy("Helping unit"), "helping_unit.name", width=24),
        Column(_lazy("Helped unit"), "helped_unit.name", width=24),
        Column(_lazy("Starts on"), "start_date"),
        Column(_lazy("Ends on"), "end_date"),
        Column(_lazy("Agreement signed on"), "agreement_signed_on"),
    ]
    export_name = _lazy("Pairings")

    def get_queryset(self):
        return queries.pairings_for(self.user)

    def get_context(self):
        return {
            "may_add": units_where(self.user, "add", Pairing).exists(),
            "funds": queries.fund_totals(self.filter.qs.order_by().values("pk")),
            "sent": queries.people_sent_totals(self.filter.qs.order_by().values("pk")),
        }


pairing_list = PairingList.as_view()


class FundList(ListPage):
    """Every fund of the pairings the viewer sees, with totals per year."""

    template = "pairing/fund_list.html"
    fragment = "pairing/_fund_table.html"
    filterset = FundFilter
    sorts = [SortOption("date", _lazy("Date"), ("date", "id"))]
    default_sort = "-date"
    columns = [
        Column(_lazy("Date"), "date"),
        Column(_lazy("Pairing"), "pairing.title", width=30),
        Column(_lazy("Amount (yuan)"), lambda r: float(r.amount), width=14),
        Column(_lazy("Purpose"), "purpose", width=40),
    ]
    export_name = _lazy("Assistance funds")

    def get_queryset(self):
        return Fund.objects.visible_to(self.user)

    def list_queryset(self, qs):
        return qs.select_related("pairing")

    def get_context(self):
        return {"funds": queries.fund_totals(self.filter.qs.order_by().values("pairing_id"))}


fund_list = FundList.as_view()


class PersonSentList(ListPage):
    """Every person sent under the pairings the viewer sees."""

    template = "pairing/person_list.html"
    fragment = "pairing/_person_table.html"
    filterset = PersonSentFilter
    sorts = [SortOption("start", _lazy("From"), ("start_date", "id"))]
    default_sort = "-start"
    columns = [
        Column(pgettext_lazy("person", "Name"), "person.name", width=12),
        Column(_lazy("Staff number"), "person.staff_no", width=14),
        Column(_lazy("Role"), "get_role_display", width=16),
        Column(_lazy("Pairing"), "pairing.title", width=30),
        Column(_lazy("From"), "start_date"),
        Column(_lazy("Until"), "end_date"),
        Column(_lazy("What they did"), "work", width=40),
    ]
    export_name = _lazy("People sent")

    def get_queryset(self):
        return PersonSent.objects.visible_to(self.user)

    def list_queryset(self, qs):
        return qs.select_related("pairing", "person")


person_list = PersonSentList.as_view()


# --- the pairing page ------------------------------------------------------------------------


def _pairing(request: HttpRequest, pk: int) -> Pairing:
    return get_visible_or_404(
        Pairing.objects.select_related("org_unit", "helping_unit", "helped_unit"),
        request.user,
        pk=pk,
    )


@login_required
@restricted.publishes(ANALYSIS)
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    pairing = _pairing(request, pk)
    ids = [pairing.pk]
    may_change = can(user, "change", pairing)
    may_fund = can(user, "add", Fund(pairing=pairing))
    may_report = can(user, "add", PairingReport(pairing=pairing))
    sides = sides_of(user, pairing)
    ctx = {
        "pairing": pairing,
        "quality": queries.quality_comparison(pairing, user),
        "observations": queries.observation_averages(pairing),
        "hours": queries.joint_hours(pairing),
        "funds": queries.fund_totals(ids),
        "fund_rows": list(pairing.funds.order_by("-date", "-id")[:50]),
        "sent": queries.people_sent_totals(ids),
        "sent_rows": list(
            pairing.people_sent.select_related("person").order_by("-start_date", "-id")[:50]
        ),
        "joint": list(queries.joint_activities(pairing)[:50]),
        "reports": list(pairing.reports.order_by("-created_at", "-id")[:50]),
        "may_change": may_change,
        "may_fund": may_fund,
        "may_report": may_report,
        "owner": user.is_superuser or owns(user, pairing),
        "sides": sides,
        "fund_form": FundForm(),
        "person_form": PersonSentForm(),
        "activity_form": JointActivityForm(),
        "report_form": ReportForm(initial={"side": next(iter(sorted(sides)), "")}),
        "agreement_form": AgreementForm(),
        "history": audit.entries(pairing),
    }
    return render(request, "pairing/pairing_detail.html", ctx)


def _may_create(request, user, kwargs) -> None:
    if not units_where(user, "add", Pairing).exists():
        raise PermissionDenied(_("You do not have permission to do this here."))


@login_required
@upload("attachment", allowed=_may_create)
def pairing_create(request: HttpRequest) -> HttpResponse:
    _may_create(request, request.user, {})
    form = PairingForm(request.POST or None, request.FILES or None)
    return form_page(
        request,
        form,
        creating(services.create_pairing, request.user),
        template="pairing/pairing_form.html",
        success=_("The pairing was created."),
    )


@login_required
def pairing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    if not can(request.user, "change", pairing):
        raise PermissionDenied(_("You do not have permission to do this here."))
    form = PairingEditForm(request.POST or None, initial=editing(pairing, services.EDITABLE))
    return edit_page(
        request,
        form,
        lambda d, version: services.update_pairing(
            actor=request.user, pairing=pairing, expected_version=version, **d
        ),
        template="pairing/pairing_form.html",
        context={"pairing": pairing},
        success=_("The pairing was saved."),
    )


#: The upload guards (core.uploads) of a pairing's agreement (page and API) and reports.
may_change_pairing = may_on(Pairing, "change")
may_report = may_on(Pairing, lambda user, p: can(user, "add", PairingReport(pairing=p)))


@login_required
@require_POST
@upload("attachment", allowed=may_change_pairing)
def agreement_upload(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    return post_form(
        request,
        AgreementForm(request.POST, request.FILES),
        creating(services.set_agreement, request.user, pairing=pairing),
        success=_("The agreement was recorded."),
        redirect_to=pairing,
    )


fund_add = post_form_view(
    _pairing, "pairing", FundForm, services.add_fund, _lazy("The fund was recorded.")
)
person_add = post_form_view(
    _pairing,
    "pairing",
    PersonSentForm,
    services.add_person_sent,
    _lazy("The person sent was recorded."),
)
activity_link = post_form_view(
    _pairing,
    "pairing",
    JointActivityForm,
    services.link_activity,
    _lazy("The activity is now a joint activity."),
)


@login_required
@require_POST
@upload("attachment", allowed=may_report)
def report_add(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = _pairing(request, pk)
    return post_form(
        request,
        ReportForm(request.POST, request.FILES),
        creating(services.add_report, request.user, pairing=pairing),
        success=_("The report was recorded."),
        redirect_to=pairing,
    )


@login_required
def agreement_file(request: HttpRequest, pk: int) -> FileResponse:
    pairing = _pairing(request, pk)
    return stored_file_response(pairing.agreement_file, pairing.agreement_name)


report_file = file_download_view(PairingReport, name="file_name")


# --- changing and removing funds, people sent, reports and joint activities ---------------------


def _row(request, model, pk: int):
    return get_visible_or_404(model.objects.select_related("pairing"), request.user, pk=pk)


def _edit_view(model, form_class, service, fields, arg: str, title):
    """The page that edits one row below a pairing through ``service`` (optimistic
    locking: the form carries the version it was read at)."""

    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        row = _row(request, model, pk)
        if not can(request.user, "change", row):
            raise PermissionDenied(_("You do not have permission to do this here."))
        return edit_page(
            request,
            form_class(request.POST or None, initial=editing(row, fields)),
            updating(service, request.user, **{arg: row}),
            template="pairing/row_form.html",
            context={"pairing": row.pairing, "row": row, "title": title},
            success=_("Saved."),
            redirect_to=row.pairing,
        )

    return view


def _delete_view(model, service, arg: str, done):
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        row = _row(request, model, pk)
        return post_action(
            request,
            lambda: service(actor=request.user, **{arg: row}),
            success=done,
            redirect_to=row.pairing,
        )

    return view


fund_edit = _edit_view(
    Fund, FundEditForm, services.update_fund, services.FUND_FIELDS, "fund", _lazy("Fund")
)
fund_delete = _delete_view(Fund, services.delete_fund, "fund", _lazy("The fund was removed."))
person_edit = _edit_view(
    PersonSent,
    PersonSentEditForm,
    services.update_person_sent,
    services.SENT_FIELDS,
    "row",
    _lazy("Person sent"),
)
person_delete = _delete_view(
    PersonSent, services.delete_person_sent, "row", _lazy("The person sent was removed.")
)
report_edit = _edit_view(
    PairingReport,
    ReportEditForm,
    services.update_report,
    services.REPORT_FIELDS,
    "report",
    _lazy("Report"),
)
report_delete = _delete_view(
    PairingReport, services.delete_report, "report", _lazy("The report was removed.")
)
activity_unlink = _delete_view(
    JointActivity,
    services.unlink_activity,
    "link",
    _lazy("The activity is no longer a joint activity."),
)
