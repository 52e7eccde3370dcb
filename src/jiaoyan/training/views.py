"""Training pages: the programme list and form pages, the programme page (sessions,
quotas, assignments, the participant's own block), the roster, nominations per school,
"my trainings", check-in on a phone and the projector's code, assignments (submit,
grade), attendance import and the programme report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.activities import codes
from jiaoyan.core import audit, charts
from jiaoyan.core.imports import start_import
from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import (
    FAILED,
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
    run_service,
    wants_export,
)
from jiaoyan.core.scope import can, get_visible_or_404, has_role, units_where
from jiaoyan.core.uploads import may_import, upload
from jiaoyan.hours import queries as hours_queries

from . import queries, services
from .filters import EnrolmentFilter, ProgrammeFilter
from .forms import (
    AdjustForm,
    AssignmentForm,
    CheckinForm,
    FeedbackForm,
    GradeForm,
    InviteForm,
    PersonForm,
    ProgrammeEditForm,
    ProgrammeForm,
    QuotaForm,
    SessionForm,
    SubmitForm,
    TestScoresForm,
    UploadForm,
)
from .models import NOMINATORS, Assignment, Enrolment, Programme, Quota, Session, Submission
from .sheets import SessionAttendanceSheet

DENIED = _lazy("You do not have permission to do this here.")


def _programme(request: HttpRequest, pk: int) -> Programme:
    return get_visible_or_404(
        Programme.objects.select_related("org_unit", "category"), request.user, pk=pk
    )


def _require_change(request, programme: Programme) -> None:
    if not can(request.user, "change", programme):
        raise PermissionDenied(DENIED)


# --- lists -----------------------------------------------------------------------------------


class ProgrammeList(ListPage):
    """The programmes the viewer sees: their units' own and, no longer drafts, those of
    the units above them."""

    template = "training/programme_list.html"
    fragment = "training/_programme_table.html"
    filterset = ProgrammeFilter
    sorts = [
        SortOption("created", pgettext_lazy("time", "Created"), ("created_at", "id")),
        SortOption("starts", _lazy("Starts on"), ("starts_on", "id")),
    ]
    default_sort = "-created"
    columns = [
        Column(pgettext_lazy("programme", "Title"), "title", width=30),
        Column(_lazy("Organiser"), "org_unit.name", width=24),
        Column(_lazy("Cohorts"), "get_cohorts_display", width=16),
        Column(_lazy("Tier"), "get_tier_display", width=12),
        Column(_lazy("Level"), "get_level_display", width=8),
        Column(_lazy("Format"), "get_format_display", width=8),
        Column(_lazy("Enrolment"), "get_mode_display", width=12),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(_lazy("Starts on"), "starts_on"),
        Column(_lazy("Hours"), lambda p: float(p.total_hours)),
        Column(_lazy("Enrolled"), "enrolled_count"),
        Column(_lazy("Capacity"), "capacity"),
        Column(_lazy("Completed"), "completed_count"),
    ]
    export_name = _lazy("Training programmes")

    def get_queryset(self):
        return queries.programmes_for(self.user)

    def list_queryset(self, qs):
        return qs.select_related("org_unit")

    def get_context(self):
        return {"may_add": units_where(self.user, "add", Programme).exists()}


programme_list = ProgrammeList.as_view()


class MyTrainings(ListPage):
    """The viewer's own enrolments: status, outcome, the conditions missed and hours."""

    template = "training/mine.html"
    fragment = "training/_mine_table.html"
    sorts = [SortOption("enrolled", _lazy("Enrolled at"), ("enrolled_at", "id"))]
    default_sort = "-enrolled"
    columns = [
        Column(_lazy("Programme"), "programme.title", width=30),
        Column(_lazy("Organiser"), "programme.org_unit.name", width=24),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(_lazy("Outcome"), "get_outcome_display", width=10),
        Column(_lazy("Sessions attended"), "attended_sessions"),
        Column(_lazy("Hours credited"), lambda e: float(e.hours_credited)),
        Column(_lazy("Conditions missed"), lambda e: "；".join(queries.missed_lines(e)), width=40),
    ]
    export_name = _lazy("My trainings")

    def get_queryset(self):
        person = getattr(self.user, "person", None)
        qs = Enrolment.objects.visible_to(self.user)
        return qs.filter(person=person) if person is not None else qs.none()

    def list_queryset(self, qs):
        return qs.select_related("programme", "programme__org_unit")


