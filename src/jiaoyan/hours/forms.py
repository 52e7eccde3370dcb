"""Forms of the hours pages. References (a category, a bureau) are scoped choices
(``core.resolve.reference_field``); the services check them again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit

from .models import HoursCategory, HoursPolicy

DATE = forms.DateInput(attrs={"type": "date"})
HOURS = forms.NumberInput(attrs={"step": "0.5", "min": "0"})


class DeclarationForm(StyledForm):
    title = forms.CharField(label=_("Training"), max_length=200)
    organiser = forms.CharField(label=_("Organiser"), max_length=200)
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("To"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1, widget=HOURS)
    evidence = forms.FileField(
        label=_("Evidence"), help_text=_("The certificate: PDF, JPG, PNG or OFD.")
    )

    def __init__(self, *args, user=None, category_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = reference_field(
            user,
            HoursCategory,
            queryset=HoursCategory.objects.filter(pk__in=list(category_ids)),
            label=_("Category"),
            required=False,
        )
        self.fields["category"].widget.attrs.setdefault("class", "form-select")


class RejectForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DecideForm(VersionedForm):
    pass


class RevokeForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


def _bureaus(user):
    return OrgUnit.objects.filter(
        pk__in=units_where(user, "add", HoursPolicy).values("pk"),
        kind__in=[OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE],
    )


class CategoryForm(StyledForm):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=60)
    order = forms.IntegerField(label=_("Order"), required=False, initial=0)
    yearly_cap = forms.DecimalField(
        label=_("Counted at most per year"), required=False, decimal_places=1, widget=HOURS
    )
    cycle_minimum = forms.DecimalField(
        label=_("Minimum per cycle"), required=False, decimal_places=1, widget=HOURS
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "org_unit": reference_field(user, OrgUnit, queryset=_bureaus(user), label=_("Bureau")),
            **self.fields,
        }
        self.fields["org_unit"].widget.attrs.setdefault("class", "form-select")


class PolicyForm(VersionedForm):
    cycle_years = forms.IntegerField(label=_("Cycle length (years)"), min_value=1, max_value=10)
    first_cycle_year = forms.IntegerField(
        label=_("First year of a cycle"), min_value=2000, max_value=2100
    )
    required_hours = forms.DecimalField(
        label=_("Required hours per cycle"), decimal_places=1, widget=HOURS
    )
    hours_per_credit = forms.DecimalField(
        label=_("Hours per credit"), decimal_places=1, widget=HOURS
    )
    external_yearly_cap = forms.DecimalField(
        label=_("External hours counted at most per year"),
        required=False,
        decimal_places=1,
        widget=HOURS,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "org_unit": reference_field(user, OrgUnit, queryset=_bureaus(user), label=_("Bureau")),
            **self.fields,
        }
        self.fields["org_unit"].widget.attrs.setdefault("class", "form-select")
