"""The observation's page and what is done from it: link to an activity, submit,
delete a draft, reply."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiaoyan.activities.queries import visible_activities
from jiaoyan.core import audit
from jiaoyan.core.pages import attempt, post_action, refusal_text
from jiaoyan.core.scope import can, get_visible_or_404

from .. import charts, hooks, queries, services, st
from ..forms import ReplyForm
from ..models import Observation
from .common import get_observation, score_rows


def _st_context(obs: Observation) -> dict:
    result = st.analyse(obs.st_sequence, obs.st_interval) if obs.st_sequence else None
    if result is None:
        return {"st": None}
    return {
        "st": result,
        "st_curve": charts.st_curve(result.curve),
        "st_mode_chart": charts.rt_ch(float(result.rt), float(result.ch)),
    }


def _activity_context(user, obs: Observation) -> dict:
    """The research activity on the observation's page: a link when the viewer sees the
    activity (its title as recorded otherwise), and, for who may link the observation,
    the activities it may be linked to."""
    ctx: dict = {
        "activity_visible": obs.activity_id is not None
        and visible_activities(user).filter(pk=obs.activity_id).exists(),
        "can_link": False,
    }
    fixed = obs.round is not None and obs.round.activity_id is not None
    if not fixed and can(user, "link", obs):
        ctx["can_link"] = True
        ctx["link_choices"] = [
            a
            for a in queries.activities_for_observing(user, obs.org_unit, on=obs.date)
            if a.pk != obs.activity_id
        ]
    return ctx


@login_required
@require_POST
def observation_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the observation to an activity the user sees (or unlink it: no activity)."""
    obs = get_observation(request, pk)
    if request.POST.get("activity"):
        activity = get_visible_or_404(
            visible_activities(request.user), request.user, pk=request.POST["activity"]
        )
        return post_action(
            request,
            lambda: services.attach_to_activity(
                actor=request.user, observation=obs, activity=activity
            ),
            success=_("Linked to the activity."),
            redirect_to=obs,
            denied_as_message=True,
        )
    return post_action(
        request,
        lambda: services.detach_from_activity(actor=request.user, observation=obs),
        success=_("No longer linked to the activity."),
        redirect_to=obs,
        denied_as_message=True,
    )


@login_required
def observation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obs = get_observation(request, pk)
    dims = services.version_dimensions(obs.rubric_version)
    scores = services.current_scores(obs)
    results = obs.dimension_results or []
    complete = [r for r in results if r.get("percent") is not None]
    ctx = {
        "obs": obs,
        "score_rows": score_rows(dims, scores),
        "results": results,
        "radar": charts.radar(
            [r["name"] for r in complete], [(obs.teacher.name, [r["percent"] for r in complete])]
        )
        if complete
        else None,
        "replies": list(obs.replies.all()),
        "can_edit": can(user, "change", obs),
        "can_reply": can(user, "reply", obs),
        "can_correct": can(user, "correct", obs),
        "reply_form": ReplyForm(),
        "history": audit.entries(obs),
        "is_teacher": obs.teacher.user_id == user.pk,
        "panels": hooks.detail_panels(request, obs),
    }
    ctx.update(_activity_context(user, obs))
    ctx.update(_st_context(obs))
    return render(request, "observations/observation_detail.html", ctx)


@login_required
@require_POST
def observation_submit(request: HttpRequest, pk: int) -> HttpResponse:
    obs = get_observation(request, pk)
    _done, refused = attempt(
        lambda: services.submit_observation(actor=request.user, observation=obs), denied=True
    )
    if refused is None:
        messages.success(request, _("Submitted. The teacher can now read it."))
        return redirect(obs)
    messages.error(request, refusal_text(refused))
    if isinstance(refused, PermissionDenied):
        return redirect(obs)
    return redirect("observations:observation_edit", pk=obs.pk)  # what to complete


@login_required
@require_POST
def observation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    obs = get_observation(request, pk)
    _done, refused = attempt(
        lambda: services.delete_draft(actor=request.user, observation=obs), denied=True
    )
    if refused is not None:
        messages.error(request, refusal_text(refused))
        return redirect(obs)
    messages.success(request, _("The draft was deleted."))
    return redirect("observations:observation_list")


@login_required
@require_POST
def observation_reply(request: HttpRequest, pk: int) -> HttpResponse:
    obs = get_observation(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
        return redirect(obs)
    return post_action(
        request,
        lambda: services.reply(actor=request.user, observation=obs, text=form.cleaned_data["text"]),
        success=_("Your reply was sent to the observer."),
        redirect_to=reverse("observations:observation_detail", args=[obs.pk]) + "#replies",
        denied_as_message=True,
    )
