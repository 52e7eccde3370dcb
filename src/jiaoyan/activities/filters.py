"""Filters of the activity and plan lists; choices limited to what the user can see."""

from __future__ import annotations

import re

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.orgs.filters import WithinFilter, _regions
from jiaoyan.orgs.models import Stage, Subject

from .models import Activity, Level, ResearchPlan

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


class ActivityFilter(df.FilterSet):
    q = search_filter(pgettext_lazy("activity", "title"), "title__icontains")
    within = WithinFilter(
        label=_("Organised in"),
        queryset=_regions,
        path_lookup="org_unit__path",
        empty_label=_("All my units"),
    )
    kind = df.ChoiceFilter(
        label=_("Kind"), choices=Activity.Kind.choices, empty_label=_("All kinds")
    )
    level = df.ChoiceFilter(label=_("Level"), choices=Level.choices, empty_label=_("All levels"))
    subject = df.ModelChoiceFilter(
        label=_("Subject"), queryset=Subject.objects.all(), empty_label=_("All subjects")
    )
    stage = df.ModelChoiceFilter(
        label=_("Stage"), queryset=Stage.objects.all(), empty_label=_("All stages")
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=Activity.Status.choices, empty_label=_("All statuses")
    )
    month = df.CharFilter(
        label=_("Month"),
        method="in_month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-03"}),
    )
    theme = df.NumberFilter(field_name="theme_id", widget=forms.HiddenInput)

    class Meta:
        model = Activity
        fields: list[str] = []
        form = FilterForm

    def in_month(self, qs, name, value):
        m = MONTH_RE.match((value or "").strip())
        if not m or not 1 <= int(m[2]) <= 12:
            return qs
        return qs.filter(start_month=int(m[1]) * 100 + int(m[2]))


class PlanFilter(df.FilterSet):
    year = df.NumberFilter(
        label=_("Year"), widget=forms.NumberInput(attrs={"placeholder": _("year")})
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=ResearchPlan.Status.choices, empty_label=_("All statuses")
    )
    q = search_filter(_("title or unit"), "title__icontains", "org_unit__name__icontains")

    class Meta:
        model = ResearchPlan
        fields: list[str] = []
        form = FilterForm
