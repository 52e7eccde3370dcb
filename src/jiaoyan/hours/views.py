"""Pages of hours: the ledger (学时档案, own or a person's in scope) with its sheet and PDF,
external declarations, who is behind schedule, a bureau's rules, and certificates
(own, a source's, and the public verification page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.models import Job
from jiaoyan.core.pages import (
    Column,
    ListPage,
    creating,
    form_page,
    post_action,
    post_form,
    stored_file_response,
)
from jiaoyan.core.scope import can, get_visible_or_404
from jiaoyan.core.uploads import upload
from jiaoyan.people.models import Person

from . import certificates, queries, rules, services
from .documents import statement_pdf
from .filters import BehindFilter, DeclarationFilter, HoursFilter
from .forms import CategoryForm, DecideForm, DeclarationForm, PolicyForm, RejectForm, RevokeForm
from .models import Certificate, ExternalDeclaration, HoursCategory, HoursPolicy, HoursRecord

RECORD_COLUMNS = [
    Column(_lazy("Date"), "date"),
    Column(_lazy("For"), "title", width=40),
    Column(_lazy("Kind"), "get_kind_display", width=14),
    Column(_lazy("Hours"), lambda r: float(r.hours), width=8),
    Column(_lazy("Credited by"), "credited_by.name", width=24),
    Column(_lazy("Category"), "category.name", width=14),
]


def _may_see_ledger(user, person: Person) -> bool:
    return person.user_id == user.pk or can(user, "view", HoursRecord(person=person))


class Ledger(ListPage):
    """A person's 学时档案: the current cycle's progress and charts, and every record
    (filtered by year); the export has the table's columns."""

    template = "hours/mine.html"
    fragment = "hours/_table.html"
    filterset = HoursFilter
    sorts = [SortOption("date", _lazy("Date"), ("date",))]
    default_sort = "-date"
    columns = RECORD_COLUMNS
    export_name = _lazy("My hours")
    export_title = _lazy("My hours")

    def person(self) -> Person:
        if not hasattr(self, "_person"):
            pk = self.kwargs.get("pk")
            if pk is None:
                person = getattr(self.user, "person", None)
                if person is None:
                    raise Http404
            else:
                person = get_visible_or_404(
                    Person.objects.select_related("org_unit"), self.user, pk=pk
                )
                if not _may_see_ledger(self.user, person):
                    raise Http404
            self._person = person
        return self._person

    def get_queryset(self):
        return queries.records_of(self.user, self.person()).select_related(
            "credited_by", "category"
        )

    def export_rows(self, qs):
        return qs.iterator(chunk_size=2000)

    def get_context(self):
        person = self.person()
        own = person.user_id == self.user.pk
        years = queries.own_by_year(self.user) if own else []
        this_year = timezone.localdate().year
        current = next((y for y in years if y["year"] == this_year), None)
        return {
            **queries.ledger(self.user, person),
            "own": own,
            "years": years,
            "year": self.filter.year_value,
            "this_year": this_year,
            "this_year_total": current["total"] if current else 0,
            "statement_url": reverse("hours:statement")
            if own
            else reverse("hours:person_statement", args=[person.pk]),
        }


mine = Ledger.as_view()
person_ledger = login_required(Ledger.as_view())


def _statement(request: HttpRequest, person: Person) -> HttpResponse:
    today = timezone.localdate()
    cycle = queries.current_cycle(request.user, person)
    progress = rules.progress(cycle, today) if cycle else None
    records = list(queries.cycle_records(request.user, person, cycle)[:500])
    content = statement_pdf(person, cycle, progress, records, today=today)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{_quote(f'学时证明-{person.name}.pdf')}"
    )
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404
    return _statement(request, person)


@login_required
def person_statement(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("org_unit"), request.user, pk=pk)
    if not _may_see_ledger(request.user, person):
        raise Http404
    return _statement(request, person)


# --- external declarations ----------------------------------------------------------------


class DeclarationList(ListPage):
    """Declarations: one's own, and those of the people a principal or admin decides for."""

    template = "hours/declaration_list.html"
    fragment = "hours/_declaration_table.html"
    filterset = DeclarationFilter
    sorts = [SortOption("created", _lazy("Declared"), ("created_at",))]
    default_sort = "-created"
    columns = [
        Column(_lazy("Declared"), lambda d: d.created_at.date()),
        Column(_lazy("Person"), "person.name"),
        Column(_lazy("Training"), "title", width=40),
        Column(_lazy("Organiser"), "organiser", width=24),
        Column(_lazy("From"), "start_date"),
        Column(_lazy("To"), "end_date"),
        Column(_lazy("Hours"), lambda d: float(d.hours), width=8),
        Column(_lazy("Status"), "get_status_display"),
        Column(_lazy("Reason"), "reason", width=30),
    ]
    export_name = _lazy("External declarations")

    def get_queryset(self):
        return queries.declarations(self.user)


declaration_list = login_required(DeclarationList.as_view())


