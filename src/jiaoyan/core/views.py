"""Pages of the shell: home, language, imports, notifications, the audit log."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from . import artefacts, audit, restricted
from .filters import AuditFilter, NotificationFilter
from .forms import StyledForm
from .imports import gone_message, kinds_for, retry_valid_only, start_import
from .lists import SortOption, xlsx_response
from .models import AuditLog, ImportJob, Notification
from .pages import Column, ListPage, form_page, post_action
from .scope import get_visible_or_404, has_role
from .sheets import get_kind, template_xlsx, write_table_xlsx
from .uploads import upload


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The greeting with the viewer's scope, then the panels the apps register for them."""
    from .home import layout, panels_for, scope_lines

    context = {"scope_lines": scope_lines(request), "home": layout(panels_for(request))}
    return render(request, "core/home.html", context)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("language", "")
    supported = {code for code, _name in settings.LANGUAGES}
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        nxt = "/"
    response = redirect(nxt)
    if lang in supported:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
        )
        if request.user.is_authenticated:
            get_user_model().objects.filter(pk=request.user.pk).update(language=lang)
    return response


# --- imports --------------------------------------------------------------------------


class ImportForm(StyledForm):
    kind = forms.ChoiceField(label=_lazy("What to import"))
    file = forms.FileField(
        label=_lazy("File"),
        help_text=_lazy("Excel (.xlsx, .xls), OpenDocument (.ods) or CSV (UTF-8 or GB18030)."),
    )
    mode = forms.ChoiceField(
        label=pgettext_lazy("import", "Mode"),
        choices=[
            ("all", _lazy("Import everything, or nothing if any row is wrong")),
            ("valid_only", _lazy("Import the valid rows, skip the wrong ones")),
            ("dry_run", _lazy("Only check the file, write nothing")),
        ],
        initial="all",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.kind, k.label) for k in kinds]


def _require_importer(request, *, standalone: bool = False) -> list:
    kinds = kinds_for(request.user, standalone=standalone)
    if not kinds:
        raise PermissionDenied(_("You may not import data."))
    return kinds


def _may_import_any(request, user, kwargs) -> None:
    """The import page's upload guard (core.uploads): the kind is in the body, so before
    it is read, only whether the user may import anything at all."""
    if not kinds_for(user, standalone=True):
        raise PermissionDenied(_("You may not import data."))


def _can_import(user) -> bool:
    return bool(kinds_for(user))


class ImportList(ListPage):
    """The import jobs the viewer sees, newest first, and the templates they may fill in."""

    template = "core/import_list.html"
    fragment = "core/_import_table.html"

    def get_queryset(self):
        # The table shows created_by.display_name, which reads the account's person.
        return ImportJob.objects.visible_to(self.user).select_related("job__created_by__person")

    def get_context(self):
        # Kinds that need parameters (an exam's scores) are imported from their object's page.
        return {"kinds": kinds_for(self.user, standalone=True)}


import_list = ImportList.as_view()


@login_required
@upload("sheet", allowed=_may_import_any)
def import_new(request: HttpRequest) -> HttpResponse:
    kinds = _require_importer(request, standalone=True)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
    else:
        initial_kind = request.GET.get("kind")
        form = ImportForm(kinds=kinds, initial={"kind": initial_kind} if initial_kind else None)

    def start(d):
        upload, mode = d["file"], d["mode"]
        return start_import(
            actor=request.user,
            kind=d["kind"],
            filename=upload.name,
            data=upload.read(),
            dry_run=mode == "dry_run",
            valid_only=mode == "valid_only",
        )

    # Success shows the job's page (its progress, then the report).
    return form_page(
        request, form, start, template="core/import_new.html", context={"kinds": kinds}
    )


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        sheet_cls = get_kind(kind)
    except LookupError:
        raise Http404 from None
    if not sheet_cls.standalone():
        raise Http404  # its columns depend on its object: that page offers the template
    content = template_xlsx(sheet_cls(actor=request.user))
    filename = _("%(kind)s import template") % {"kind": sheet_cls.label}
    return xlsx_response(content, filename)


