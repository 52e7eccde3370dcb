"""Observation list filters; choices limited to what the user can see."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiaoyan.activities.models import Activity
from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.orgs.filters import _regions
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person

from .models import Observation
from .terms import parse_term, recent_terms

DATE = forms.DateInput(attrs={"type": "date"})


def _term_choices():
    return [(t.code, t.label) for t in recent_terms(timezone.localdate(), 6)]


class ObservationFilter(df.FilterSet):
    q = search_filter(_("topic or teacher"), "topic__icontains", "teacher__name__icontains")
    mine = df.ChoiceFilter(
        label=_("Whose"),
        method="by_mine",
        choices=[("observed", _("Lessons I observed")), ("about", _("My lessons"))],
        empty_label=_("All I can see"),
    )
    within = df.ModelChoiceFilter(
        label=_("Region"),
        queryset=_regions,
        method="by_within",
        empty_label=_("All my regions"),
    )
    org_unit = df.ModelChoiceFilter(
        label=_("School"),
        queryset=lambda r: OrgUnit.objects.visible_to(r.user) if r else OrgUnit.objects.none(),
        widget=forms.HiddenInput,
    )
    teacher = df.ModelChoiceFilter(
        label=_("Teacher"),
        queryset=lambda r: Person.objects.visible_to(r.user) if r else Person.objects.none(),
        widget=forms.HiddenInput,
    )
    activity = df.ModelChoiceFilter(
        label=_("Research activity"),
        queryset=lambda r: Activity.objects.visible_to(r.user) if r else Activity.objects.none(),
        widget=forms.HiddenInput,
    )
    term = df.ChoiceFilter(
        label=_("Term"), method="by_term", choices=_term_choices, empty_label=_("Any term")
    )
    kind = df.ChoiceFilter(
        label=_("Kind"), choices=Observation.Kind.choices, empty_label=_("All kinds")
    )
    subject = df.ModelChoiceFilter(
        label=_("Subject"), queryset=Subject.objects.all(), empty_label=_("All subjects")
    )
    stage = df.ModelChoiceFilter(
        label=_("Stage"), queryset=Stage.objects.all(), empty_label=_("All stages")
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=Observation.Status.choices, empty_label=_("Any status")
    )
    date_from = df.DateFilter(label=_("From"), field_name="date", lookup_expr="gte", widget=DATE)
    date_to = df.DateFilter(label=_("To"), field_name="date", lookup_expr="lte", widget=DATE)

    class Meta:
        model = Observation
        fields: list[str] = []
        form = FilterForm

    def by_mine(self, qs, name, value):
        user = self.request.user
        if value == "observed":
            return qs.filter(observer_id=user.pk)
        if value == "about":
            return qs.filter(teacher__user_id=user.pk)
        return qs

    def by_within(self, qs, name, value):
        # An explicit region: read its rows through the path index, whatever its depth.
        return qs.filter(unit_path__under_indexed=value.path) if value else qs

    def by_term(self, qs, name, value):
        term = parse_term(value)
        # The same rows as term=…, read through the date-ordered list index.
        return qs.filter(date__gte=term.start, date__lte=term.end) if term else qs
