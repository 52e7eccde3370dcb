"""People list filters; choices limited to what the user can see."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.core.roles import Role
from jiaoyan.orgs.filters import region_filter
from jiaoyan.orgs.models import OrgUnit, Stage, Subject

from .models import Honour, Person


class PersonFilter(df.FilterSet):
    q = search_filter(_("name or staff number"), "name__icontains", "staff_no__startswith")
    within = region_filter()
    org_unit = df.ModelChoiceFilter(
        label=_("Unit"),
        queryset=lambda r: OrgUnit.objects.visible_to(r.user) if r else OrgUnit.objects.none(),
        widget=forms.HiddenInput,
    )
    role = df.ChoiceFilter(
        label=_("Role"), choices=Role.choices, method="by_role", empty_label=_("All roles")
    )
    subject = df.ModelChoiceFilter(
        label=_("Subject"),
        queryset=Subject.objects.all(),
        method="by_subject",
        empty_label=_("All subjects"),
    )
    stage = df.ModelChoiceFilter(
        label=_("Stage"),
        queryset=Stage.objects.all(),
        method="by_stage",
        empty_label=_("All stages"),
    )
    professional_title = df.ChoiceFilter(
        label=_("Professional title"), choices=Person.Title.choices, empty_label=_("All titles")
    )
    honour = df.ChoiceFilter(
        label=_("Honour"),
        choices=Honour.Title.choices,
        method="by_honour",
        empty_label=_("Any honour or none"),
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=Person.Status.choices, empty_label=_("Any status")
    )

    class Meta:
        model = Person
        fields: list[str] = []
        form = FilterForm

    def by_role(self, qs, name, value):
        ids = Person.roles.rel.related_model.objects.filter(role=value, is_active=True)
        return qs.filter(pk__in=ids.values("person_id")) if value else qs

    def by_subject(self, qs, name, value):
        ids = Person.roles.rel.related_model.objects.filter(subjects=value, is_active=True)
        return qs.filter(pk__in=ids.values("person_id")) if value else qs

    def by_honour(self, qs, name, value):
        # A subquery of ids rather than a join and DISTINCT over the whole list.
        ids = Honour.objects.filter(title=value).values("person_id")
        return qs.filter(pk__in=ids) if value else qs

    def by_stage(self, qs, name, value):
        ids = Person.roles.rel.related_model.objects.filter(stages=value, is_active=True)
        return qs.filter(pk__in=ids.values("person_id")) if value else qs
