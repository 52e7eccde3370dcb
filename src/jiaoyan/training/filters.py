"""Filters of the training lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter

from .models import Cohort, Enrolment, Programme


class ProgrammeFilter(df.FilterSet):
    q = search_filter(_("title or organiser"), "title__icontains", "org_unit__name__icontains")
    status = df.ChoiceFilter(
        label=_("Status"), choices=Programme.Status.choices, empty_label=_("All statuses")
    )
    tier = df.ChoiceFilter(
        label=_("Tier"), choices=Programme.Tier.choices, empty_label=_("All tiers")
    )
    cohort = df.ChoiceFilter(
        label=_("Cohort"),
        choices=Cohort.choices,
        empty_label=_("All cohorts"),
        method="for_cohort",
    )

    class Meta:
        model = Programme
        fields: list[str] = []
        form = FilterForm

    def for_cohort(self, qs, name, value):
        return qs.filter(cohorts__contains=value) if value else qs


class EnrolmentFilter(df.FilterSet):
    q = search_filter(
        _("name, staff number or unit"),
        "person__name__icontains",
        "person__staff_no__startswith",
        "school__name__icontains",
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=Enrolment.Status.choices, empty_label=_("All statuses")
    )
    outcome = df.ChoiceFilter(
        label=_("Outcome"),
        choices=Enrolment.Outcome.choices[1:],
        empty_label=_("All outcomes"),
    )

    class Meta:
        model = Enrolment
        fields: list[str] = []
        form = FilterForm