mine = MyTrainings.as_view()


class Roster(ListPage):
    """A programme's participants (花名册): status, how they came, attendance, outcome."""

    template = "training/roster.html"
    fragment = "training/_roster_table.html"
    filterset = EnrolmentFilter
    sorts = [SortOption("id", _lazy("Enrolled"), ("id",))]
    default_sort = "id"
    columns = [
        Column(_lazy("Staff number"), "person.staff_no", width=12),
        Column(pgettext_lazy("person", "Name"), "person.name", width=10),
        Column(_lazy("Unit"), "school.name", width=24),
        Column(_lazy("Cohort"), "get_cohort_display", width=10),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(_lazy("How"), "get_via_display", width=12),
        Column(_lazy("Sessions attended"), "attended_sessions"),
        Column(_lazy("Test score"), lambda e: float(e.test_score) if e.test_score else ""),
        Column(_lazy("Outcome"), "get_outcome_display", width=10),
        Column(_lazy("Hours credited"), lambda e: float(e.hours_credited)),
        Column(_lazy("Conditions missed"), lambda e: "；".join(queries.missed_lines(e)), width=40),
    ]
    export_name = _lazy("Roster")

    def get_queryset(self):
        self.programme = _programme(self.request, self.kwargs["pk"])
        # The organiser sees everybody; a school (its principal, a bureau admin above it)
        # its own people; a participant has "my trainings" instead.
        if not can(self.user, "change", self.programme) and not has_role(self.user, *NOMINATORS):
            raise PermissionDenied(DENIED)
        return Enrolment.objects.visible_to(self.user).filter(programme=self.programme)

    def list_queryset(self, qs):
        return qs.select_related("person", "school")

    def get_context(self):
        # Correcting hours is an admin of the organiser's ("adjust" on an enrolment), and
        # an enrolment's scope is its programme's: one answer for every row of the page.
        may_adjust = can(self.user, "adjust", Enrolment(programme=self.programme))
        return {
            "programme": self.programme,
            "may_change": can(self.user, "change", self.programme),
            "may_adjust": may_adjust,
            "adjust_form": AdjustForm(),
        }


roster = Roster.as_view()


# --- programme -------------------------------------------------------------------------------


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    p = _programme(request, pk)
    may_change = can(user, "change", p)
    mine = queries.my_enrolment(user, p)
    sessions = list(p.sessions.order_by("starts_at", "id"))
    assignments = list(p.assignments.order_by("deadline", "id"))
    quotas = list(Quota.objects.visible_to(user).filter(programme=p).select_related("school"))
    attendance = queries.my_attendance(user, p)
    submissions = queries.my_submissions(user, p)
    for s in sessions:
        s.my_att = attendance.get(s.pk)
    for a in assignments:
        a.my_sub = submissions.get(a.pk)
    ctx = {
        "programme": p,
        "sessions": sessions,
        "assignments": assignments,
        "quotas": quotas,
        "may_change": may_change,
        "mine": mine,
        "missed": queries.missed_lines(mine),
        "may_nominate": p.mode == Programme.Mode.NOMINATION and bool(quotas) and not may_change,
        "session_form": SessionForm(),
        "quota_form": QuotaForm(),
        "invite_form": InviteForm(),
        "assignment_form": AssignmentForm(),
        "scores_form": TestScoresForm(),
        "feedback_form": FeedbackForm(sessions=sessions),
        "history": audit.entries(p) if may_change else [],
        "certificate": hours_queries.certificate_of(user, p) if mine else None,
        "certificates_url": (
            hours_queries.source_certificates_url(p)
            if may_change and p.status == Programme.Status.CLOSED
            else ""
        ),
    }
    return render(request, "training/programme_detail.html", ctx)


def _may_create(user) -> None:
    if not units_where(user, "add", Programme).exists():
        raise PermissionDenied(DENIED)