@login_required
@upload("attachment", allowed=services.may_declare)
def declaration_new(request: HttpRequest) -> HttpResponse:
    services.may_declare(request, request.user, {})
    person = request.user.person
    category_ids = [c.id for c in rules.Settings().categories(person.org_unit.path)]
    form = DeclarationForm(
        request.POST or None, request.FILES or None, user=request.user, category_ids=category_ids
    )
    return form_page(
        request,
        form,
        creating(services.declare_external, request.user),
        template="hours/declaration_form.html",
        success=_("Your declaration was sent to your school."),
    )


def _declaration(request, pk: int) -> ExternalDeclaration:
    return get_visible_or_404(queries.declarations(request.user), request.user, pk=pk)


@login_required
def declaration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decl = _declaration(request, pk)
    may_decide = (
        decl.status == ExternalDeclaration.Status.PENDING
        and decl.person.user_id != request.user.pk
        and can(request.user, "change", decl)
    )
    ctx = {
        "decl": decl,
        "may_decide": may_decide,
        "may_withdraw": decl.status == ExternalDeclaration.Status.PENDING
        and decl.person.user_id == request.user.pk,
        "approve_form": DecideForm(initial={"version": decl.version}),
        "reject_form": RejectForm(initial={"version": decl.version}),
        "history": audit.entries(decl),
    }
    return render(request, "hours/declaration_detail.html", ctx)


@login_required
def declaration_evidence(request: HttpRequest, pk: int) -> FileResponse:
    decl = _declaration(request, pk)
    return stored_file_response(decl.evidence, decl.evidence_name)


@login_required
@require_POST
def declaration_approve(request: HttpRequest, pk: int) -> HttpResponse:
    decl = _declaration(request, pk)
    return post_form(
        request,
        DecideForm(request.POST),
        lambda d: services.approve_declaration(
            actor=request.user, declaration=decl, expected_version=d.get("version")
        ),
        success=_("Approved: the hours are credited."),
        redirect_to=decl,
    )


@login_required
@require_POST
def declaration_reject(request: HttpRequest, pk: int) -> HttpResponse:
    decl = _declaration(request, pk)
    return post_form(
        request,
        RejectForm(request.POST),
        lambda d: services.reject_declaration(
            actor=request.user,
            declaration=decl,
            reason=d["reason"],
            expected_version=d.get("version"),
        ),
        success=_("Rejected; the person reads your reason."),
        redirect_to=decl,
    )


@login_required
@require_POST
def declaration_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    decl = _declaration(request, pk)
    return post_action(
        request,
        lambda: services.withdraw_declaration(actor=request.user, declaration=decl),
        success=_("The declaration was withdrawn."),
        redirect_to=decl,
    )


# --- behind schedule ----------------------------------------------------------------------


def _expected(c) -> float:
    return float(
        rules.q1(rules.expected(c.required_hours, c.start_year, c.end_year, timezone.localdate()))
    )


class BehindList(ListPage):
    """The people of the viewer's scope behind schedule in their current cycle."""

    template = "hours/behind.html"
    fragment = "hours/_behind_table.html"
    filterset = BehindFilter
    sorts = [
        SortOption("earned", _lazy("Hours counted"), ("earned",)),
        SortOption("start", _lazy("First year"), ("start_year",)),
    ]
    default_sort = "earned"
    columns = [
        Column(_lazy("Person"), "person.name"),
        Column(_lazy("Staff number"), "person.staff_no", width=14),
        Column(_lazy("Unit"), "person.org_unit.name", width=24),
        Column(_lazy("Cycle"), lambda c: f"{c.start_year}–{c.end_year}"),
        Column(_lazy("Required"), lambda c: float(c.required_hours)),
        Column(_lazy("Expected by now"), _expected),
        Column(_lazy("Counted"), lambda c: float(c.earned)),
        Column(_lazy("Short by"), lambda c: round(_expected(c) - float(c.earned), 1)),
    ]
    export_name = _lazy("Behind schedule")

    def get_queryset(self):
        return queries.behind(self.user)

    def list_queryset(self, qs):
        return qs.select_related("person", "person__org_unit")

    def get_context(self):
        return {"may_remind": services.may_remind(self.user), "today": timezone.localdate()}


behind = login_required(BehindList.as_view())


@login_required
@require_POST
def send_reminders(request: HttpRequest) -> HttpResponse:
    qs = BehindFilter(request.GET, queryset=queries.behind(request.user), request=request).qs
    back = reverse("hours:behind") + ("?" + request.GET.urlencode() if request.GET else "")
    return post_action(
        request,
        lambda: services.send_reminders(actor=request.user, cycles=qs),
        success=lambda n: _("Reminded %(n)d people.") % {"n": n},
        redirect_to=back,
    )


# --- a bureau's rules ---------------------------------------------------------------------


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    policies = list(HoursPolicy.objects.visible_to(user).select_related("org_unit"))
    cats = list(HoursCategory.objects.visible_to(user).select_related("org_unit"))
    may_edit = bool(CategoryForm(user=user).fields["org_unit"].queryset.exists())
    ctx = {
        "policies": policies,
        "categories": cats,
        "may_edit": may_edit,
        "category_form": CategoryForm(user=user),
        "policy_form": PolicyForm(
            user=user,
            initial={
                "cycle_years": 5,
                "first_cycle_year": 2024,
                "required_hours": 360,
                "hours_per_credit": 10,
            },
        ),
        "default": rules.DEFAULT,
    }
    return render(request, "hours/settings.html", ctx)


