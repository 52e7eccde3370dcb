"""Forms of the org pages (they validate shape; services validate rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import StyledForm, VersionedForm

from .models import OrgUnit, School, Stage

UNIT_KIND_CHOICES = [c for c in OrgUnit.Kind.choices if c[0] != OrgUnit.Kind.SCHOOL]
UNIT_LEVEL_CHOICES = [c for c in OrgUnit.Level.choices if c[0] != OrgUnit.Level.SCHOOL]


class UnitForm(VersionedForm):
    code = forms.CharField(label=_("Unit code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=UNIT_LEVEL_CHOICES)
    kind = forms.ChoiceField(label=_("Type"), choices=UNIT_KIND_CHOICES)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class SchoolForm(VersionedForm):
    code = forms.CharField(label=_("School code"), max_length=20)
    name = forms.CharField(label=_("School name"), max_length=100)
    kind = forms.ChoiceField(label=_("School kind"), choices=School.Kind.choices)
    stages = forms.ModelMultipleChoiceField(
        label=_("Stages"),
        queryset=Stage.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location = forms.ChoiceField(label=_("Location class"), choices=School.Location.choices)
    is_weak = forms.BooleanField(label=_("Weak school"), required=False)
    student_count = forms.IntegerField(
        label=_("Students"), min_value=0, max_value=100000, initial=0
    )
    teacher_count = forms.IntegerField(label=_("Teachers"), min_value=0, max_value=10000, initial=0)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args, principal_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if principal_only:
            # A principal maintains the school's profile, not its identity.
            for name in ("code", "name"):
                self.fields[name].disabled = True
                self.fields[name].required = False


class MoveForm(StyledForm):
    parent = forms.ModelChoiceField(label=_("New parent unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["parent"].queryset = units
