"""Recording an observation on a phone: the new draft, the draft (lesson, S-T taps,
notes, scores), and the correction of a submitted one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.activities.models import Activity
from jiaoyan.activities.queries import visible_activities
from jiaoyan.core.pages import attempt, creating, denied_on_form, form_error, form_page
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import can, get_visible_or_404, has_role
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .. import queries, services
from ..forms import CorrectionForm, LessonForm, RecordForm
from ..models import ComparisonRound, Observation
from ..scoring import compute_results
from .common import get_observation, posted_scores, score_rows

# --- recording -------------------------------------------------------------------------


def _teacher_role_defaults(person: Person) -> dict:
    ra = (
        person.roles.filter(is_active=True, role__in=[Role.TEACHER, Role.PRINCIPAL])
        .prefetch_related("subjects", "stages")
        .first()
    )
    if ra is None:
        return {}
    out = {}
    subject = next(iter(ra.subjects.all()), None)
    stage = next(iter(ra.stages.all()), None)
    if subject:
        out["subject"] = subject
    if stage:
        out["stage"] = stage
    return out


def _default_rubric(rubrics, stage, subject):
    rubrics = list(rubrics)
    for r in rubrics:
        if (
            r.stage_id
            and r.subject_id
            and r.stage_id == getattr(stage, "pk", None)
            and (r.subject_id == getattr(subject, "pk", None))
        ):
            return r
    for r in rubrics:
        if r.applies_to(
            stage_id=getattr(stage, "pk", None), subject_id=getattr(subject, "pk", None)
        ) and (r.org_unit_id):
            return r
    return next((r for r in rubrics if r.org_unit_id is None), rubrics[0] if rubrics else None)


def _default_kind(user) -> str:
    if has_role(user, Role.PRINCIPAL) and not has_role(user, Role.RESEARCHER, Role.BUREAU_ADMIN):
        return Observation.Kind.DROP_IN
    return Observation.Kind.SCHEDULED


@login_required
def observation_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    schools = queries.schools_for_new(user)
    teacher = rnd = activity = None
    if request.GET.get("teacher"):
        teacher = get_visible_or_404(
            Person.objects.select_related("org_unit"), user, pk=request.GET["teacher"]
        )
    if request.GET.get("round"):
        rnd = get_visible_or_404(
            ComparisonRound.objects.select_related("activity"), user, pk=request.GET["round"]
        )
    if request.GET.get("activity"):
        activity = get_visible_or_404(
            visible_activities(user).select_related("org_unit", "subject", "stage"),
            user,
            pk=request.GET["activity"],
        )
        if rnd is None:
            rnd = (
                ComparisonRound.objects.visible_to(user)
                .filter(activity=activity)
                .order_by("-date", "-id")
                .first()
            )
    school_pk = request.POST.get("school") or request.GET.get("school")
    if teacher is not None:
        school_pk = teacher.org_unit_id
    if school_pk:
        try:
            school = schools.get(pk=int(school_pk))
        except (ValueError, OrgUnit.DoesNotExist):
            raise Http404(_("The requested object does not exist.")) from None
    else:
        count = schools.count()
        if count == 0:
            raise PermissionDenied(_("You may not record observations."))
        if count > 1:
            q = request.GET.get("q", "").strip()
            return render(
                request,
                "observations/observation_pick_school.html",
                {
                    "schools": queries.schools_for_new(user, q)[:60],
                    "q": q,
                    "round": rnd if rnd is not None and activity is None else None,
                    "activity": activity,
                    "total": count,
                },
            )
        school = schools.first()

    staff = queries.school_staff(school)
    rubrics = queries.usable_rubrics(user, school)
    rounds = list(queries.rounds_for_new(user))
    activities = queries.activities_for_observing(user, school)
    initial = {"kind": _default_kind(user), "date": timezone.localdate()}
    if teacher is not None:
        initial["teacher"] = teacher
        initial.update(_teacher_role_defaults(teacher))
    if activity is not None:
        initial.update(
            kind=Observation.Kind.INSPECTION
            if activity.kind == Activity.Kind.INSPECTION
            else Observation.Kind.ACTIVITY,
            activity=activity,
            date=min(timezone.localtime(activity.starts_at).date(), timezone.localdate()),
            **{f: getattr(activity, f) for f in ("subject", "stage") if getattr(activity, f)},
        )
        if activity not in activities:
            activities.insert(0, activity)
    if rnd is not None:
        initial.update(
            kind=Observation.Kind.SAME_LESSON,
            round=rnd,
            subject=rnd.subject,
            stage=rnd.stage,
            topic=rnd.topic,
            date=min(rnd.date, timezone.localdate()),
            activity_title=rnd.activity_title if rnd.activity_id is None else "",
        )
        if rnd.activity_id is not None:
            initial["activity"] = rnd.activity
            if rnd.activity not in activities:
                activities.insert(0, rnd.activity)
        if rnd not in rounds:
            rounds.insert(0, rnd)
    if "stage" not in initial:
        stage = school.school.stages.first() if hasattr(school, "school") else None
        if stage:
            initial["stage"] = stage
    rubric = _default_rubric(rubrics, initial.get("stage"), initial.get("subject"))
    if rubric is not None:
        initial["rubric"] = rubric
    form = LessonForm(
        request.POST or None,
        initial=initial,
        staff=staff,
        rubrics=rubrics,
        rounds=rounds,
        activities=activities,
        teacher_data=queries.teacher_option_data(school),
    )
    del form.fields["version"]

    return form_page(
        request,
        form,
        denied_on_form(creating(services.create_observation, user)),
        template="observations/observation_new.html",
        context={
            "school": school,
            "multiple_schools": schools.count() > 1,
            "activity": activity,
        },
        success=_("The draft was created: record the lesson now."),
        redirect_to=lambda obs: reverse("observations:observation_edit", args=[obs.pk]),
    )


@login_required
def observation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft on a phone: the lesson, the S-T tapper, notes, scores, then submit."""
    user = request.user
    obs = get_observation(request, pk)
    if not can(user, "change", obs):
        if obs.is_submitted:
            messages.info(request, _("This observation is submitted; it can only be corrected."))
            return redirect(obs)
        raise PermissionDenied(_("Only the observer edits a draft."))
    dims = services.version_dimensions(obs.rubric_version)
    scores = services.current_scores(obs)
    rubrics = queries.usable_rubrics(user, obs.org_unit)
    rounds = list(queries.rounds_for_new(user))
    if obs.round is not None and obs.round not in rounds:
        rounds.insert(0, obs.round)
    activities = queries.activities_for_observing(user, obs.org_unit)
    if obs.activity is not None and obs.activity not in activities:
        activities.insert(0, obs.activity)
    lesson_initial = {
        f: getattr(obs, f)
        for f in ("teacher", "kind", "subject", "stage", "grade", "class_name", "topic", "date")
    }
    lesson_initial.update(
        period=obs.period,
        rubric=obs.rubric_version.rubric,
        round=obs.round,
        activity=obs.activity,
        activity_title=obs.activity_title if obs.activity_id is None else "",
        version=obs.version,
    )
    record_initial = {
        f: getattr(obs, f)
        for f in ("st_sequence", "st_interval", "notes", "strengths", "suggestions")
    }
    post = request.POST if request.method == "POST" else None
    lesson = LessonForm(
        post,
        prefix="lesson",
        initial=lesson_initial,
        staff=queries.school_staff(obs.org_unit),
        rubrics=rubrics,
        rounds=rounds,
        activities=activities,
        teacher_data=queries.teacher_option_data(obs.org_unit),
    )
    record = RecordForm(post, initial=record_initial)
    posted = None
    if post is not None:
        posted = posted_scores(request, dims)
        if lesson.is_valid() and record.is_valid():
            ld, rd = lesson.cleaned_data, record.cleaned_data
            rubric_changed = ld["rubric"].pk != obs.rubric_version.rubric_id
            # What the lesson form and the record form edit of the observation.
            data = {k: rd[k] if k in rd else ld[k] for k in services.EDITABLE}

            def save():
                services.update_observation(
                    actor=user,
                    observation=obs,
                    data=data,
                    scores=None if rubric_changed else posted,
                    st_sequence=rd["st_sequence"],
                    rubric=ld["rubric"],
                    teacher=ld["teacher"],
                    expected_version=ld["version"],
                )
                if request.POST.get("action") == "submit":
                    services.submit_observation(actor=user, observation=obs)

            _done, refused = attempt(save)
            if refused is not None:
                # Two forms on one page: the error goes on the one with its field.
                form_error(record if refused.field in record.fields else lesson, refused)
                if refused.field == "scores":
                    messages.error(request, refused.text)
            else:
                if request.POST.get("action") == "submit":
                    messages.success(request, _("Submitted. The teacher can now read it."))
                    return redirect(obs)
                if rubric_changed:
                    messages.warning(request, _("The rubric changed: score the new criteria."))
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("observations:observation_edit", pk=obs.pk)
    total, results = compute_results(dims, scores)
    return render(
        request,
        "observations/observation_edit.html",
        {
            "obs": obs,
            "lesson_form": lesson,
            "record_form": record,
            "score_rows": score_rows(dims, scores, posted),
            "total": total,
            "results": results,
        },
    )


