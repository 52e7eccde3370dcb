"""Filters of the project lists; choices limited to what the user can see."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.orgs.filters import region_filter

from .models import Level, Project, ProjectCall, Review, Stage


class ProjectFilter(df.FilterSet):
    q = search_filter(
        _("title, number or PI"), "title__icontains", "number__startswith", "pi__name"
    )
    within = region_filter()
    level = df.ChoiceFilter(
        label=_("Project level"), choices=Level.choices, empty_label=_("All levels")
    )
    stage = df.ChoiceFilter(label=_("Stage"), choices=Stage.choices, empty_label=_("All stages"))
    status = df.ChoiceFilter(
        label=_("Status"), choices=Project.Status.choices, empty_label=_("All statuses")
    )
    overdue = df.BooleanFilter(
        label=_("Overdue"),
        method="by_overdue",
        widget=forms.Select(choices=[("", _("Overdue or not")), ("true", _("Overdue only"))]),
    )

    class Meta:
        model = Project
        fields: list[str] = []
        form = FilterForm

    def by_overdue(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(status=Project.Status.ONGOING, due_on__lt=timezone.localdate())


class CallFilter(df.FilterSet):
    q = search_filter(_("title"), "title__icontains")
    level = df.ChoiceFilter(
        label=_("Project level"), choices=Level.choices, empty_label=_("All levels")
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=ProjectCall.Status.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = ProjectCall
        fields: list[str] = []
        form = FilterForm


class ReviewFilter(df.FilterSet):
    status = df.ChoiceFilter(
        label=_("Status"), choices=Review.Status.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = Review
        fields: list[str] = []
        form = FilterForm