@login_required
def programme_create(request: HttpRequest) -> HttpResponse:
    _may_create(request.user)
    form = ProgrammeForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        creating(services.create_programme, request.user),
        template="training/programme_form.html",
        success=_("The programme was created. Add its sessions, then open it."),
    )


@login_required
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    p = _programme(request, pk)
    _require_change(request, p)
    initial = editing(p, services.EDITABLE, cohorts=p.cohort_list, category=p.category_id)
    form = ProgrammeEditForm(request.POST or None, initial=initial, programme=p)
    return edit_page(
        request,
        form,
        lambda d, version: services.update_programme(
            actor=request.user, programme=p, expected_version=version, **d
        ),
        template="training/programme_form.html",
        context={"programme": p},
        success=_("The programme was saved."),
        redirect_to=p,
    )


@login_required
@require_POST
def programme_status(request: HttpRequest, pk: int) -> HttpResponse:
    p = _programme(request, pk)
    action = request.POST.get("action", "")
    if action == "close":
        perform = lambda: services.close_programme(actor=request.user, programme=p)  # noqa: E731
        done = _("The programme is closed; completion is final.")
    elif action == "compute":
        perform = lambda: services.compute_completion(actor=request.user, programme=p)  # noqa: E731
        done = _("Completion computed.")
    else:
        perform = lambda: services.set_status(  # noqa: E731
            actor=request.user, programme=p, status=action
        )
        done = _("The status was changed.")
    return post_action(request, perform, success=done, redirect_to=p)


def _small_form(form_class, service, done, **fixed):
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        p = _programme(request, pk)
        return post_form(
            request,
            form_class(request.POST),
            creating(service, request.user, programme=p, **fixed),
            success=done,
            redirect_to=p,
        )

    return view


session_add = _small_form(SessionForm, services.add_session, _lazy("The session was added."))
quota_set = _small_form(QuotaForm, services.set_quota, _lazy("The quota was saved."))
invite = _small_form(
    InviteForm, services.invite, lambda rows: _("%(n)d people enrolled.") % {"n": len(rows)}
)
assignment_add = _small_form(
    AssignmentForm, services.add_assignment, _lazy("The assignment was added.")
)
test_scores = _small_form(
    TestScoresForm,
    services.set_test_scores,
    lambda n: _("%(n)d test scores recorded.") % {"n": n},
)


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    p = _programme(request, pk)
    return post_form(
        request,
        FeedbackForm(request.POST, sessions=p.sessions.all()),
        creating(services.give_feedback, request.user, programme=p),
        success=_("Thank you for your feedback."),
        redirect_to=p,
    )


