"""Review rubric pages (评审量规): the rubrics the viewer sees (the built-in one, their
units' and the units' above), and the form that creates, edits, retires or restores a
unit's rubric — its admins and researchers. Reviewers score against the rubric of the
resource (copied onto each review when assigned: ``services.assign_reviewer``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from jiaoyan.core.pages import (
    Column,
    ListPage,
    creating,
    edit_page,
    editing,
    form_page,
    post_action,
)
from jiaoyan.core.scope import can, get_visible_or_404, units_where

from . import services
from .forms_rubrics import RubricFilter, RubricForm, criteria_text
from .models import ReviewRubric

DENIED = _lazy("You do not have permission to do this here.")


def _criteria(rubric: ReviewRubric) -> str:
    return "；".join(
        f"{c['name']}（{c['max']:g}"
        + (f"×{c['weight']:g}" if c.get("weight", 1) != 1 else "")
        + "）"
        for c in rubric.criteria
    )


class RubricList(ListPage):
    """The rubrics the viewer sees; those they may change carry an edit link."""

    template = "resources/rubrics/list.html"
    fragment = "resources/rubrics/_rubric_table.html"
    filterset = RubricFilter
    columns = [
        Column(pgettext_lazy("rubric", "Name"), "name", width=30),
        Column(_lazy("Owning unit"), lambda r: r.org_unit.name if r.org_unit_id else "", width=24),
        Column(_lazy("Criteria"), _criteria, width=60),
        Column(_lazy("Total score"), "total", width=10),
        Column(_lazy("In use"), lambda r: "是" if r.is_active else "否", width=8),
    ]
    export_name = _lazy("Review rubrics")

    def get_queryset(self):
        return ReviewRubric.objects.visible_to(self.user).order_by("org_unit_id", "name", "id")

    def list_queryset(self, qs):
        return qs.select_related("org_unit")

    def get_context(self):
        for r in self.page.object_list:
            r.may_change = can(self.user, "change", r)
        return {"may_add": units_where(self.user, "add", ReviewRubric).exists()}


rubric_list = RubricList.as_view()


def _rubric(request: HttpRequest, pk: int) -> ReviewRubric:
    return get_visible_or_404(ReviewRubric.objects.select_related("org_unit"), request.user, pk=pk)


@login_required
def rubric_create(request: HttpRequest) -> HttpResponse:
    if not units_where(request.user, "add", ReviewRubric).exists():
        raise PermissionDenied(DENIED)
    form = RubricForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        creating(services.create_rubric, request.user),
        template="resources/rubrics/form.html",
        success=_("The rubric was saved."),
        redirect_to=reverse("resources:rubrics"),
    )


@login_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    if not can(request.user, "change", rubric):
        raise PermissionDenied(DENIED)
    form = RubricForm(
        request.POST or None,
        user=request.user,
        creating=False,
        initial=editing(rubric, ("name",), criteria=criteria_text(rubric.criteria)),
    )

    def save(data, version):
        return services.update_rubric(
            actor=request.user, rubric=rubric, data=data, expected_version=version
        )

    return edit_page(
        request,
        form,
        save,
        template="resources/rubrics/form.html",
        context={"rubric": rubric},
        success=_("The rubric was saved."),
        redirect_to=reverse("resources:rubrics"),
    )


@login_required
@require_POST
def rubric_retire(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    return post_action(
        request,
        lambda: services.retire_rubric(actor=request.user, rubric=rubric),
        success=_("The rubric was retired: resources submitted from now on use another."),
        redirect_to=reverse("resources:rubrics"),
    )


@login_required
@require_POST
def rubric_restore(request: HttpRequest, pk: int) -> HttpResponse:
    rubric = _rubric(request, pk)
    return post_action(
        request,
        lambda: services.restore_rubric(actor=request.user, rubric=rubric),
        success=_("The rubric is in use again."),
        redirect_to=reverse("resources:rubrics"),
    )
