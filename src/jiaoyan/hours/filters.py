"""Filters of the hours lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import FilterForm, NamedModelChoiceFilter, year_filter
from jiaoyan.core.roles import Role
from jiaoyan.orgs.models import School, Subject
from jiaoyan.people.models import RoleAssignment

from .models import ExternalDeclaration, HoursCycle, HoursRecord

COHORTS = [
    (Role.TEACHER, pgettext_lazy("cohort", "Teachers")),
    (Role.PRINCIPAL, _("Principals")),
    (Role.RESEARCHER, _("Researchers")),
]


class HoursFilter(df.FilterSet):
    # A number rather than a choice: the page links to the years it lists, and an odd
    # value (?year=abc, ?year=10000) is ignored rather than refused.
    year = year_filter(_("Year"), method="by_year")

    class Meta:
        model = HoursRecord
        fields: list[str] = []
        form = FilterForm

    def by_year(self, qs, name, value):
        return qs.filter(date__year=int(value)) if value else qs

    @property
    def year_value(self) -> int | None:
        """The chosen year, as the page highlights it (None: all years)."""
        value = self.form.cleaned_data.get("year") if self.form.is_valid() else None
        return int(value) if value else None


class BehindFilter(df.FilterSet):
    """Who is behind: by school (one the viewer sees), cohort (role) and subject."""

    school = NamedModelChoiceFilter(
        label=_("School"),
        queryset=School.objects.none(),
        method="by_school",
        label_field="org_unit__name",
    )
    cohort = df.ChoiceFilter(label=_("Cohort"), choices=COHORTS, method="by_cohort")
    subject = df.ModelChoiceFilter(
        label=_("Subject"), queryset=Subject.objects.all(), method="by_subject"
    )

    class Meta:
        model = HoursCycle
        fields: list[str] = []
        form = FilterForm

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            self.filters["school"].queryset = School.objects.visible_to(user).select_related(
                "org_unit"
            )

    def by_school(self, qs, name, value):
        return qs.filter(person__org_unit__path__under=value.org_unit.path) if value else qs

    def by_cohort(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(
            person_id__in=RoleAssignment.objects.filter(role=value, is_active=True).values(
                "person_id"
            )
        )

    def by_subject(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(
            person_id__in=RoleAssignment.objects.filter(subjects=value, is_active=True).values(
                "person_id"
            )
        )


class DeclarationFilter(df.FilterSet):
    status = df.ChoiceFilter(label=_("Status"), choices=ExternalDeclaration.Status.choices)

    class Meta:
        model = ExternalDeclaration
        fields: list[str] = []
        form = FilterForm
