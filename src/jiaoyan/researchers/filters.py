"""Filters of the researchers lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter

from .models import AdmissionApplication, AdmissionRound, ResearcherProfile, Visit


class ProfileFilter(df.FilterSet):
    q = search_filter(
        _("name, staff number or institute"),
        "person__name__icontains",
        "person__staff_no__startswith",
        "org_unit__name__icontains",
    )
    status = df.ChoiceFilter(
        label=_("Status"),
        choices=ResearcherProfile.Status.choices,
        empty_label=_("All statuses"),
    )
    employment = df.ChoiceFilter(
        label=_("Employment"),
        choices=ResearcherProfile.Employment.choices,
        empty_label=_("Full- and part-time"),
    )

    class Meta:
        model = ResearcherProfile
        fields: list[str] = []
        form = FilterForm


class VisitFilter(df.FilterSet):
    q = search_filter(
        _("researcher or school"), "researcher__name__icontains", "school__name__icontains"
    )
    kind = df.ChoiceFilter(
        label=_("What was done"), choices=Visit.Kind.choices, empty_label=_("Everything done")
    )

    class Meta:
        model = Visit
        fields: list[str] = []
        form = FilterForm


class AdmissionRoundFilter(df.FilterSet):
    q = search_filter(_("title"), "title__icontains")
    status = df.ChoiceFilter(
        label=_("Status"),
        choices=AdmissionRound.Status.choices,
        empty_label=_("All statuses"),
    )

    class Meta:
        model = AdmissionRound
        fields: list[str] = []
        form = FilterForm


class AdmissionApplicationFilter(df.FilterSet):
    q = search_filter(
        _("candidate or round"),
        "person__name__icontains",
        "person__staff_no__startswith",
        "round__title__icontains",
    )
    status = df.ChoiceFilter(
        label=_("Status"),
        choices=AdmissionApplication.Status.choices,
        empty_label=_("All statuses"),
    )

    class Meta:
        model = AdmissionApplication
        fields: list[str] = []
        form = FilterForm
