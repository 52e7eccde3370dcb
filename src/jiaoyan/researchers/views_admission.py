"""Pages of admission (准入): the rounds (a bureau opens one with its requirements,
publishes and closes it), a round's page (its requirements; the application form for
the people of its region; the applications with their pre-check for its reviewers), the
applications list (a candidate's own), and an application's page (the pre-check against
the people records per requirement, the evidence, the reviewers' records and the
result)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import audit
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    Column,
    ListPage,
    edit_page,
    editing,
    file_download_view,
    form_page,
    post_action,
    post_form,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.core.uploads import upload

from . import admission, queries_admission, services_admission
from .filters import AdmissionApplicationFilter, AdmissionRoundFilter
from .forms_admission import (
    ApplyForm,
    DecideForm,
    EvidenceForm,
    ReviewForm,
    RoundForm,
    service_values,
)
from .models import AdmissionApplication, AdmissionEvidence, AdmissionRound

MAX_LISTED = 200


def _requirements_text(rnd: AdmissionRound) -> str:
    return "；".join(admission.describe(r) for r in rnd.requirements)


# --- rounds ---------------------------------------------------------------------------------


class RoundList(ListPage):
    """The admission rounds the viewer sees: their bureau's (keepers and researchers) and
    the published rounds of the bureaus above their unit (everyone who may apply)."""

    template = "researchers/admission/round_list.html"
    fragment = "researchers/admission/_round_table.html"
    filterset = AdmissionRoundFilter
    sorts = [SortOption("opens", _lazy("Applications from"), ("opens_on", "id"))]
    default_sort = "-opens"
    columns = [
        Column(pgettext_lazy("admission", "Title"), "title", width=30),
        Column(_lazy("Bureau"), "org_unit.name", width=20),
        Column(_lazy("Appointed to institute"), "institute.name", width=20),
        Column(_lazy("Places"), "places"),
        Column(_lazy("Applications from"), "opens_on"),
        Column(_lazy("Applications until"), "closes_on"),
        Column(_lazy("Requirements"), _requirements_text, width=50),
        Column(_lazy("Status"), "get_status_display"),
        Column(pgettext_lazy("admission", "Applications"), "applied"),
        Column(_lazy("Appointed"), "appointed"),
    ]
    export_name = _lazy("Admission rounds")

    def get_queryset(self):
        return queries_admission.rounds_for(self.user)

    def list_queryset(self, qs):
        return queries_admission.with_counts(qs)

    def get_context(self):
        return {"may_add": units_where(self.user, "add", AdmissionRound).exists()}


round_list = RoundList.as_view()


def _round(request: HttpRequest, pk: int) -> AdmissionRound:
    return get_visible_or_404(queries_admission.rounds_for(request.user), request.user, pk=pk)


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", AdmissionRound).exists():
        raise PermissionDenied(_("Only a bureau admin opens an admission round."))
    form = RoundForm(request.POST or None, user=request.user)
    del form.fields["version"]

    def perform(data):
        return services_admission.create_round(actor=request.user, **service_values(data))

    return form_page(
        request,
        form,
        perform,
        template="researchers/admission/round_form.html",
        success=_("The admission round was saved as a draft; publish it to take applications."),
    )


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    if not can(request.user, "change", rnd):
        raise PermissionDenied(_("You may not change this round."))
    fields = ("org_unit", "institute", "title", "subject", "stage", "employment", "places")
    form = RoundForm(
        request.POST or None,
        user=request.user,
        initial=editing(
            rnd,
            (*fields, "opens_on", "closes_on", "notes"),
            **RoundForm.initial_of(rnd),
        ),
    )
    form.fields["org_unit"].disabled = True

    def save(data, version):
        data.pop("org_unit", None)
        return services_admission.update_round(
            actor=request.user, round=rnd, data=service_values(data), expected_version=version
        )

    return edit_page(
        request,
        form,
        save,
        template="researchers/admission/round_form.html",
        context={"round": rnd},
        success=_("The admission round was saved."),
        redirect_to=rnd,
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rnd = _round(request, pk)
    may_change = can(user, "change", rnd)
    reviewer = can(user, "review", AdmissionApplication(round=rnd, org_unit=rnd.org_unit))
    applications = []
    if reviewer:
        applications = queries_admission.with_checks(
            queries_admission.applications_for(user)
            .filter(round=rnd)
            .exclude(status=AdmissionApplication.Status.WITHDRAWN)
            .order_by("-created_at", "-id")[:MAX_LISTED]
        )
    ctx = {
        "round": rnd,
        "requirements": [
            {
                "text": admission.describe(r),
                "from_records": r["kind"] in admission.FROM_RECORDS,
            }
            for r in rnd.requirements
        ],
        "may_change": may_change,
        "may_delete": can(user, "delete", rnd),
        "reviewer": reviewer,
        "applications": applications,
        "mine": queries_admission.own_application(user, rnd),
        "may_apply": queries_admission.may_apply(user, rnd),
        "history": audit.entries(rnd) if may_change else [],
        "today": timezone.localdate(),
    }
    return render(request, "researchers/admission/round_detail.html", ctx)


@login_required
@require_POST
def round_publish(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    return post_action(
        request,
        lambda: services_admission.publish_round(actor=request.user, round=rnd),
        success=_("The round is published: the people of the region may apply."),
        redirect_to=rnd,
    )


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    return post_action(
        request,
        lambda: services_admission.close_round(actor=request.user, round=rnd),
        success=_("Applications are closed."),
        redirect_to=rnd,
    )


@login_required
@require_POST
def round_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    return post_action(
        request,
        lambda: services_admission.delete_round(actor=request.user, round=rnd),
        success=_("The draft round was deleted."),
        redirect_to="researchers:admission_rounds",
        denied_as_message=True,
    )


def _may_apply(request, user, kwargs) -> None:
    rnd = get_visible_or_404(AdmissionRound, user, pk=kwargs.get("pk"))
    if not queries_admission.may_apply(user, rnd):
        raise PermissionDenied(_("You cannot apply to this round."))


@login_required
@upload("attachment", allowed=_may_apply)
def apply_view(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    mine = queries_admission.own_application(request.user, rnd)
    if mine is not None:
        from django.shortcuts import redirect

        return redirect(mine)
    form = ApplyForm(request.POST or None, request.FILES or None)

    def perform(data):
        return services_admission.apply(
            actor=request.user,
            round=rnd,
            statement=data["statement"],
            evidence=[data["evidence"]] if data.get("evidence") else [],
        )

    return form_page(
        request,
        form,
        perform,
        template="researchers/admission/apply_form.html",
        context={"round": rnd, "requirements": [admission.describe(r) for r in rnd.requirements]},
        success=_("Your application was submitted."),
    )


# --- applications ---------------------------------------------------------------------------


class ApplicationList(ListPage):
    """Admission applications the viewer sees: a candidate their own, the reviewers and
    keepers those of their bureau's rounds."""

    template = "researchers/admission/application_list.html"
    fragment = "researchers/admission/_application_table.html"
    filterset = AdmissionApplicationFilter
    sorts = [SortOption("applied", pgettext_lazy("admission", "Applied"), ("created_at", "id"))]
    default_sort = "-applied"
    columns = [
        Column(_lazy("Admission round"), "round.title", width=30),
        Column(_lazy("Staff number"), "person.staff_no"),
        Column(_lazy("Candidate"), "person.name", width=12),
        Column(_lazy("Employing unit"), "person.org_unit.name", width=24),
        Column(_lazy("Professional title"), "person.get_professional_title_display"),
        Column(_lazy("Teaching since"), "person.teaching_since"),
        Column(
            pgettext_lazy("admission", "Applied"), lambda a: timezone.localtime(a.created_at).date()
        ),
        Column(_lazy("Status"), "get_status_display"),
        Column(_lazy("Appointed from"), "start_date"),
        Column(_lazy("Reasons"), "reasons", width=30),
    ]
    export_name = _lazy("Admission applications")

    def get_queryset(self):
        return queries_admission.applications_for(self.user)