@login_required
def observation_correct(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obs = get_observation(request, pk)
    if not can(user, "correct", obs):
        raise PermissionDenied(_("You may not correct this observation."))
    dims = services.version_dimensions(obs.rubric_version)
    scores = services.current_scores(obs)
    initial = {
        f: getattr(obs, f)
        for f in (
            "grade",
            "class_name",
            "topic",
            "date",
            "period",
            "st_sequence",
            "st_interval",
            "notes",
            "strengths",
            "suggestions",
            "version",
        )
    }
    form = CorrectionForm(request.POST or None, initial=initial)
    posted = None
    if request.method == "POST":
        posted = posted_scores(request, dims)
        if form.is_valid():
            d = dict(form.cleaned_data)
            _done, refused = attempt(
                lambda: services.correct_observation(
                    actor=user,
                    observation=obs,
                    reason=d.pop("reason"),
                    data={k: d[k] for k in services.CORRECTABLE},
                    scores=posted,
                    st_sequence=d["st_sequence"],
                    expected_version=d["version"],
                )
            )
            if refused is None:
                messages.success(request, _("The correction was saved and recorded."))
                return redirect(obs)
            form_error(form, refused)
            if refused.field == "scores":
                messages.error(request, refused.text)
    return render(
        request,
        "observations/observation_correct.html",
        {"obs": obs, "form": form, "score_rows": score_rows(dims, scores, posted)},
    )
