"""Forms of the researchers pages. Every reference is a scoped choice or a
:class:`core.resolve.ReferenceField` (found through the scoped resolver)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.activities.models import Activity
from jiaoyan.core.forms import StyledForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.roles import Role
from jiaoyan.core.scope import units_where
from jiaoyan.observations.models import LiaisonAssignment, Observation
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Person, RoleAssignment

from .models import ResearcherProfile, RoleChange, Visit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _researchers_without_profile(user):
    return (
        Person.objects.visible_to(user)
        .filter(
            status=Person.Status.ACTIVE,
            pk__in=RoleAssignment.objects.filter(role=Role.RESEARCHER, is_active=True).values(
                "person_id"
            ),
        )
        .exclude(pk__in=ResearcherProfile.objects.values("person_id"))
        .order_by("name")
    )


def _offices(user, model=ResearcherProfile):
    return (
        units_where(user, "add", model)
        .filter(kind__in=[OrgUnit.Kind.INSTITUTE, OrgUnit.Kind.BUREAU], is_active=True)
        .order_by("path")
    )


class ProfileForm(StyledForm):
    person = forms.ModelChoiceField(label=_("Researcher"), queryset=Person.objects.none())
    org_unit = forms.ModelChoiceField(label=_("Institute"), queryset=OrgUnit.objects.none())
    employment = forms.ChoiceField(
        label=_("Employment"), choices=ResearcherProfile.Employment.choices
    )
    school = forms.ModelChoiceField(
        label=_("School taught at (part-time)"), queryset=OrgUnit.objects.none(), required=False
    )
    subjects = forms.ModelMultipleChoiceField(
        label=_("Subjects"), queryset=Subject.objects.all(), required=False
    )
    stages = forms.ModelMultipleChoiceField(
        label=_("Stages"), queryset=Stage.objects.all(), required=False
    )
    since = forms.DateField(label=_("Researcher since"), widget=DATE, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"] = reference_field(
            user,
            Person,
            queryset=_researchers_without_profile(user),
            label=_("Researcher"),
        )
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=_offices(user), label=_("Institute")
        )
        self.fields["school"] = reference_field(
            user,
            OrgUnit,
            queryset=OrgUnit.objects.visible_to(user).filter(kind=OrgUnit.Kind.SCHOOL),
            label=_("School taught at (part-time)"),
            required=False,
        )
        self.style_fields()


class DutyForm(StyledForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    text = forms.CharField(label=_("Duties"), widget=forms.Textarea(attrs={"rows": 3}))


class LiaisonSchoolsForm(StyledForm):
    schools = forms.ModelMultipleChoiceField(
        label=_("Schools"), queryset=OrgUnit.objects.none(), widget=forms.SelectMultiple
    )
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until"), widget=DATE, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = (
            units_where(user, "add", LiaisonAssignment)
            .filter(kind=OrgUnit.Kind.SCHOOL, is_active=True)
            .order_by("path")
        )


class ResidencyForm(StyledForm):
    school = forms.ModelChoiceField(label=_("School"), queryset=OrgUnit.objects.none())
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until"), widget=DATE)
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"] = reference_field(
            user,
            OrgUnit,
            queryset=OrgUnit.objects.visible_to(user).filter(
                kind=OrgUnit.Kind.SCHOOL, is_active=True
            ),
            label=_("School"),
        )
        self.style_fields()


class VisitForm(StyledForm):
    date = forms.DateField(label=_("Date"), widget=DATE, required=False)
    kind = forms.ChoiceField(label=_("What was done"), choices=Visit.Kind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    activity = forms.ModelChoiceField(
        label=_("Research activity"), queryset=Activity.objects.none(), required=False
    )
    observation = forms.ModelChoiceField(
        label=_("Observation"), queryset=Observation.objects.none(), required=False
    )

    def __init__(self, *args, user, residency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"] = reference_field(
            user,
            Activity,
            queryset=Activity.objects.visible_to(user).filter(
                starts_at__date__range=(residency.start_date, residency.end_date)
            ),
            label=_("Research activity"),
            required=False,
        )
        self.fields["observation"] = reference_field(
            user,
            Observation,
            queryset=Observation.objects.visible_to(user).filter(
                org_unit_id=residency.school_id,
                date__range=(residency.start_date, residency.end_date),
            ),
            label=_("Observation"),
            required=False,
        )
        self.style_fields()


class SummaryForm(StyledForm):
    summary = forms.CharField(label=_("Summary report"), widget=forms.Textarea(attrs={"rows": 6}))


class ExitForm(StyledForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=RoleChange.Reason.choices)
    date = forms.DateField(label=_("Date"), widget=DATE, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ExchangeForm(ExitForm):
    to_unit = forms.ModelChoiceField(label=_("Institute joined"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"] = reference_field(
            user, OrgUnit, queryset=_offices(user), label=_("Institute joined")
        )
        self.style_fields()
