"""Forms of the pairing pages. Units, people and activities are typed as codes, staff
numbers or ids and found by the services through the scoped resolver."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import StyledForm, VersionedForm

from .models import PersonSent, Side

DATE = forms.DateInput(attrs={"type": "date"})


class PairingForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=120)
    helping = forms.CharField(
        label=_("Helping unit (unit code)"), max_length=20, help_text=_("A unit of your scope.")
    )
    helped = forms.CharField(label=_("Helped unit (unit code)"), max_length=20)
    beyond_scope = forms.BooleanField(
        label=_("The helped unit lies beyond my scope (another district, city or province)"),
        required=False,
    )
    start_date = forms.DateField(label=_("Starts on"), widget=DATE)
    end_date = forms.DateField(label=_("Ends on"), widget=DATE)
    agreement_signed_on = forms.DateField(
        label=_("Agreement signed on"), widget=DATE, required=False
    )
    agreement_file = forms.FileField(label=_("Agreement document"), required=False)
    goals = forms.CharField(
        label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    measures = forms.CharField(
        label=_("Measures"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PairingEditForm(VersionedForm):
    title = forms.CharField(label=_("Title"), max_length=120)
    start_date = forms.DateField(label=_("Starts on"), widget=DATE)
    end_date = forms.DateField(label=_("Ends on"), widget=DATE)
    agreement_signed_on = forms.DateField(
        label=_("Agreement signed on"), widget=DATE, required=False
    )
    goals = forms.CharField(
        label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    measures = forms.CharField(
        label=_("Measures"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AgreementForm(StyledForm):
    signed_on = forms.DateField(label=_("Agreement signed on"), widget=DATE)
    file = forms.FileField(label=_("Agreement document"))


class FundForm(StyledForm):
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    date = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)


class PersonSentForm(StyledForm):
    person = forms.CharField(label=_("Staff number"), max_length=40)
    role = forms.ChoiceField(label=_("Role"), choices=PersonSent.Role.choices)
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until"), widget=DATE)
    work = forms.CharField(
        label=_("What they did"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class JointActivityForm(StyledForm):
    activity = forms.IntegerField(label=_("Activity number"), min_value=1)


class ReportForm(StyledForm):
    side = forms.ChoiceField(label=_("Side"), choices=Side.choices)
    period = forms.CharField(label=pgettext_lazy("date range", "Period"), max_length=40)
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("File"), required=False)


class FundEditForm(VersionedForm):
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    date = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)


class PersonSentEditForm(VersionedForm):
    role = forms.ChoiceField(label=_("Role"), choices=PersonSent.Role.choices)
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until"), widget=DATE)
    work = forms.CharField(
        label=_("What they did"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReportEditForm(VersionedForm):
    period = forms.CharField(label=pgettext_lazy("date range", "Period"), max_length=40)
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 6}))