def _import_job(request: HttpRequest, pk: int) -> ImportJob:
    return get_visible_or_404(
        ImportJob.objects.select_related("job__org_unit"), request.user, pk=pk
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress, then its report. A restricted kind's cell values are shown only
    to holders of the permission who give a reason (``?reason=``; the read is audited)."""
    job = _import_job(request, pk)
    template = "core/_import_status.html" if request.htmx else "core/import_detail.html"
    report = artefacts.report_for(request.user, job, request.GET.get("reason"), limit=500)
    context = {
        "job": job,
        "result": job.result,
        "errors": report.errors,
        "report": report,
        "file_kept": artefacts.file_kept(job),
    }
    return render(request, template, context)


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob.objects.select_related("job"), request.user, pk=pk)
    _require_importer(request)
    return post_action(
        request,
        lambda: retry_valid_only(actor=request.user, job=job),
        redirect_to=lambda new_job: new_job if new_job is not None else job,
    )


def _ask_reason(request: HttpRequest, job: ImportJob, what: str, rows: int | None):
    """Before a download of one of the job's artefacts: None to go ahead (a kind without
    restricted data, or the read audited with the reason given in ``?reason=``), else the
    page asking why (403 without the permission)."""
    raw = request.GET.get("reason")
    if artefacts.open_artefact(request.user, job, raw, rows=rows) is not None:
        return None
    problem = restricted.reason_or_problem(raw)[1] if raw is not None else ""
    context = {"job": job, "what": what, "reason": raw or "", "reason_error": problem}
    return render(request, "core/import_reason.html", context)


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = _import_job(request, pk)
    page = _ask_reason(request, job, _("the error report"), len(job.errors))
    if page is not None:
        return page
    content = write_table_xlsx(
        [_("Row"), _("Column"), _("Problem"), _("Value")],
        ([e["row"] or "", e["column"], e["message"], e.get("value", "")] for e in job.errors),
        sheet_title=_("Errors"),
        title=_("Errors in %(file)s") % {"file": job.original_name},
        widths=[8, 16, 60, 24],
    )
    return xlsx_response(content, _("Error report %(id)d") % {"id": job.pk})


@login_required
def import_file(request: HttpRequest, pk: int) -> HttpResponse:
    job = _import_job(request, pk)
    kind = artefacts.restriction_of(job)
    if kind is not None:  # the permission first: whether the file is kept is no one else's
        restricted.require_permission(request.user, kind, job.job.org_unit)
    if not artefacts.file_kept(job):
        messages.info(request, gone_message(job))
        return redirect(job)
    page = _ask_reason(request, job, _("the uploaded file"), job.total_rows or None)
    if page is not None:
        return page
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name)


# --- notifications --------------------------------------------------------------------


class NotificationList(ListPage):
    """The viewer's own notifications, newest first (``?unread=1``: the unread ones)."""

    template = "core/notification_list.html"
    fragment = "core/_notification_items.html"
    filterset = NotificationFilter

    def get_queryset(self):
        return Notification.objects.visible_to(self.user).filter(recipient=self.user)


notification_list = NotificationList.as_view()


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    from .notifications import mark_read

    ids = request.POST.getlist("id")
    try:
        parsed = [int(i) for i in ids] if ids else None
    except ValueError:
        parsed = []
    mark_read(request.user, parsed)
    nxt = request.POST.get("next") or reverse("core:notification_list")
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        nxt = reverse("core:notification_list")
    return redirect(nxt)


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link; the list's button (a POST) marks it read on the way,
    a GET (an old link) only follows it — a GET writes nothing."""
    from .notifications import mark_read

    note = get_visible_or_404(Notification, request.user, pk=pk)
    if request.method == "POST":
        mark_read(request.user, [note.pk])
    target = note.url or reverse("core:notification_list")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("core:notification_list")
    return redirect(target)


# --- audit log ------------------------------------------------------------------------


def _audit_time(a: AuditLog) -> str:
    return timezone.localtime(a.timestamp).strftime("%Y-%m-%d %H:%M:%S")


class AuditList(ListPage):
    """The change log of the viewer's scope, newest first; exports up to 100,000 rows."""

    template = "core/audit_list.html"
    fragment = "core/_audit_table.html"
    filterset = AuditFilter
    sorts = [SortOption("time", _lazy("Time"), ("timestamp",))]
    default_sort = "-time"
    columns = [
        Column(_lazy("Time"), _audit_time, width=18),
        Column(_lazy("Actor"), "actor_name", width=20),
        Column(_lazy("Action"), "get_action_display"),
        Column(_lazy("Type"), lambda a: a.content_type.name if a.content_type_id else ""),
        Column(_lazy("Object"), "object_repr", width=24),
        Column(_lazy("Changes"), lambda a: _changes_text(a)[:2000], width=60),
        Column(_lazy("Note"), "message", width=30),
    ]
    export_name = _lazy("Audit log")
    export_title = _lazy("Audit log")

    def get_queryset(self):
        return AuditLog.objects.visible_to(self.user).select_related("content_type")

    def export_rows(self, qs):
        return qs[:100000].iterator(chunk_size=2000)

    def get_context(self):
        for a in self.page:
            a.change_rows = audit.change_rows(_audited_model(a), a.changes, a.action)
        return {}


audit_list = AuditList.as_view()


def _audited_model(log: AuditLog):
    return log.content_type.model_class() if log.content_type_id else None


def _changes_text(log: AuditLog) -> str:
    parts = []
    for row in audit.change_rows(_audited_model(log), log.changes, log.action):
        old = "" if row["old"] is None else f"{row['old']} → "
        new = "—" if row["new"] is None else row["new"]
        parts.append(f"{row['label']}: {old}{new}")
    return "；".join(parts)


def can_see_audit(user) -> bool:
    from .roles import Role
    from .scope import auditor_paths

    return has_role(user, Role.BUREAU_ADMIN) or bool(auditor_paths(user))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale or forged form: say so in Chinese and offer the way back."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def import_links(request: HttpRequest) -> dict:
    return {"import_url": reverse("core:import_new")}
