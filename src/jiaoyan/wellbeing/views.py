"""Pages of the screening module: campaigns (list, form, page with the suppressed
summary, roster of codes, opening, closing, scoring), the scales, the alerts and a
student's timeline (restricted: a reason first, every read audited), the counsellor's
paper entry, and the student's answering pages (no account; one item per screen)."""

from __future__ import annotations

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core import restricted
from jiaoyan.core.lists import SortOption
from jiaoyan.core.middleware import client_ip
from jiaoyan.core.pages import (
    FAILED,
    Column,
    ListPage,
    edit_page,
    editing,
    form_page,
    post_action,
    post_form,
    run_service,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where
from jiaoyan.orgs.models import OrgUnit

from . import queries, services
from .filters import AlertFilter, CampaignFilter
from .forms import (
    AnswerForm,
    CampaignForm,
    CodeForm,
    HandleAlertForm,
    OptOutForm,
    PaperForm,
    ScaleForm,
)
from .models import Alert, Campaign, Participation, Scale, Student

SESSION_KEY = "wellbeing_answering"


def _campaign(request, pk: int) -> Campaign:
    return get_visible_or_404(Campaign.objects.select_related("org_unit"), request.user, pk=pk)


def _reason(request: HttpRequest, template_ctx: dict):
    """The reason given (``?reason=``), or the page asking for it."""
    raw = request.GET.get("reason", "")
    reason, problem = restricted.reason_or_problem(raw)
    if reason is None:
        ctx = {
            **template_ctx,
            "reason": raw,
            "reason_error": problem if "reason" in request.GET else "",
        }
        return None, render(request, "wellbeing/reason.html", ctx)
    return reason, None


# --- campaigns -----------------------------------------------------------------------------


class CampaignList(ListPage):
    template = "wellbeing/campaign_list.html"
    filterset = CampaignFilter
    fragment = "wellbeing/_campaign_table.html"
    sorts = [SortOption("starts", _lazy("Opens at"), ("starts_at", "id"))]
    default_sort = "-starts"
    columns = [
        Column(_lazy("Name"), "name", width=30),
        Column(_lazy("Run by"), "org_unit.name", width=24),
        Column(_lazy("Scales"), lambda c: "、".join(c.scales), width=16),
        Column(_lazy("Opens at"), "starts_at"),
        Column(_lazy("Closes at"), "ends_at"),
        Column(_lazy("Status"), "get_status_display", width=10),
    ]
    export_name = _lazy("Screening campaigns")

    def get_queryset(self):
        return queries.campaigns_for(self.user)

    def get_context(self):
        return {
            "may_add": units_where(self.user, "add", Campaign).exists(),
            "open_alerts": queries.open_alerts_count(self.user),
            "may_follow_up": self.user.is_superuser
            or bool(restricted.permitted_paths(self.user, restricted.WELLBEING)),
        }


campaigns = login_required(CampaignList.as_view())


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", Campaign).exists():
        raise PermissionDenied(_("You may not run a screening campaign."))
    form = CampaignForm(request.POST or None, user=request.user)

    def perform(data):
        return services.create_campaign(actor=request.user, **data)

    return form_page(
        request,
        form,
        perform,
        template="wellbeing/campaign_form.html",
        success=_("The campaign was created. Open it when the rosters are imported."),
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    summary = queries.campaign_summary(request.user, campaign)
    first = services.scale_by_code(campaign.scales[0]) if campaign.scales else None
    bands = {b.key: b.label for b in first.bands} if first else {}
    ctx = {
        "campaign": campaign,
        "summary": summary,
        "level_labels": [bands.get(k, k) for k, _n in summary[0]["levels"]] if summary else [],
        "may_change": can(request.user, "change", campaign),
        "answer_url": request.build_absolute_uri(reverse("wellbeing:answer")),
    }
    return render(request, "wellbeing/campaign_detail.html", ctx)


@login_required
@require_POST
def campaign_open(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return post_action(
        request,
        lambda: services.open_campaign(actor=request.user, campaign=campaign),
        success=lambda n: _("The campaign is open: %(n)d students added.") % {"n": n},
        redirect_to=campaign,
    )


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return post_action(
        request,
        lambda: services.close_campaign(actor=request.user, campaign=campaign),
        success=_("The campaign is closed."),
        redirect_to=campaign,
    )


@login_required
@require_POST
def campaign_score(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return post_action(
        request,
        lambda: services.start_scoring(actor=request.user, campaign=campaign),
        success=_("Scoring started in the background."),
        redirect_to=lambda job: reverse("core:job_progress", args=[job.pk]),
    )


@login_required
def campaign_roster(request: HttpRequest, pk: int, school_id: int) -> HttpResponse:
    """The one-time codes of a school's students (restricted, a reason first)."""
    campaign = _campaign(request, pk)
    school = get_visible_or_404(OrgUnit.objects.all(), request.user, pk=school_id)
    if not campaign.schools.filter(pk=school.pk).exists():
        raise Http404
    restricted.require_permission(request.user, restricted.WELLBEING, school)
    reason, page = _reason(request, {"title": f"{campaign.name} · {school.name}"})
    if page is not None:
        return page
    rows = queries.read_roster(request.user, campaign, school, reason)
    ctx = {"campaign": campaign, "school": school, "rows": rows, "reason": reason}
    return render(request, "wellbeing/roster.html", ctx)


# --- participations (counsellor) ---------------------------------------------------------------


def _participation(request, pk: int) -> Participation:
    return get_visible_or_404(
        Participation.objects.select_related("campaign", "student", "school"), request.user, pk=pk
    )


@login_required
def paper_entry(request: HttpRequest, pk: int) -> HttpResponse:
    p = _participation(request, pk)
    if not can(request.user, "change", p):
        raise PermissionDenied(_("You may not enter answers here."))
    scales = [services.scale_by_code(c) for c in p.campaign.scales]
    form = PaperForm(request.POST or None, scales=scales)

    def perform(data):
        return services.enter_paper_answers(
            actor=request.user, participation=p, answers=form.answers()
        )

    return form_page(
        request,
        form,
        perform,
        template="wellbeing/paper_form.html",
        context={"participation": p},
        success=_("The paper answers were saved and scored."),
        redirect_to=reverse("wellbeing:student", args=[p.student_id]),
    )


@login_required
@require_POST
def opt_out(request: HttpRequest, pk: int) -> HttpResponse:
    p = _participation(request, pk)
    return post_form(
        request,
        OptOutForm(request.POST),
        lambda data: services.record_opt_out(actor=request.user, participation=p, **data),
        success=_("The opt-out is recorded."),
        redirect_to=reverse("wellbeing:student", args=[p.student_id]),
    )


@login_required
@require_POST
def retest(request: HttpRequest, pk: int) -> HttpResponse:
    p = _participation(request, pk)
    return post_action(
        request,
        lambda: services.offer_retest(actor=request.user, participation=p),
        success=lambda new: _("A re-test was offered: code %(code)s.") % {"code": new.code},
        redirect_to=reverse("wellbeing:student", args=[p.student_id]),
    )


@login_required
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A student's timeline (一生一策 archive): restricted, a reason first, audited."""
    student = get_visible_or_404(Student.objects.select_related("school"), request.user, pk=pk)
    reason, page = _reason(request, {"title": student.key})
    if page is not None:
        return page
    timeline = queries.read_student(request.user, student, reason)
    for p in timeline:
        p.scored = [
            (code, p.results.get(code)) for code in p.campaign.scales if p.results.get(code)
        ]
    ctx = {
        "student": student,
        "timeline": timeline,
        "alerts": student.alerts.order_by("-created_at"),
        "reason": reason,
    }
    return render(request, "wellbeing/student.html", ctx)


# --- alerts ---------------------------------------------------------------------------


class AlertList(ListPage):
    template = "wellbeing/alert_list.html"
    filterset = AlertFilter
    fragment = "wellbeing/_alert_table.html"
    sorts = [SortOption("raised", pgettext_lazy("time", "Raised"), ("created_at", "id"))]
    default_sort = "-raised"
    columns = [
        Column(_lazy("Student key"), "student.key", width=14),
        Column(_lazy("School"), "school.name", width=24),
        Column(_lazy("Reason"), "get_reason_display", width=16),
        Column(_lazy("Scale"), "scale", width=8),
        Column(_lazy("Status"), "get_status_display", width=10),
        Column(pgettext_lazy("time", "Raised"), "created_at"),
    ]
    export_name = _lazy("Screening alerts")

    def get_queryset(self):
        return queries.alerts_for(self.user)

    def export_queryset(self, qs):
        """Every school whose alerts leave in the file gets an audited export row."""
        rows = self.list_queryset(qs)
        for school in OrgUnit.objects.filter(pk__in=rows.order_by().values("school_id")):
            restricted.record_read(
                self.user,
                restricted.WELLBEING,
                school,
                _("export of the alert list"),
                rows=rows.filter(school=school).count(),
                export=True,
            )
        return rows


def _alerts_allowed(view):
    def wrapped(request, *args, **kwargs):
        queries.require_permission_somewhere(request.user)
        return view(request, *args, **kwargs)

    return wrapped


alerts = login_required(_alerts_allowed(AlertList.as_view()))


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(
        Alert.objects.select_related("student", "school", "participation__campaign", "handled_by"),
        request.user,
        pk=pk,
    )
    reason = ""
    if request.method == "GET":
        reason, page = _reason(request, {"title": alert.student.key})
        if page is not None:
            return page
        queries.read_alert(request.user, alert, reason)
    form = HandleAlertForm(request.POST or None, initial=editing(alert, (), note=""))

    def save(data, version):
        return services.handle_alert(
            actor=request.user, alert=alert, note=data["note"], expected_version=version
        )

    ctx = {"alert": alert, "may_handle": alert.status == Alert.Status.OPEN, "reason": reason}
    return edit_page(
        request,
        form,
        save,
        template="wellbeing/alert.html",
        context=ctx,
        success=_("The alert is marked handled."),
        redirect_to=reverse("wellbeing:alerts"),
    )


# --- scales ---------------------------------------------------------------------------


@login_required
def scale_list(request: HttpRequest) -> HttpResponse:
    ctx = {
        "scales": queries.scales_for(request.user),
        "may_add": units_where(request.user, "add", Scale).exists(),
    }
    return render(request, "wellbeing/scales.html", ctx)


@login_required
def scale_create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", Scale).exists():
        raise PermissionDenied(_("Only a bureau may define scales."))
    form = ScaleForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.create_scale(actor=request.user, **data),
        template="wellbeing/scale_form.html",
        success=_("The scale was saved."),
        redirect_to=reverse("wellbeing:scales"),
    )


# --- answering (students, no account) ---------------------------------------------


def answer_start(request: HttpRequest) -> HttpResponse:
    """Enter the one-time code (or the class code and the student number).

    Every attempt counts against the address's per-minute limit
    (``WELLBEING_CODE_ATTEMPTS_PER_MINUTE``, generous: a classroom shares one address), so
    that codes cannot be guessed by trying many."""
    if request.method == "POST" and not services.may_try_code(client_ip(request)):
        message = _("Too many attempts from your address; try again in a minute.")
        return render(
            request,
            "wellbeing/answer_closed.html",
            {"message": message, "limited": True},
            status=429,
        )
    form = CodeForm(request.POST or None)

    def perform(data):
        p = services.find_for_answering(**data)
        request.session[SESSION_KEY] = p.pk
        return p

    return form_page(
        request,
        form,
        perform,
        template="wellbeing/answer_start.html",
        redirect_to=reverse("wellbeing:answer_item"),
    )


def _answering(request: HttpRequest):
    pk = request.session.get(SESSION_KEY)
    p = (
        Participation.objects.select_related("campaign").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    return p


def _closed(request: HttpRequest) -> HttpResponse:
    message = _("This screening is not open now.")
    return render(request, "wellbeing/answer_closed.html", {"message": message}, status=403)


def answer_item(request: HttpRequest) -> HttpResponse:
    """One item per screen; each answer is saved at once (resumable)."""
    p = _answering(request)
    if p is None:
        return redirect("wellbeing:answer")
    state = services.answer_state(p)
    if state == "closed":
        return _closed(request)
    if state == "done":
        return redirect("wellbeing:answer_done")
    steps = services.steps(p.campaign)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":

        def perform(data):
            if data["hand_in"]:
                return services.hand_in(participation_id=p.pk)
            return services.save_answer(
                participation_id=p.pk, step=data["step"], value=data["answer"]
            )

        if run_service(form, perform) is not FAILED:
            if form.cleaned_data["hand_in"]:
                return redirect("wellbeing:answer_done")
            return redirect(reverse("wellbeing:answer_item"))
        p.refresh_from_db()
    step = None
    if "step" in request.GET:
        with contextlib.suppress(ValueError):
            step = int(request.GET["step"])
    shown = services.screen(p, step)
    error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    ctx = {"campaign": p.campaign, "total": len(steps), "error": error}
    if shown is None:
        return render(request, "wellbeing/answer_review.html", {**ctx, "done": len(steps)})
    n = shown.step
    ctx.update(
        {
            "step": n,
            "number": n + 1,
            "percent": int(100 * n / len(steps)),
            "scale": shown.scale,
            "item_text": shown.item_text,
            "options": list(enumerate(shown.scale.options)),
            "current": shown.current,
        }
    )
    return render(request, "wellbeing/answer_item.html", ctx)


def answer_done(request: HttpRequest) -> HttpResponse:
    """A neutral thank-you and the bureau's help-line text; never a score."""
    p = _answering(request)
    help_text = p.campaign.help_text if p is not None else ""
    return render(request, "wellbeing/answer_done.html", {"help_text": help_text})