@login_required
@require_POST
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    p = _programme(request, pk)

    def done(e):
        if e.status == Enrolment.Status.WAITLISTED:
            return _("The programme is full: you are on the waitlist.")
        return _("You are enrolled.")

    return post_action(
        request,
        lambda: services.enrol(actor=request.user, programme=p),
        success=done,
        redirect_to=p,
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    p = _programme(request, pk)
    return post_action(
        request,
        lambda: services.withdraw_mine(actor=request.user, programme=p),
        success=_("You withdrew from the programme."),
        redirect_to=p,
    )


@login_required
@require_POST
def enrolment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    e = get_visible_or_404(Enrolment.objects.select_related("programme"), request.user, pk=pk)
    back = reverse("training:roster", args=[e.programme_id])
    return post_action(
        request,
        lambda: services.withdraw(actor=request.user, enrolment=e),
        success=_("The enrolment was withdrawn."),
        redirect_to=back,
    )


@login_required
@require_POST
def enrolment_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    e = get_visible_or_404(Enrolment.objects.select_related("programme"), request.user, pk=pk)
    return post_form(
        request,
        AdjustForm(request.POST),
        creating(services.adjust_hours, request.user, enrolment=e),
        success=_("The hours were corrected."),
        redirect_to=reverse("training:roster", args=[e.programme_id]),
    )


# --- nominations -----------------------------------------------------------------------------


@login_required
def nominations(request: HttpRequest, pk: int) -> HttpResponse:
    """A school's page of a nomination programme: its quota, who it nominated, the form."""
    p = _programme(request, pk)
    quotas = list(
        Quota.objects.visible_to(request.user).filter(programme=p).select_related("school")
    )
    school_ids = [q.school_id for q in quotas]
    rows = list(
        Enrolment.objects.visible_to(request.user)
        .filter(programme=p, school_id__in=school_ids, via=Enrolment.Via.NOMINATION)
        .select_related("person", "school")
        .order_by("school_id", "id")[:500]
    )
    return form_page(
        request,
        PersonForm(request.POST or None),
        lambda d: services.nominate(actor=request.user, programme=p, person=d["person"]),
        template="training/nominations.html",
        context={"programme": p, "quotas": quotas, "rows": rows},
        redirect_to=reverse("training:nominations", args=[p.pk]),
    )


# --- check-in --------------------------------------------------------------------------------


def _session(request, pk: int) -> Session:
    return get_visible_or_404(
        Session.objects.select_related("programme", "programme__org_unit"), request.user, pk=pk
    )


def _checkin_url(request, session: Session, code: str) -> str:
    path = reverse("training:checkin", args=[session.pk])
    return request.build_absolute_uri(f"{path}?code={code}")


@login_required
def projector(request: HttpRequest, pk: int) -> HttpResponse:
    """The session's screen: the current code, its QR code, how many checked in."""
    import segno

    session = _session(request, pk)
    _require_change(request, session.programme)
    code, expires = codes.current_code(session)
    qr = segno.make(_checkin_url(request, session, code), error="m")
    session.refresh_from_db(fields=["present_count"])
    ctx = {
        "session": session,
        "programme": session.programme,
        "code": code,
        "expires": expires,
        "seconds": max(1, int((expires - timezone.now()).total_seconds())),
        "qr": qr.svg_data_uri(scale=8, border=2),
        "checked_in": session.present_count,
    }
    template = "training/_projector_code.html" if request.htmx else "training/projector.html"
    return render(request, template, ctx)


@login_required
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """Phone page: check in from the QR code (code in the link) or by typing the code."""
    session = _session(request, pk)
    form = CheckinForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    result = None
    person = getattr(request.user, "person", None)
    mine = None
    if person is not None:
        mine = session.attendance.filter(person=person).first()
    if request.method == "POST":
        method = "qr" if request.POST.get("via") == "qr" else "code"
        done = run_service(
            form,
            lambda d: services.check_in(
                actor=request.user, session=session, code=d["code"], method=method
            ),
        )
        if done is not FAILED:
            att, new = done
            result = {"att": att, "new": new}
            mine = att
    return render(
        request,
        "training/checkin.html",
        {
            "session": session,
            "programme": session.programme,
            "form": form,
            "result": result,
            "mine": mine if mine is not None and mine.attended else None,
            "from_qr": bool(request.GET.get("code")),
        },
    )


# --- attendance of a session (organiser) --------------------------------------------------------


@login_required
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    _require_change(request, session.programme)
    if wants_export(request):
        from jiaoyan.core.lists import xlsx_response
        from jiaoyan.core.sheets import export_xlsx

        sheet = SessionAttendanceSheet(actor=request.user, params={"session": session.pk})
        content = export_xlsx(sheet, sheet.export_queryset())
        return xlsx_response(content, f"{sheet.sheet_title}-{session.pk}")
    rows = list(session.attendance.select_related("person", "person__org_unit")[:500])
    return render(
        request,
        "training/session_attendance.html",
        {
            "session": session,
            "programme": session.programme,
            "rows": rows,
            "upload_form": UploadForm(),
        },
    )


def may_upload_attendance(request, user, kwargs) -> None:
    """The upload guard (core.uploads) of a session's attendance sheet."""
    pk = kwargs.get("pk", kwargs.get("session_id"))
    get_visible_or_404(Session, user, pk=pk)
    may_import(user, SessionAttendanceSheet.kind, {"session": pk})


@login_required
@require_POST
@upload("sheet", allowed=may_upload_attendance)
def attendance_upload(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = UploadForm(request.POST, request.FILES)
    back = reverse("training:session_attendance", args=[session.pk])
    if not form.is_valid():
        from django.contrib import messages

        messages.error(request, _("Choose a file to upload."))
        return redirect(back)
    upload_file = form.cleaned_data["file"]
    return post_action(
        request,
        lambda: start_import(
            actor=request.user,
            kind=SessionAttendanceSheet.kind,
            filename=upload_file.name,
            data=upload_file.read(),
            valid_only=form.cleaned_data["valid_only"],
            params={"session": session.pk},
        ),
        redirect_to=lambda job: job if job is not None else back,
    )


# --- assignments -----------------------------------------------------------------------------


def _assignment(request, pk: int) -> Assignment:
    return get_visible_or_404(
        Assignment.objects.select_related("programme", "programme__org_unit"),
        request.user,
        pk=pk,
    )


def _may_submit(request, user, kwargs) -> None:
    a = get_visible_or_404(Assignment, user, pk=kwargs["pk"])
    person = getattr(user, "person", None)
    if (
        person is None
        or not Enrolment.objects.filter(
            programme_id=a.programme_id, person=person, status=Enrolment.Status.ENROLLED
        ).exists()
    ):
        raise PermissionDenied(DENIED)


@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(request, pk)
    may_grade = can(request.user, "change", a.programme)
    person = getattr(request.user, "person", None)
    mine = a.submissions.filter(person=person).first() if person is not None else None
    rows = []
    if may_grade:
        rows = list(
            Submission.objects.visible_to(request.user)
            .filter(assignment=a)
            .select_related("person", "person__org_unit")
            .order_by("status", "id")[:500]
        )
    return render(
        request,
        "training/assignment.html",
        {
            "assignment": a,
            "programme": a.programme,
            "mine": mine,
            "may_grade": may_grade,
            "rows": rows,
            "submit_form": SubmitForm(),
            "grade_form": GradeForm(),
            "open": timezone.now() <= a.deadline,
        },
    )


@login_required
@require_POST
@upload("attachment", allowed=_may_submit)
def assignment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    a = _assignment(request, pk)
    return post_form(
        request,
        SubmitForm(request.POST, request.FILES),
        creating(services.submit, request.user, assignment=a),
        success=_("Your work was handed in."),
        redirect_to=reverse("training:assignment", args=[a.pk]),
    )


@login_required
@require_POST
def submission_grade(request: HttpRequest, pk: int) -> HttpResponse:
    s = get_visible_or_404(Submission.objects.select_related("assignment"), request.user, pk=pk)
    return post_form(
        request,
        GradeForm(request.POST),
        creating(services.grade, request.user, submission=s),
        success=_("Saved."),
        redirect_to=reverse("training:assignment", args=[s.assignment_id]),
    )


submission_file = file_download_view(Submission, name="file_name")


# --- report ----------------------------------------------------------------------------------


@login_required
def programme_report(request: HttpRequest, pk: int) -> HttpResponse:
    p = _programme(request, pk)
    _require_change(request, p)
    r = queries.report(p)
    if wants_export(request):
        cols = [
            Column(pgettext_lazy("session", "Title"), lambda row: row["session"].title, width=24),
            Column(_lazy("Starts at"), lambda row: timezone.localtime(row["session"].starts_at)),
            Column(_lazy("Hours"), lambda row: float(row["session"].hours)),
            Column(_lazy("Present"), lambda row: row["present"]),
            Column(_lazy("Late"), lambda row: row["late"]),
            Column(_lazy("Absent"), lambda row: row["absent"]),
            Column(_lazy("Attendance rate (%)"), lambda row: row["rate"]),
        ]
        name = f"{p.title}-{_('Attendance per session')}"
        return columns_response(cols, r["per_session"], filename=name, sheet_title=name[:30])
    ctx = {
        "programme": p,
        "r": r,
        "attendance_chart": charts.bar(
            [row["session"].title for row in r["per_session"]],
            [row["present"] + row["late"] for row in r["per_session"]],
            name=str(_("Attended")),
        ),
        "cohort_chart": charts.pie(r["by_cohort"]),
        "location_chart": charts.pie(r["by_location"]),
        "district_chart": charts.bar(
            [d["label"] for d in r["by_district"]],
            [d["value"] for d in r["by_district"]],
            horizontal=True,
        ),
        "rating_chart": charts.bar(
            [d["label"] for d in r["ratings"]], [d["value"] for d in r["ratings"]]
        ),
    }
    return render(request, "training/report.html", ctx)
