"""同课异构 rounds: list, new, the comparison page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.activities.queries import visible_activities
from jiaoyan.core import audit
from jiaoyan.core.pages import Column, ListPage, form_page
from jiaoyan.core.scope import get_visible_or_404

from .. import charts, queries, services
from ..forms import RoundForm
from ..models import ComparisonRound
from .common import organiser_units

# --- 同课异构 rounds ---------------------------------------------------------------------


class RoundList(ListPage):
    """同课异构 rounds in scope (``?q=``: by topic), newest first; exported in the list's
    columns."""

    template = "observations/round_list.html"
    columns = [
        Column("日期", "date"),
        Column("课题", "topic"),
        Column("学段", "stage.name"),
        Column("学科", "subject.name"),
        Column("组织单位", "org_unit.name"),
        Column("教研活动", "activity_title"),
    ]
    export_name = "同课异构"

    def get_queryset(self):
        return ComparisonRound.objects.visible_to(self.user).select_related(
            "org_unit", "subject", "stage"
        )

    def filter_queryset(self, qs):
        self.q = self.request.GET.get("q", "").strip()[:50]
        if self.q:
            qs = qs.filter(topic__icontains=self.q)
        return qs.order_by("-date", "-id")

    def export_rows(self, qs):
        return qs.iterator(chunk_size=2000)

    def get_context(self):
        return {
            "q": self.q,
            "can_add": organiser_units(self.user, ComparisonRound).exists(),
        }


round_list = RoundList.as_view()


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    units = organiser_units(request.user, ComparisonRound)
    if not units.exists():
        raise PermissionDenied(_("You may not organise rounds."))
    person = getattr(request.user, "person", None)
    initial = {"date": timezone.localdate()}
    if person is not None and units.filter(pk=person.org_unit_id).exists():
        initial["org_unit"] = person.org_unit_id
    activities = queries.round_activities(request.user)
    activity = None
    if request.GET.get("activity"):
        activity = get_visible_or_404(
            visible_activities(request.user).select_related("org_unit", "subject", "stage"),
            request.user,
            pk=request.GET["activity"],
        )
        if activity not in activities:
            activities.insert(0, activity)
        # Prefilled from the activity: its title, subject, stage, day and organiser.
        initial.update(
            activity=activity,
            topic=activity.title,
            date=timezone.localtime(activity.starts_at).date(),
            **{f: getattr(activity, f) for f in ("subject", "stage") if getattr(activity, f)},
        )
        if units.filter(pk=activity.org_unit_id).exists():
            initial["org_unit"] = activity.org_unit_id
    form = RoundForm(request.POST or None, units=units, activities=activities, initial=initial)
    return form_page(
        request,
        form,
        lambda d: services.create_round(actor=request.user, **d),
        template="observations/round_form.html",
        context={"activity": activity},
        success=_("The round was created."),
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_visible_or_404(
        ComparisonRound.objects.select_related("org_unit", "subject", "stage", "activity"),
        request.user,
        pk=pk,
    )
    data = queries.comparison(rnd)
    ctx = {
        "round": rnd,
        "activity_visible": rnd.activity_id is not None
        and visible_activities(request.user).filter(pk=rnd.activity_id).exists(),
        "data": data,
        "rows": [
            {
                **t,
                "cells": [
                    {"value": v, "best": v is not None and v == best}
                    for v, best in zip(t["dimensions"], data["best"], strict=True)
                ],
            }
            for t in data["teachers"]
        ],
        "observations": queries.for_list(
            queries.observations_for(request.user).filter(round=rnd)
        ).order_by("teacher__name", "date"),
        "can_add": queries.can_add_somewhere(request.user),
        "history": audit.entries(rnd),
    }
    if data["teachers"] and data["dimensions"]:
        ctx["radar"] = charts.radar(
            data["dimensions"], [(t["teacher"].name, t["dimensions"]) for t in data["teachers"]]
        )
    return render(request, "observations/round_detail.html", ctx)