application_list = ApplicationList.as_view()


def _application(request: HttpRequest, pk: int) -> AdmissionApplication:
    return get_visible_or_404(queries_admission.applications_for(request.user), request.user, pk=pk)


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    app = _application(request, pk)
    (app,) = queries_admission.with_checks([app])
    undecided = app.status == AdmissionApplication.Status.SUBMITTED
    may_review = undecided and can(user, "review", app)
    may_decide = undecided and can(user, "decide", app)
    kinds = [r["kind"] for r in app.round.requirements if r["kind"] in admission.REVIEWED]
    ctx = {
        "application": app,
        "round": app.round,
        "checks": app.precheck,
        "evidence": list(queries_admission.evidence_for(user, app)[:50]),
        "reviews": [
            {"label": admission.kind_label(k), **app.reviews[k]} for k in kinds if k in app.reviews
        ],
        "own": app.person.user_id == user.pk,
        "may_attach": can(user, "attach", app),
        "may_withdraw": can(user, "withdraw", app),
        "may_review": may_review and bool(kinds),
        "may_decide": may_decide,
        "history": audit.entries(app) if can(user, "review", app) else [],
    }
    if ctx["may_attach"]:
        ctx["evidence_form"] = EvidenceForm()
    if ctx["may_review"]:
        ctx["review_form"] = ReviewForm(kinds=kinds)
    if may_decide:
        ctx["decide_form"] = DecideForm(initial={"start_date": timezone.localdate()})
    return render(request, "researchers/admission/application_detail.html", ctx)


@login_required
@require_POST
def application_review(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    kinds = [r["kind"] for r in app.round.requirements if r["kind"] in admission.REVIEWED]
    form = ReviewForm(request.POST, kinds=kinds)
    return post_form(
        request,
        form,
        lambda data: services_admission.record_review(actor=request.user, application=app, **data),
        success=_("The review was recorded."),
        redirect_to=app,
    )


@login_required
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    return post_form(
        request,
        DecideForm(request.POST),
        lambda data: services_admission.decide_application(
            actor=request.user, application=app, **data
        ),
        success=lambda a: (
            _("%(name)s was appointed a researcher.") % {"name": a.person.name}
            if a.status == AdmissionApplication.Status.APPOINTED
            else _("The result was recorded.")
        ),
        redirect_to=app,
    )


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    return post_action(
        request,
        lambda: services_admission.withdraw_application(actor=request.user, application=app),
        success=_("Your application was withdrawn."),
        redirect_to=app,
    )


def _may_attach(request, user, kwargs) -> None:
    app = get_visible_or_404(AdmissionApplication, user, pk=kwargs.get("pk"))
    if not can(user, "attach", app):
        raise PermissionDenied(
            _("Only the candidate adds evidence, while the application is open.")
        )


@login_required
@require_POST
@upload("attachment", allowed=_may_attach)
def evidence_new(request: HttpRequest, pk: int) -> HttpResponse:
    app = _application(request, pk)
    return post_form(
        request,
        EvidenceForm(request.POST, request.FILES),
        lambda data: services_admission.add_evidence(actor=request.user, application=app, **data),
        success=_("The file was added."),
        redirect_to=app,
    )


evidence_download = file_download_view(AdmissionEvidence, name="file_name")
