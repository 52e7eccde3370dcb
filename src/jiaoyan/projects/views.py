"""Project pages: calls (list, form, the call's page with its application table, quotas
and the batch decision), projects (list with filters, the application form, the project
page with its timeline and the forms of each stage), the expert's review queue and score
form, documents, and the overview of a scope with its charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit, charts
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    Column,
    ListPage,
    columns_response,
    creating,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
    post_form,
    wants_export,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.core.uploads import may_on, upload

from . import queries, services
from .filters import CallFilter, ProjectFilter, ReviewFilter
from .forms import (
    AcceptStageForm,
    ApplyForm,
    CallEditForm,
    CallForm,
    ConcludeForm,
    DecideForm,
    DocumentForm,
    ExpertsForm,
    ExtendForm,
    FileStageForm,
    QuotaForm,
    ReviewForm,
    TerminateForm,
)
from .models import Project, ProjectCall, Review, StageDocument

DENIED = _lazy("You do not have permission to do this here.")


def _project(request: HttpRequest, pk: int) -> Project:
    return get_visible_or_404(
        Project.objects.select_related("org_unit", "approving_unit", "call", "pi", "subject"),
        request.user,
        pk=pk,
    )


def _call(request: HttpRequest, pk: int) -> ProjectCall:
    return get_visible_or_404(ProjectCall.objects.select_related("org_unit"), request.user, pk=pk)


PROJECT_COLUMNS = [
    Column(_lazy("Project number"), "number", width=18),
    Column(pgettext_lazy("project", "Title"), "title", width=36),
    Column(_lazy("Project level"), "get_level_display", width=8),
    Column(_lazy("Host unit"), "org_unit.name", width=24),
    Column(_lazy("Principal investigator"), "pi.name", width=10),
    Column(_lazy("Stage"), "get_stage_display", width=10),
    Column(_lazy("Status"), "get_status_display", width=10),
    Column(_lazy("Applied on"), "applied_on"),
    Column(_lazy("Approved on"), "approved_on"),
    Column(_lazy("Current stage due"), "due_on"),
    Column(_lazy("Conclusion grade"), "get_grade_display", width=8),
]


# --- projects --------------------------------------------------------------------------


class ProjectList(ListPage):
    """The projects the viewer sees: hosted in their units, approved by them, theirs as a
    member, or assigned to them for review."""

    template = "projects/project_list.html"
    fragment = "projects/_project_table.html"
    filterset = ProjectFilter
    sorts = [
        SortOption("applied", _lazy("Applied on"), ("applied_on", "id")),
        SortOption("due", _lazy("Current stage due"), ("due_on", "id")),
    ]
    default_sort = "-applied"
    columns = PROJECT_COLUMNS
    export_name = _lazy("Research projects")

    def get_queryset(self):
        return queries.projects(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit", "pi")

    def get_context(self):
        return {"may_apply": units_where(self.user, "add", Project).exists()}


project_list = ProjectList.as_view()


def _may_apply(request, user, kwargs) -> None:
    if not units_where(user, "add", Project).exists():
        raise PermissionDenied(str(DENIED))


@login_required
@upload("attachment", allowed=_may_apply)
def apply(request: HttpRequest) -> HttpResponse:
    _may_apply(request, request.user, {})
    open_calls = [
        c for c in queries.calls(request.user).order_by("-opens_on")[:50] if c.phase() == "open"
    ]
    initial = {}
    if request.GET.get("call", "").isdigit():
        initial["call"] = int(request.GET["call"])
    form = ApplyForm(request.POST or None, request.FILES or None, calls=open_calls, initial=initial)
    return form_page(
        request,
        form,
        creating(services.apply, request.user),
        template="projects/apply.html",
        success=_("The application was submitted."),
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    p = _project(request, pk)
    user = request.user
    ctx = queries.detail(user, p)
    may_decide = can(user, "decide", p)
    may_change = can(user, "change", p)
    ctx.update(
        {
            "project": p,
            "may_decide": may_decide,
            "may_change": may_change,
            "file_form": FileStageForm(initial={"stage": p.stage}),
            "accept_form": AcceptStageForm(initial={"stage": p.stage}),
            "experts_form": ExpertsForm(),
            "conclude_form": ConcludeForm(),
            "extend_form": ExtendForm(),
            "terminate_form": TerminateForm(),
            "document_form": DocumentForm(initial={"stage": p.stage}),
        }
    )
    return render(request, "projects/project_detail.html", ctx)


def _project_form(form_class, service, success, *, upload_kind: str | None = None, perm="change"):
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        p = _project(request, pk)
        return post_form(
            request,
            form_class(request.POST, request.FILES or None),
            creating(service, request.user, project=p),
            success=success,
            redirect_to=p,
        )

    view = require_POST(view)
    if upload_kind:
        view = upload(upload_kind, allowed=may_on(Project, perm))(view)
    return login_required(view)


file_stage = _project_form(
    FileStageForm, services.file_stage, _lazy("The report was filed."), upload_kind="attachment"
)
add_document = _project_form(
    DocumentForm, services.add_document, _lazy("The document was added."), upload_kind="attachment"
)
accept_stage = _project_form(AcceptStageForm, services.accept_stage, _lazy("Saved."))
assign_experts = _project_form(
    ExpertsForm, services.assign_experts, _lazy("The experts were assigned.")
)
conclude = _project_form(ConcludeForm, services.conclude, _lazy("The project is concluded."))
extend = _project_form(ExtendForm, services.extend, _lazy("The deadline was extended."))
terminate = _project_form(TerminateForm, services.terminate, _lazy("The project is terminated."))


document = file_download_view(StageDocument, name="file_name")


# --- calls -----------------------------------------------------------------------------


class CallList(ListPage):
    template = "projects/call_list.html"
    fragment = "projects/_call_table.html"
    filterset = CallFilter
    sorts = [SortOption("opens", _lazy("Applications open on"), ("opens_on", "id"))]
    default_sort = "-opens"
    columns = [
        Column(pgettext_lazy("call", "Title"), "title", width=36),
        Column(_lazy("Approving unit"), "org_unit.name", width=24),
        Column(_lazy("Project level"), "get_level_display", width=8),
        Column(_lazy("Applications open on"), "opens_on"),
        Column(_lazy("Applications close on"), "closes_on"),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(_lazy("Applications"), "application_count"),
    ]
    export_name = _lazy("Calls for projects")

    def get_queryset(self):
        return queries.calls(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit")

    def get_context(self):
        return {"may_add": units_where(self.user, "add", ProjectCall).exists()}


call_list = CallList.as_view()


@login_required
def call_create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", ProjectCall).exists():
        raise PermissionDenied(DENIED)
    form = CallForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        creating(services.create_call, request.user),
        template="projects/call_form.html",
        success=_("The call was saved as a draft. Publish it when it is ready."),
    )


@login_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a call (课题指南): its rules hold as in the API's PATCH (services.update_call)."""
    c = _call(request, pk)
    if not can(request.user, "change", c):
        raise PermissionDenied(DENIED)
    form = CallEditForm(request.POST or None, initial=editing(c, services.CALL_FIELDS))
    return edit_page(
        request,
        form,
        lambda data, version: services.update_call(
            actor=request.user, call=c, data=data, expected_version=version
        ),
        template="projects/call_form.html",
        context={"call": c},
        success=_("The call was saved."),
        redirect_to=c,
    )


