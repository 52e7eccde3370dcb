"""Governance pages of the screening data: who read what (the read audit), exports of
identified data with a second approver, and the way to the permission's grants page.

Who sees the read audit: the holders of the wellbeing permission (the reads of the subtrees
where they hold it: the school's counsellors see each other's reads, a district's
wellbeing staff those of the district) and the auditors of the unit. Admins without the
permission see nothing of it (403), like the records themselves."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import restricted
from jiaoyan.core.forms import FilterForm
from jiaoyan.core.lists import SortOption
from jiaoyan.core.models import AuditLog
from jiaoyan.core.pages import Column, ListPage, form_page, post_action, stored_file_response
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit

from . import queries
from . import services_governance as governance
from .forms_governance import ExportRequestForm
from .models import ExportRequest


def _require_reviewer(user) -> None:
    if not restricted.may_review_reads(user, restricted.WELLBEING):
        raise PermissionDenied(_("This needs the wellbeing permission."))


# --- the read audit ------------------------------------------------------------------------


class ReadFilter(df.FilterSet):
    reader = df.CharFilter(label=_lazy("Reader"), method="by_reader", max_length=50)
    student = df.CharFilter(label=_lazy("Student key"), method="by_student", max_length=40)
    action = df.ChoiceFilter(
        label=_lazy("Read or export"),
        choices=[
            (AuditLog.Action.VIEW, _lazy("Read")),
            (AuditLog.Action.EXPORT, _lazy("Export")),
        ],
        empty_label=_lazy("Reads and exports"),
    )
    since = df.DateFilter(
        label=_lazy("From"),
        field_name="timestamp",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = df.DateFilter(
        label=_lazy("To"),
        field_name="timestamp",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditLog
        fields: list[str] = []
        form = FilterForm

    def by_reader(self, qs, name, value):
        value = value.strip()
        return qs.filter(actor_name__icontains=value) if value else qs

    def by_student(self, qs, name, value):
        value = value.strip()
        return qs.filter(object_repr__icontains=value) if value else qs


def _time(a: AuditLog) -> str:
    return timezone.localtime(a.timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _change(a: AuditLog, key: str):
    pair = (a.changes or {}).get(key)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else ""


class ReadList(ListPage):
    """Every audited read and export of identified screening records the viewer may
    review, newest first; its own export is restricted alike and audited."""

    template = "wellbeing/governance/reads.html"
    fragment = "wellbeing/governance/_read_table.html"
    filterset = ReadFilter
    sorts = [SortOption("time", _lazy("Time"), ("timestamp",))]
    default_sort = "-time"
    columns = [
        Column(_lazy("Time"), _time, width=18),
        Column(_lazy("Reader"), "actor_name", width=20),
        Column(_lazy("Action"), "get_action_display", width=12),
        Column(_lazy("Record"), "object_repr", width=24),
        Column(_lazy("Unit"), "unit_name", width=20),
        Column(_lazy("Reason"), lambda a: _change(a, "reason"), width=30),
        Column(_lazy("Rows"), lambda a: _change(a, "rows"), width=8),
    ]
    export_name = _lazy("Reads of screening records")

    def get_queryset(self):
        return restricted.reads_visible_to(self.user, restricted.WELLBEING)

    def _name_units(self, rows):
        paths = {a.unit_path for a in rows}
        names = dict(OrgUnit.objects.filter(path__in=paths).values_list("path", "name"))
        for a in rows:
            a.unit_name = names.get(a.unit_path, "")
        return rows

    def get_context(self):
        self._name_units(self.page.object_list)
        return {"section": "reads"}

    def export_rows(self, qs):
        rows = self._name_units(list(qs[:100000]))
        units = OrgUnit.objects.filter(path__in={a.unit_path for a in rows})
        by_unit: dict[str, int] = {}
        for a in rows:
            by_unit[a.unit_path] = by_unit.get(a.unit_path, 0) + 1
        for unit in units:
            if restricted.has_permission(self.user, restricted.WELLBEING, unit):
                restricted.record_read(
                    self.user,
                    restricted.WELLBEING,
                    unit,
                    _("export of the read audit"),
                    rows=by_unit.get(unit.path, 0),
                    export=True,
                )
        return rows


_reads = ReadList.as_view()


@login_required
def reads(request: HttpRequest) -> HttpResponse:
    _require_reviewer(request.user)
    return _reads(request)


# --- exports with a second approver --------------------------------------------------------


class ExportFilter(df.FilterSet):
    status = df.ChoiceFilter(
        label=_lazy("Status"),
        choices=ExportRequest.Status.choices,
        empty_label=_lazy("Any status"),
    )

    class Meta:
        model = ExportRequest
        fields: list[str] = []
        form = FilterForm


class ExportList(ListPage):
    """The export requests of the units where the viewer holds the permission, newest
    first; beside them the form to ask for one."""

    template = "wellbeing/governance/exports.html"
    fragment = "wellbeing/governance/_export_table.html"
    filterset = ExportFilter
    sorts = [SortOption("made", _lazy("Requested"), ("created_at",))]
    default_sort = "-made"
    columns = [
        Column(_lazy("Requested"), lambda r: timezone.localtime(r.created_at), width=18),
        Column(_lazy("Data"), "get_what_display", width=20),
        Column(_lazy("Data of"), "org_unit.name", width=20),
        Column(_lazy("Requested by"), "requested_by.display_name"),
        Column(_lazy("Reason"), "reason", width=30),
        Column(_lazy("Status"), "get_status_display", width=14),
    ]
    export_name = _lazy("Screening export requests")

    def __init__(self, request, *, form=None, **kw):
        super().__init__(request, **kw)
        self.form = form

    def get_queryset(self):
        return ExportRequest.objects.visible_to(self.user).select_related(
            "org_unit", "requested_by", "decided_by"
        )

    def get_context(self):
        return {"form": self.form, "section": "exports"}


@login_required
def exports(request: HttpRequest) -> HttpResponse:
    queries.require_permission_somewhere(request.user)
    form = ExportRequestForm(request.POST or None, user=request.user)
    if request.method == "POST":

        def perform(d):
            return governance.request_export(
                actor=request.user, org_unit=d["org_unit"], what=d["what"], reason=d["reason"]
            )

        return form_page(
            request,
            form,
            perform,
            template="wellbeing/governance/export_form.html",
            success=_("Your request waits for a second person's approval."),
            redirect_to=lambda req: req.get_absolute_url(),
        )
    return ExportList(request, form=form).dispatch()


def _export(request, pk: int) -> ExportRequest:
    return get_visible_or_404(
        ExportRequest.objects.select_related("org_unit", "requested_by", "decided_by", "job"),
        request.user,
        pk=pk,
    )


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = _export(request, pk)
    ctx = {
        "req": req,
        "job": req.job,
        "may_decide": req.status == ExportRequest.Status.PENDING
        and req.requested_by_id != request.user.pk,
        "may_download": req.downloadable and req.requested_by_id == request.user.pk,
        "section": "exports",
    }
    return render(request, "wellbeing/governance/export_detail.html", ctx)


@login_required
@require_POST
def export_approve(request: HttpRequest, pk: int) -> HttpResponse:
    req = _export(request, pk)
    return post_action(
        request,
        lambda: governance.approve_export(actor=request.user, export=req),
        success=_("Approved: the file is being built."),
        redirect_to=req.get_absolute_url(),
    )


@login_required
@require_POST
def export_reject(request: HttpRequest, pk: int) -> HttpResponse:
    req = _export(request, pk)
    return post_action(
        request,
        lambda: governance.reject_export(actor=request.user, export=req),
        success=_("The request is rejected."),
        redirect_to=req.get_absolute_url(),
    )


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, for the requester only, until it expires (each download audited)."""
    req = _export(request, pk)
    if req.requested_by_id != request.user.pk:
        raise PermissionDenied(_("Only the person who asked for this export may download it."))
    if not req.downloadable:
        return render(
            request,
            "wellbeing/governance/export_detail.html",
            {"req": req, "job": req.job, "section": "exports", "gone": True},
            status=410,
        )
    governance.open_export(actor=request.user, export=req)
    name = f"{req.get_what_display()}-{req.org_unit.name}-{req.pk}.xlsx"
    return stored_file_response(
        req.file,
        name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        request=request,
    )


def permissions_link(request: HttpRequest) -> str:
    return reverse("core:permissions", kwargs={"data_kind": restricted.WELLBEING})
