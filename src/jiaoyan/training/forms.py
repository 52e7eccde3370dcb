"""Forms of the training pages. Units and people are typed as codes or staff numbers (or
chosen from scoped choices) and found by the services through the scoped resolver."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.scope import units_where

from .models import Cohort, Programme
from .services import categories_for

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProgrammeFields(forms.Form):
    title = forms.CharField(label=pgettext_lazy("programme", "Title"), max_length=120)
    cohorts = forms.MultipleChoiceField(
        label=_("Cohorts"), choices=Cohort.choices, widget=forms.CheckboxSelectMultiple
    )
    tier = forms.ChoiceField(label=_("Tier"), choices=Programme.Tier.choices)
    format = forms.ChoiceField(label=_("Format"), choices=Programme.Format.choices)
    category = forms.TypedChoiceField(
        label=_("Hours category"), required=False, coerce=int, empty_value=None
    )
    capacity = forms.IntegerField(label=_("Capacity"), required=False, min_value=1)
    mode = forms.ChoiceField(label=_("Enrolment"), choices=Programme.Mode.choices)
    min_attendance = forms.IntegerField(
        label=_("Minimum attendance (%)"), initial=80, min_value=0, max_value=100
    )
    assignment_required = forms.BooleanField(label=_("Assignment required"), required=False)
    assignment_pass_mark = forms.DecimalField(
        label=_("Assignment pass mark"), required=False, max_digits=5, decimal_places=1
    )
    test_pass_mark = forms.DecimalField(
        label=_("Test pass mark (empty: no test)"), required=False, max_digits=5, decimal_places=1
    )
    hours_mode = forms.ChoiceField(label=_("Hours granted"), choices=Programme.HoursMode.choices)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ProgrammeForm(StyledForm, ProgrammeFields):
    org_unit = forms.TypedChoiceField(label=_("Organiser"), coerce=int)

    field_order = ["title", "org_unit"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = list(units_where(user, "add", Programme).order_by("path")[:300])
        self.fields["org_unit"].choices = [(u.pk, u.name) for u in units]
        cats = {}
        for u in units[:20]:
            for c in categories_for(u):
                cats[c.pk] = c.name
        self.fields["category"].choices = [("", "—"), *cats.items()]


class ProgrammeEditForm(VersionedForm, ProgrammeFields):
    def __init__(self, *args, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", "—"),
            *((c.pk, c.name) for c in categories_for(programme.org_unit)),
        ]


class SessionForm(StyledForm):
    title = forms.CharField(label=pgettext_lazy("session", "Title"), max_length=120)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME)
    hours = forms.DecimalField(label=_("Hours"), max_digits=4, decimal_places=1)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    link = forms.CharField(label=_("Online link"), max_length=300, required=False)


class QuotaForm(StyledForm):
    school = forms.CharField(label=_("School (unit code)"), max_length=20)
    seats = forms.IntegerField(label=_("Seats"), min_value=0)


class PersonForm(StyledForm):
    person = forms.CharField(label=_("Staff number"), max_length=32)


class InviteForm(StyledForm):
    people = forms.CharField(
        label=_("Staff numbers"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or more, separated by spaces or commas."),
    )

    def clean_people(self):
        raw = self.cleaned_data["people"].replace("，", ",").replace(",", " ")
        return [v for v in raw.split() if v]


class AssignmentForm(StyledForm):
    title = forms.CharField(label=pgettext_lazy("assignment", "Title"), max_length=120)
    deadline = forms.DateTimeField(label=_("Deadline"), widget=DATETIME)
    max_score = forms.DecimalField(label=_("Full marks"), initial=100, max_digits=5)
    instructions = forms.CharField(
        label=_("Instructions"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class SubmitForm(StyledForm):
    text = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    file = forms.FileField(label=_("File"), required=False)


class GradeForm(StyledForm):
    score = forms.DecimalField(label=_("Score"), required=False, max_digits=5, decimal_places=1)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    return_it = forms.BooleanField(label=_("Return for resubmission"), required=False)


class FeedbackForm(StyledForm):
    session = forms.TypedChoiceField(
        label=pgettext_lazy("feedback", "About"), coerce=int, required=False, empty_value=None
    )
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)]
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [
            ("", _("The whole programme")),
            *((s.pk, s.title) for s in sessions),
        ]


class AdjustForm(StyledForm):
    hours = forms.DecimalField(label=_("Adjustment (hours, may be negative)"), max_digits=5)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CheckinForm(StyledForm):
    code = forms.CharField(
        label=pgettext_lazy("check-in", "Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "form-control form-control-lg text-center",
            }
        ),
    )


class TestScoresForm(StyledForm):
    scores = forms.CharField(
        label=_("Test scores"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per person: staff number and score, e.g. T002 86."),
    )

    def clean_scores(self):
        out = {}
        for line in self.cleaned_data["scores"].splitlines():
            parts = line.replace("，", " ").replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(_("Write a staff number and a score on each line."))
            out[parts[0]] = parts[1]
        return out


class UploadForm(StyledForm):
    file = forms.FileField(label=_("Attendance sheet (.xlsx)"))
    valid_only = forms.BooleanField(label=_("Import the valid rows only"), required=False)