APPLICATION_COLUMNS = [
    Column(pgettext_lazy("project", "Title"), "title", width=36),
    Column(_lazy("Host unit"), "org_unit.name", width=24),
    Column(_lazy("Principal investigator"), "pi.name", width=10),
    Column(_lazy("Status"), "get_status_display", width=10),
    Column(_lazy("Reviews"), lambda p: f"{p.reviews_done}/{p.reviews_assigned}"),
    Column(_lazy("Project number"), "number", width=18),
]


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = _call(request, pk)
    rows = queries.call_applications(request.user, c)
    if wants_export(request):
        return columns_response(
            APPLICATION_COLUMNS,
            rows,
            filename=f"{c.title}.xlsx",
            sheet_title=str(_("Applications")),
            title=c.title,
        )
    may_change = can(request.user, "change", c)
    rows = list(rows[:500])
    for p in rows:
        p.may_forward = (
            c.forwarding
            and p.status == Project.Status.APPLIED
            and p.forwarded_on is None
            and can(request.user, "forward", p)
        )
    return render(
        request,
        "projects/call_detail.html",
        {
            "call": c,
            "rows": rows,
            "may_change": may_change,
            "forwards": any(p.may_forward for p in rows),
            "may_edit": may_change and c.status != ProjectCall.Status.DECIDED,
            "may_apply": c.phase() == "open" and units_where(request.user, "add", Project).exists(),
            "quota_form": QuotaForm(),
            "decide_form": DecideForm(),
            "history": audit.entries(c) if may_change else [],
        },
    )


