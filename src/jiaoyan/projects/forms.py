"""Forms of the project pages. Units, people and calls are typed as ids, codes or staff
numbers (or chosen from scoped choices) and found by the services through the scoped
resolver."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.scope import units_where

from .models import Grade, Level, ProjectCall, Review, Stage, StageDocument

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CallFields(forms.Form):
    title = forms.CharField(label=pgettext_lazy("call", "Title"), max_length=120)
    level = forms.ChoiceField(label=_("Project level"), choices=Level.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("Applications open on"), widget=DATE)
    closes_on = forms.DateField(label=_("Applications close on"), widget=DATE)
    default_quota = forms.IntegerField(
        label=_("Applications per unit"), min_value=0, max_value=1000, initial=3
    )
    forwarding = forms.BooleanField(
        label=_("The counties forward their schools' applications within their quotas"),
        required=False,
    )
    topics = forms.CharField(
        label=_("Topics (one per line)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description = forms.CharField(
        label=pgettext_lazy("call", "Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class CallForm(StyledForm, CallFields):
    org_unit = forms.TypedChoiceField(label=_("Approving unit"), coerce=int)

    field_order = ["title", "org_unit"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_where(user, "add", ProjectCall).order_by("path")[:300]
        self.fields["org_unit"].choices = [(u.pk, u.name) for u in units]


class CallEditForm(VersionedForm, CallFields):
    pass


class QuotaForm(StyledForm):
    unit = forms.CharField(label=_("Unit (code)"), max_length=40)
    quota = forms.IntegerField(
        label=_("Applications (empty: the default)"), required=False, min_value=0
    )


class ApplyForm(StyledForm):
    title = forms.CharField(label=pgettext_lazy("project", "Title"), max_length=150)
    call = forms.TypedChoiceField(
        label=_("Call for projects"), coerce=int, required=False, empty_value=None
    )
    level = forms.ChoiceField(
        label=_("Project level (without a call)"),
        choices=[("", "—"), *Level.choices],
        required=False,
    )
    approving_unit = forms.CharField(
        label=_("Approving unit code (without a call)"), max_length=40, required=False
    )
    org_unit = forms.CharField(
        label=_("Host unit code (empty: the PI's unit)"), max_length=40, required=False
    )
    pi = forms.CharField(
        label=_("PI's staff number (empty: yourself)"), max_length=40, required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=40, required=False)
    theme = forms.CharField(label=_("Theme"), max_length=100, required=False)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    members = forms.CharField(
        label=_("Members' staff numbers (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    budget = forms.DecimalField(
        label=_("Budget (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    opening_due = forms.DateField(label=_("Opening report due"), widget=DATE, required=False)
    midterm_due = forms.DateField(label=_("Mid-term check due"), widget=DATE, required=False)
    conclusion_due = forms.DateField(label=_("Conclusion due"), widget=DATE, required=False)
    application_form = forms.FileField(label=_("Application form"), required=False)

    def __init__(self, *args, calls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].choices = [("", "—"), *((c.pk, c.title) for c in calls)]

    def clean_members(self):
        lines = [s.strip() for s in self.cleaned_data.get("members", "").splitlines()]
        return [{"person": s} for s in lines if s]


class ExpertsForm(StyledForm):
    experts = forms.CharField(
        label=_("Experts' staff numbers (separated by spaces or commas)"), max_length=500
    )
    due_on = forms.DateField(label=_("Deadline"), widget=DATE, required=False)

    def clean_experts(self):
        text = self.cleaned_data["experts"].replace("，", ",").replace(",", " ")
        return [s for s in text.split() if s]


class DecideForm(StyledForm):
    projects = forms.TypedMultipleChoiceField(label=_("Applications"), coerce=int)
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    opinion = forms.CharField(label=_("Opinion"), max_length=1000, required=False)

    def __init__(self, *args, ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].choices = [(i, i) for i in ids]


class FileStageForm(StyledForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    report = forms.FileField(label=_("Report"), required=False)
    note = forms.CharField(
        label=_("Report summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AcceptStageForm(StyledForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    passed = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Accept")), ("0", _("Return to be filed again"))],
        coerce=lambda v: v == "1",
    )
    opinion = forms.CharField(label=_("Opinion"), max_length=1000, required=False)


class ConcludeForm(StyledForm):
    grade = forms.ChoiceField(label=_("Conclusion grade"), choices=Grade.choices)
    opinion = forms.CharField(label=_("Opinion"), max_length=1000, required=False)


class ExtendForm(StyledForm):
    due_on = forms.DateField(label=_("New deadline"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class TerminateForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DocumentForm(StyledForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    kind = forms.ChoiceField(label=_("Document"), choices=StageDocument.Kind.choices)
    file = forms.FileField(label=_("File"))


class ReviewForm(StyledForm):
    score = forms.DecimalField(
        label=_("Score (0–100)"), min_value=0, max_value=100, max_digits=5, decimal_places=1
    )
    verdict = forms.ChoiceField(
        label=_("Recommendation"), choices=[("", "—"), *Review.Verdict.choices], required=False
    )
    grade = forms.ChoiceField(
        label=_("Suggested grade"), choices=[("", "—"), *Grade.choices], required=False
    )
    opinion = forms.CharField(
        label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args, stage: str = Stage.REVIEW, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("grade" if stage == Stage.REVIEW else "verdict")
