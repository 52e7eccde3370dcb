"""Liaison schools (联点联校): list, assign, end."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiaoyan.core.pages import ListPage, denied_on_form, form_page, post_action
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import get_visible_or_404, units_where
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person

from .. import services
from ..forms import LiaisonForm
from ..models import LiaisonAssignment
from ..sheets import LiaisonSheet

# --- liaison schools -----------------------------------------------------------------------


class LiaisonList(ListPage):
    """Liaison assignments in scope (active ones unless ``?all=1``; ``?q=``: researcher or
    school); exported as the liaison sheet (the file re-imports)."""

    template = "observations/liaison_list.html"
    sheet = LiaisonSheet
    export_name = "联点联校"

    def get_queryset(self):
        return LiaisonAssignment.objects.visible_to(self.user).select_related(
            "researcher", "researcher__org_unit", "school"
        )

    def filter_queryset(self, qs):
        if self.request.GET.get("all") != "1":
            qs = qs.filter(is_active=True)
        self.q = self.request.GET.get("q", "").strip()[:50]
        if self.q:
            qs = qs.filter(
                Q(researcher__name__icontains=self.q) | Q(school__name__icontains=self.q)
            )
        return qs.order_by("school__path", "researcher__name")

    def get_context(self):
        return {
            "q": self.q,
            "can_add": units_where(self.user, "add", LiaisonAssignment).exists(),
        }


liaison_list = LiaisonList.as_view()


def _researchers(user):
    from jiaoyan.people.models import RoleAssignment

    return (
        Person.objects.visible_to(user)
        .filter(
            status=Person.Status.ACTIVE,
            pk__in=RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True).values(
                "person_id"
            ),
        )
        .select_related("org_unit")
        .order_by("org_unit__path", "name")
    )


@login_required
def liaison_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    schools = (
        units_where(user, "add", LiaisonAssignment)
        .filter(kind=OrgUnit.Kind.SCHOOL, is_active=True)
        .order_by("path")
    )
    if not schools.exists():
        raise PermissionDenied(_("You may not assign liaison schools."))
    form = LiaisonForm(
        request.POST or None,
        researchers=_researchers(user),
        schools=schools,
        initial={"start_date": timezone.localdate()},
    )
    return form_page(
        request,
        form,
        denied_on_form(lambda d: services.assign_liaison(actor=user, **d)),
        template="observations/liaison_form.html",
        success=_("The liaison assignment was saved."),
        redirect_to=reverse("observations:liaison_list"),
    )


@login_required
@require_POST
def liaison_end(request: HttpRequest, pk: int) -> HttpResponse:
    la = get_visible_or_404(LiaisonAssignment, request.user, pk=pk)
    return post_action(
        request,
        lambda: services.end_liaison(actor=request.user, assignment=la, end_date=dt.date.today()),
        success=_("The liaison assignment ended."),
        redirect_to=reverse("observations:liaison_list"),
        denied_as_message=True,
    )