@login_required
@require_POST
def call_status(request: HttpRequest, pk: int) -> HttpResponse:
    c = _call(request, pk)
    return post_action(
        request,
        lambda: services.set_call_status(
            actor=request.user, call=c, status=request.POST.get("status", "")
        ),
        success=_("Saved."),
        redirect_to=c,
    )


@login_required
@require_POST
def call_quota(request: HttpRequest, pk: int) -> HttpResponse:
    c = _call(request, pk)
    return post_form(
        request,
        QuotaForm(request.POST),
        creating(services.set_call_quota, request.user, call=c),
        success=_("Saved."),
        redirect_to=c,
    )


@login_required
@require_POST
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    """区县推荐: the county forwards one application to the approving unit."""
    p = _project(request, pk)
    return post_action(
        request,
        lambda: services.forward(actor=request.user, project=p),
        success=_("The application was forwarded."),
        redirect_to=p.call if p.call_id else p,
    )


@login_required
@require_POST
def call_decide(request: HttpRequest, pk: int) -> HttpResponse:
    c = _call(request, pk)
    ids = list(queries.call_applications(request.user, c).values_list("pk", flat=True))
    return post_form(
        request,
        DecideForm(request.POST, ids=ids),
        creating(services.decide, request.user),
        success=lambda done: _("%(n)d applications decided.") % {"n": len(done)},
        redirect_to=c,
    )


# --- reviews ---------------------------------------------------------------------------


class ReviewQueue(ListPage):
    """The expert's reviews: open ones first."""

    template = "projects/review_list.html"
    fragment = "projects/_review_table.html"
    filterset = ReviewFilter
    sorts = [SortOption("assigned", _lazy("Assigned at"), ("assigned_at", "id"))]
    default_sort = "-assigned"
    columns = [
        Column(pgettext_lazy("project", "Title"), "project.title", width=36),
        Column(_lazy("Stage"), "get_stage_display", width=10),
        Column(_lazy("Host unit"), "project.org_unit.name", width=24),
        Column(_lazy("Deadline"), "due_on"),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(_lazy("Score"), lambda r: float(r.score) if r.score is not None else None),
    ]
    export_name = _lazy("Project reviews")

    def get_queryset(self):
        return queries.review_queue(self.user)

    def list_queryset(self, qs):
        return qs.select_related("project", "project__org_unit")


review_list = ReviewQueue.as_view()


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    r = get_visible_or_404(
        Review.objects.select_related("project", "project__org_unit", "expert"),
        request.user,
        pk=pk,
    )
    form = ReviewForm(
        request.POST or None,
        stage=r.stage,
        initial={"score": r.score, "opinion": r.opinion, "verdict": r.verdict, "grade": r.grade},
    )
    p = r.project
    return form_page(
        request,
        form,
        creating(services.submit_review, request.user, review=r),
        template="projects/review_form.html",
        context={
            "review": r,
            "project": p,
            "timeline": queries.timeline(p),
            "members": p.members.select_related("person", "unit"),
        },
        success=_("Your review was submitted."),
        redirect_to=reverse("projects:reviews"),
    )


# --- overview --------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    f = ProjectFilter(request.GET or None, queryset=Project.objects.none(), request=request)
    within = f.form.cleaned_data.get("within") if f.form.is_valid() else None
    data = queries.overview(request.user, within=within)
    if wants_export(request):
        rows = (
            [(str(_("Project level")), str(label), n) for label, n in data["levels"]]
            + [(str(_("Stage")), str(label), n) for label, n in data["stages"]]
            + [(str(_("Status")), str(label), n) for label, n in data["statuses"]]
        )
        return columns_response(
            [
                Column(_lazy("By"), lambda r: r[0]),
                Column(_lazy("Value"), lambda r: r[1]),
                Column(_lazy("Projects"), lambda r: r[2]),
            ],
            rows,
            filename="projects-overview.xlsx",
            sheet_title=str(_("Overview")),
        )
    return render(
        request,
        "projects/overview.html",
        {
            "filter": f,
            "data": data,
            "level_chart": charts.bar(
                [str(label) for label, _n in data["levels"]], [n for _l, n in data["levels"]]
            ),
            "stage_chart": charts.bar(
                [str(label) for label, _n in data["stages"]], [n for _l, n in data["stages"]]
            ),
            "status_chart": charts.pie(
                [{"name": str(label), "value": n} for label, n in data["statuses"]]
            ),
        },
    )
