"""Forms of the self-review and the annual appraisal (their fields are the services'
keywords; references through core's scoped ``reference_field``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import StyledForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit

from .models import AppraisalIndicator, AppraisalScheme, Grade, Rating


def _bureaus(user):
    return reference_field(
        user,
        OrgUnit,
        label=_("Bureau"),
        queryset=units_where(user, "add", AppraisalScheme).filter(
            kind__in=[OrgUnit.Kind.BUREAU, OrgUnit.Kind.INSTITUTE]
        ),
    )


class StandardForm(StyledForm):
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("Bureau"))
    name = forms.CharField(label=_("Name"), max_length=100)
    dimensions = forms.CharField(
        label=_("Statements"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One statement a line: the dimension, a colon, the statement."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = _bureaus(user)


class SchemeForm(StyledForm):
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("Bureau"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    excellent_quota = forms.IntegerField(
        label=_("Quota of excellent"),
        min_value=0,
        required=False,
        help_text=_("Leave empty for no quota."),
    )
    excellent_min = forms.DecimalField(label=_("Lowest total for excellent"), initial=90)
    qualified_min = forms.DecimalField(label=_("Lowest total for qualified"), initial=75)
    basic_min = forms.DecimalField(label=_("Lowest total for basically qualified"), initial=60)
    exit_grades = forms.MultipleChoiceField(
        label=_("Grades calling for an exit review"),
        choices=[(g, label) for g, label in Grade.choices if g != Grade.EXCELLENT],
        initial=[Grade.UNQUALIFIED],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = _bureaus(user)


class IndicatorForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=AppraisalIndicator.Kind.choices)
    measure = forms.ChoiceField(
        label=_("Read from the work record"),
        choices=[("", "—"), *AppraisalIndicator.Measure.choices],
        required=False,
    )
    target = forms.DecimalField(label=_("Target (at least)"), required=False)
    max_score = forms.DecimalField(label=_("Full score"))


class SelfAssessForm(StyledForm):
    summary = forms.CharField(
        label=_("Self-assessment"), widget=forms.Textarea(attrs={"rows": 6}), max_length=4000
    )
    self_grade = forms.ChoiceField(
        label=_("Grade you propose"), choices=[("", "—"), *Grade.choices], required=False
    )


class ReviewForm(StyledForm):
    """A score and a comment for each scored indicator of the scheme, the grade (empty:
    the one the total earns) and the institute's comment."""

    grade = forms.ChoiceField(
        label=_("Appraisal grade"),
        choices=[("", _("By the total")), *Grade.choices],
        required=False,
    )
    comment = forms.CharField(
        label=_("Institute's comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, scheme: AppraisalScheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.scored = [
            i for i in scheme.indicators.all() if i.kind == AppraisalIndicator.Kind.SCORED
        ]
        for i in self.scored:
            self.fields[f"score_{i.code}"] = forms.DecimalField(
                label=f"{i.name}（{i.max_score}）", min_value=0, max_value=i.max_score
            )
            self.fields[f"comment_{i.code}"] = forms.CharField(
                label=_("Review comment"), max_length=500, required=False
            )

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            "scores": {i.code: d.get(f"score_{i.code}") for i in self.scored},
            "comments": {i.code: d.get(f"comment_{i.code}", "") for i in self.scored},
            "grade": d.get("grade", ""),
            "comment": d.get("comment", ""),
        }


class SelfReviewForm(StyledForm):
    """One choice of level per statement, evidence per dimension (records of the year's
    work record), a reflection; "submit" or save a draft."""

    reflection = forms.CharField(
        label=_("Reflection and plan"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, standard, evidence_choices, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard = standard
        self.groups = []
        for d in standard.dimensions:
            names = []
            for s in d["statements"]:
                name = f"rate_{s['code']}"
                self.fields[name] = forms.TypedChoiceField(
                    label=s["text"],
                    choices=[("", "—"), *Rating.choices],
                    coerce=int,
                    required=False,
                    initial=(review.ratings.get(s["code"]) if review else None),
                )
                names.append(name)
            ev = f"evidence_{d['code']}"
            self.fields[ev] = forms.MultipleChoiceField(
                label=_("Evidence from the work record"),
                choices=evidence_choices,
                required=False,
                initial=(review.evidence.get(d["code"], []) if review else []),
            )
            self.groups.append((d["name"], names, ev))
        if review:
            self.fields["reflection"].initial = review.reflection

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            "ratings": {
                s["code"]: d.get(f"rate_{s['code']}") for _dim, s in self.standard.statements()
            },
            "evidence": {
                dim["code"]: d.get(f"evidence_{dim['code']}", [])
                for dim in self.standard.dimensions
            },
            "reflection": d.get("reflection", ""),
        }

    def grouped(self):
        for name, rates, ev in self.groups:
            yield name, [self[n] for n in rates], self[ev]
