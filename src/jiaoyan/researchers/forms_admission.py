"""Forms of admission (准入). The round's requirements are typed as fields (each kind at
most once) and handed to the service as the list it checks; every reference is a scoped
choice through the scoped resolver."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.orgs.models import OrgUnit, Stage, Subject
from jiaoyan.people.models import Honour, Person

from . import admission
from .forms import DATE, _offices
from .models import AdmissionRound, ResearcherProfile

REQUIREMENT_FIELDS = (
    "min_years",
    "min_title",
    "honour",
    "honour_level",
    "demo_lesson_pass",
    "written_test_pass",
    "interview",
)


class RoundForm(VersionedForm):
    org_unit = forms.ModelChoiceField(label=_("Bureau"), queryset=OrgUnit.objects.none())
    institute = forms.ModelChoiceField(
        label=_("Appointed to institute"), queryset=OrgUnit.objects.none()
    )
    title = forms.CharField(label=pgettext_lazy("admission", "Title"), max_length=100)
    subject = forms.ModelChoiceField(
        label=_("Subject"), queryset=Subject.objects.all(), required=False
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.all(), required=False)
    employment = forms.ChoiceField(
        label=_("Employment"), choices=ResearcherProfile.Employment.choices
    )
    places = forms.IntegerField(label=_("Places"), initial=1)
    opens_on = forms.DateField(label=_("Applications from"), widget=DATE)
    closes_on = forms.DateField(label=_("Applications until"), widget=DATE)
    min_years = forms.IntegerField(
        label=_("Years of teaching at least"),
        required=False,
        help_text=_("Checked from the date teaching began in the people records."),
    )
    min_title = forms.ChoiceField(
        label=_("Professional title at least"),
        required=False,
        choices=[("", "—"), *[(t, Person.Title(t).label) for t in admission.TITLE_RANK]],
        help_text=_("Checked from the people records."),
    )
    honour = forms.ChoiceField(
        label=_("Honour required"),
        required=False,
        choices=[("", "—"), *Honour.Title.choices],
        help_text=_("Checked from the honours in the people records."),
    )
    honour_level = forms.ChoiceField(
        label=_("Honour level at least"),
        required=False,
        choices=[("", "—"), *Honour.Level.choices],
    )
    demo_lesson_pass = forms.IntegerField(
        label=_("Demonstration lesson: pass mark"),
        required=False,
        help_text=_("Scored by the reviewers, 0–100."),
    )
    written_test_pass = forms.IntegerField(
        label=_("Written test: pass mark"),
        required=False,
        help_text=_("Scored by the reviewers, 0–100."),
    )
    interview = forms.BooleanField(
        label=pgettext_lazy("admission", "Interview"),
        required=False,
        help_text=_("Passed or not, recorded by the reviewers."),
    )
    notes = forms.CharField(
        label=pgettext_lazy("admission", "Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=_offices(user, AdmissionRound), label=_("Bureau")
        )
        self.fields["institute"] = reference_field(
            user, OrgUnit, queryset=_offices(user), label=_("Appointed to institute")
        )
        self.style_fields()

    @staticmethod
    def initial_of(rnd: AdmissionRound) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for r in rnd.requirements:
            kind = r["kind"]
            if kind == admission.YEARS:
                values["min_years"] = r["years"]
            elif kind == admission.TITLE:
                values["min_title"] = r["title"]
            elif kind == admission.HONOUR:
                values["honour"], values["honour_level"] = r["honour"], r["level"]
            elif kind == admission.DEMO_LESSON:
                values["demo_lesson_pass"] = r["pass_mark"]
            elif kind == admission.WRITTEN_TEST:
                values["written_test_pass"] = r["pass_mark"]
            elif kind == admission.INTERVIEW:
                values["interview"] = True
        return values


def service_values(data: dict[str, Any]) -> dict[str, Any]:
    """The round form's data as the service's keywords: the requirement fields become
    the ``requirements`` list."""
    data = dict(data)
    fields = {k: data.pop(k, None) for k in REQUIREMENT_FIELDS}
    reqs: list[dict[str, Any]] = []
    if fields["min_years"] not in (None, ""):
        reqs.append({"kind": admission.YEARS, "years": fields["min_years"]})
    if fields["min_title"]:
        reqs.append({"kind": admission.TITLE, "title": fields["min_title"]})
    if fields["honour"] or fields["honour_level"]:
        reqs.append(
            {"kind": admission.HONOUR, "honour": fields["honour"], "level": fields["honour_level"]}
        )
    if fields["demo_lesson_pass"] not in (None, ""):
        reqs.append({"kind": admission.DEMO_LESSON, "pass_mark": fields["demo_lesson_pass"]})
    if fields["written_test_pass"] not in (None, ""):
        reqs.append({"kind": admission.WRITTEN_TEST, "pass_mark": fields["written_test_pass"]})
    if fields["interview"]:
        reqs.append({"kind": admission.INTERVIEW})
    data["requirements"] = reqs
    return data


class ApplyForm(StyledForm):
    statement = forms.CharField(
        label=_("Statement"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Your teaching, research and why you apply."),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        help_text=_("A certificate, a lesson design … more files can be added afterwards."),
    )


class EvidenceForm(StyledForm):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReviewForm(StyledForm):
    kind = forms.ChoiceField(label=_("Requirement"), choices=())
    score = forms.DecimalField(label=_("Score"), required=False, max_digits=5, decimal_places=1)
    passed = forms.TypedChoiceField(
        label=_("Interview result"),
        required=False,
        choices=[
            ("", "—"),
            ("yes", pgettext_lazy("interview", "Passed")),
            ("no", pgettext_lazy("interview", "Not passed")),
        ],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
    )
    comment = forms.CharField(
        label=pgettext_lazy("admission", "Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, admission.kind_label(k)) for k in kinds]
        if admission.INTERVIEW not in kinds:
            del self.fields["passed"]
        if not set(kinds) & set(admission.SCORED):
            del self.fields["score"]


class DecideForm(StyledForm):
    appoint = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("yes", _("Appoint")), ("no", _("Do not appoint"))],
        coerce=lambda v: v == "yes",
    )
    start_date = forms.DateField(label=_("Appointed from"), widget=DATE, required=False)
    reasons = forms.CharField(
        label=_("Reasons"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
