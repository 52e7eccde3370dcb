"""Pages of the shell: home, language, imports, notifications, the audit log."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
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

from . import audit
from .errors import ServiceError
from .forms import StyledForm
from .imports import kinds_for, retry_valid_only, start_import
from .lists import paginate, querystring_without, xlsx_response
from .models import AuditLog, ImportJob
from .scope import get_visible_or_404, has_role
from .sheets import get_kind, template_xlsx, write_table_xlsx


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
            type(request.user).objects.filter(pk=request.user.pk).update(language=lang)
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


def _can_import(user) -> bool:
    return bool(kinds_for(user))


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    # Kinds that need parameters (an exam's scores) are imported from their object's page.
    kinds = kinds_for(request.user, standalone=True)
    # The table shows created_by.display_name, which reads the account's person.
    jobs = ImportJob.objects.visible_to(request.user).select_related("job__created_by__person")
    page = paginate(request, jobs)
    return render(
        request,
        "core/import_list.html",
        {"page": page, "kinds": kinds, "base_query": querystring_without(request, "page")},
    )


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    kinds = _require_importer(request, standalone=True)
    initial_kind = request.GET.get("kind")
    form = ImportForm(kinds=kinds, initial={"kind": initial_kind} if initial_kind else None)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            mode = form.cleaned_data["mode"]
            try:
                if upload.size > settings.IMPORT_MAX_BYTES:
                    raise ServiceError(
                        _("The file is larger than %(mb)d MB.")
                        % {"mb": settings.IMPORT_MAX_BYTES // 2**20}
                    )
                job = start_import(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    filename=upload.name,
                    data=upload.read(),
                    dry_run=mode == "dry_run",
                    valid_only=mode == "valid_only",
                )
            except ServiceError as e:
                form.add_error("file" if e.field == "file" else None, e.text)
            else:
                return redirect(job)
    return render(request, "core/import_new.html", {"form": form, "kinds": kinds})


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


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob.objects.select_related("job"), request.user, pk=pk)
    template = "core/_import_status.html" if request.htmx else "core/import_detail.html"
    return render(request, template, {"job": job, "result": job.result, "errors": job.errors[:500]})


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob.objects.select_related("job"), request.user, pk=pk)
    _require_importer(request)
    try:
        new_job = retry_valid_only(actor=request.user, job=job)
    except ServiceError as e:
        messages.error(request, e.text)
        return redirect(job)
    return redirect(new_job)


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ImportJob.objects.select_related("job"), request.user, pk=pk)
    content = write_table_xlsx(
        [_("Row"), _("Column"), _("Problem"), _("Value")],
        ([e["row"] or "", e["column"], e["message"], e.get("value", "")] for e in job.errors),
        sheet_title=_("Errors"),
        title=_("Errors in %(file)s") % {"file": job.original_name},
        widths=[8, 16, 60, 24],
    )
    return xlsx_response(content, _("Error report %(id)d") % {"id": job.pk})


@login_required
def import_file(request: HttpRequest, pk: int) -> FileResponse:
    job = get_visible_or_404(ImportJob.objects.select_related("job"), request.user, pk=pk)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name)


# --- notifications --------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    from .models import Notification

    qs = Notification.objects.visible_to(request.user).filter(recipient=request.user)
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = paginate(request, qs)
    template = "core/_notification_items.html" if request.htmx else "core/notification_list.html"
    return render(
        request, template, {"page": page, "base_query": querystring_without(request, "page")}
    )


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
    """Follow a notification's link, marking it read."""
    from .models import Notification
    from .notifications import mark_read

    note = get_visible_or_404(Notification, request.user, pk=pk)
    mark_read(request.user, [note.pk])
    target = note.url or reverse("core:notification_list")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("core:notification_list")
    return redirect(target)


# --- audit log ------------------------------------------------------------------------


class AuditFilter(StyledForm):
    action = forms.ChoiceField(
        label=_lazy("Action"),
        required=False,
        choices=[("", _lazy("All actions")), *AuditLog.Action.choices],
    )
    q = forms.CharField(label=_lazy("Object or person"), required=False, max_length=50)
    since = forms.DateField(
        label=_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = AuditLog.objects.visible_to(request.user).select_related("content_type")
    f = AuditFilter(request.GET or None)
    if f.is_valid():
        d = f.cleaned_data
        if d["action"]:
            qs = qs.filter(action=d["action"])
        if d["q"]:
            from django.db.models import Q

            qs = qs.filter(Q(object_repr__icontains=d["q"]) | Q(actor_name__icontains=d["q"]))
        if d["since"]:
            qs = qs.filter(timestamp__date__gte=d["since"])
        if d["until"]:
            qs = qs.filter(timestamp__date__lte=d["until"])
    if request.GET.get("export") == "xlsx":
        rows = (
            [
                timezone.localtime(a.timestamp).strftime("%Y-%m-%d %H:%M:%S"),
                a.actor_name,
                a.get_action_display(),
                a.content_type.name if a.content_type_id else "",
                a.object_repr,
                _changes_text(a)[:2000],
                a.message,
            ]
            for a in qs[:100000].iterator(chunk_size=2000)
        )
        content = write_table_xlsx(
            [_("Time"), _("Actor"), _("Action"), _("Type"), _("Object"), _("Changes"), _("Note")],
            rows,
            sheet_title=_("Audit log"),
            title=_("Audit log"),
            widths=[18, 20, 12, 12, 24, 60, 30],
        )
        return xlsx_response(content, _("Audit log"))
    page = paginate(request, qs)
    for a in page:
        a.change_rows = audit.change_rows(_audited_model(a), a.changes, a.action)
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "filter": f,
            "base_query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "export"),
        },
    )


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

    return has_role(user, Role.BUREAU_ADMIN)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale or forged form: say so in Chinese and offer the way back."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def import_links(request: HttpRequest) -> dict:
    return {"import_url": reverse("core:import_new")}
