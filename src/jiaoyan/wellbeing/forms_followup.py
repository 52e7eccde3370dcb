"""Forms of the follow-up workflow (each step a versioned form; the reason the reader gave
rides along so that the case page comes back without asking again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.forms import VersionedForm

from .models import ConcernLevel, FollowUpCase

_TEXT = {"rows": 3}
_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class StepForm(VersionedForm):
    reason = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)


class InterviewForm(VersionedForm):
    on = forms.DateField(label=_lazy("Interview date"), widget=_DATE)
    level = forms.ChoiceField(label=_lazy("Concern level"), choices=ConcernLevel.choices)
    assessment = forms.CharField(
        label=_lazy("Assessment"), widget=forms.Textarea(attrs=_TEXT), max_length=4000
    )
    plan = forms.CharField(label=_lazy("Plan"), widget=forms.Textarea(attrs=_TEXT), max_length=4000)
    every_days = forms.IntegerField(
        label=_lazy("Follow up every (days)"), min_value=1, max_value=180, initial=14
    )
    review = forms.BooleanField(
        label=_lazy("Ask the district to review"),
        required=False,
        help_text=_lazy("A crisis level is always reviewed by the district."),
    )


class ReviewForm(StepForm):
    note = forms.CharField(
        label=_lazy("Review note"), widget=forms.Textarea(attrs=_TEXT), max_length=4000
    )


class ReferralForm(StepForm):
    institution = forms.CharField(label=_lazy("Institution"), max_length=200)
    on = forms.DateField(label=_lazy("Referral date"), widget=_DATE)
    outcome = forms.CharField(
        label=_lazy("Referral outcome"),
        required=False,
        widget=forms.Textarea(attrs=_TEXT),
        max_length=4000,
    )


class VisitForm(StepForm):
    on = forms.DateField(label=_lazy("Visit date"), widget=_DATE)
    level = forms.ChoiceField(label=_lazy("Concern level"), choices=ConcernLevel.choices)
    note = forms.CharField(label=_lazy("Note"), widget=forms.Textarea(attrs=_TEXT), max_length=4000)


class CloseForm(StepForm):
    close_reason = forms.ChoiceField(
        label=_lazy("Closed because"), choices=FollowUpCase.CloseReason.choices
    )
    note = forms.CharField(
        label=_lazy("Note"), required=False, widget=forms.Textarea(attrs=_TEXT), max_length=4000
    )