@login_required
@require_POST
def category_add(request: HttpRequest) -> HttpResponse:
    return post_form(
        request,
        CategoryForm(request.POST, user=request.user),
        creating(services.create_category, request.user),
        success=_("The category was added."),
        redirect_to=reverse("hours:settings"),
    )


@login_required
@require_POST
def policy_set(request: HttpRequest) -> HttpResponse:
    def perform(data):
        data["expected_version"] = data.pop("version", None)
        return services.set_policy(actor=request.user, **data)

    return post_form(
        request,
        PolicyForm(request.POST, user=request.user),
        perform,
        success=_("The rules were saved; cycles opened from now on follow them."),
        redirect_to=reverse("hours:settings"),
    )


# --- certificates -------------------------------------------------------------------------


class MyCertificates(ListPage):
    template = "hours/certificate_list.html"
    fragment = "hours/_certificate_table.html"
    sorts = [SortOption("issued", _lazy("Issued on"), ("issued_on",))]
    default_sort = "-issued"
    columns = [
        Column(_lazy("Programme"), "title", width=40),
        Column(_lazy("Hours"), lambda c: float(c.hours)),
        Column(_lazy("Issued by"), "issuer.name", width=24),
        Column(_lazy("Issued on"), "issued_on"),
        Column(_lazy("Verification code"), "code", width=20),
        Column(_lazy("Revoked"), lambda c: "已撤销" if c.revoked_at else ""),
    ]
    export_name = _lazy("My certificates")

    def get_queryset(self):
        return queries.own_certificates(self.user)


my_certificates = login_required(MyCertificates.as_view())


def _certificate(request, pk: int) -> Certificate:
    cert = get_visible_or_404(queries.certificates(request.user), request.user, pk=pk)
    if not can(request.user, "download", cert):
        raise Http404
    return cert


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    cert = _certificate(request, pk)
    response = HttpResponse(certificates.render_pdf(cert), content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{_quote(certificates.pdf_name(cert))}"
    )
    return response


@login_required
@require_POST
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    cert = _certificate(request, pk)
    back = reverse("hours:source_certificates", args=[cert.source_type_id, cert.source_id])
    return post_form(
        request,
        RevokeForm(request.POST),
        lambda d: certificates.revoke(request.user, cert, d["reason"]),
        success=_("The certificate was revoked."),
        redirect_to=back,
    )


def _source(request, ct: int, pk: int):
    source = certificates.source_of(ct, pk)
    if source is None or not can(request.user, "change", source):
        raise Http404
    return source


@login_required
def source_certificates(request: HttpRequest, ct: int, pk: int) -> HttpResponse:
    source = _source(request, ct, pk)
    rows = (
        Certificate.objects.visible_to(request.user)
        .filter(source_type_id=ct, source_id=pk)
        .select_related("person", "issuer")
        .order_by("person__name", "id")
    )
    jobs = (
        Job.objects.visible_to(request.user)
        .filter(kind=certificates.ZIP_JOB, params__source_type=ct, params__source_id=pk)
        .order_by("-created_at")[:1]
    )
    return render(
        request,
        "hours/source_certificates.html",
        {
            "source": source,
            "rows": rows[:200],
            "count": rows.count(),
            "job": next(iter(jobs), None),
            "ct": ct,
            "pk": pk,
            "revoke_form": RevokeForm(),
        },
    )


@login_required
@require_POST
def source_zip(request: HttpRequest, ct: int, pk: int) -> HttpResponse:
    source = _source(request, ct, pk)
    return post_action(
        request,
        lambda: certificates.start_zip(actor=request.user, source=source),
        success=_("The certificates are being rendered; the ZIP appears here when ready."),
        redirect_to=reverse("hours:source_certificates", args=[ct, pk]),
    )


@login_required
def zip_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = get_visible_or_404(Job, request.user, pk=job_id)
    if job.kind != certificates.ZIP_JOB or not (job.result or {}).get("file"):
        raise Http404
    params = job.params or {}
    _source(request, int(params.get("source_type", 0)), int(params.get("source_id", 0)))
    name = job.result["file"]
    if not default_storage.exists(name):
        raise Http404
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=certificates.zip_bytes_name(job),
    )


def verify_page(request: HttpRequest, code: str) -> HttpResponse:
    """The public verification of a certificate's code (no login; rate-limited)."""
    if not certificates.may_look_up(request):
        return render(request, "hours/verify.html", {"limited": True, "code": code}, status=429)
    found = certificates.verify(code)
    return render(
        request,
        "hours/verify.html",
        {"found": found, "code": certificates.normalise_code(code)},
        status=200 if found else 404,
    )


def verify_form(request: HttpRequest) -> HttpResponse:
    code = certificates.normalise_code(request.GET.get("code", ""))
    if code:
        return redirect("hours:verify", code=code)
    return render(request, "hours/verify.html", {"ask": True})
