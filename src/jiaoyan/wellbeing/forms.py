from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.core.resolve import candidates, reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit

from .models import Campaign, Scale


def _numbers(text: str) -> list[int]:
    parts = [p for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise forms.ValidationError(_("Grades are numbers from 1 to 12.")) from None


class CampaignForm(StyledForm):
    name = forms.CharField(label=_lazy("Name"), max_length=100)
    org_unit = forms.Field(label=_lazy("Run by"))
    schools = forms.ModelMultipleChoiceField(
        label=_lazy("Schools"), queryset=OrgUnit.objects.none()
    )
    scales = forms.MultipleChoiceField(label=_lazy("Scales"), choices=())
    grades = forms.CharField(
        label=_lazy("Grades"), required=False, help_text=_lazy("e.g. 7,8,9; empty: every grade")
    )
    classes = forms.CharField(
        label=_lazy("Classes"), required=False, help_text=_lazy("e.g. 1班,2班; empty: every class")
    )
    starts_at = forms.DateTimeField(label=_lazy("Opens at"))
    ends_at = forms.DateTimeField(label=_lazy("Closes at"))
    notice = forms.CharField(
        label=_lazy("Notice to parents"), widget=forms.Textarea, required=False
    )
    opt_out = forms.BooleanField(label=_lazy("Parents may opt out"), required=False, initial=True)
    help_text = forms.CharField(
        label=_lazy("Help-line text"),
        widget=forms.Textarea,
        required=False,
        help_text=_lazy("Shown to every student after handing in."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from .queries import scales_for

        runners = units_where(user, "add", Campaign)
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=runners, label=_lazy("Run by")
        )
        self.fields["schools"].queryset = candidates(
            user, OrgUnit, OrgUnit.objects.filter(level=OrgUnit.Level.SCHOOL)
        ).order_by("path")
        self.fields["scales"].choices = [(s.code, s.name) for s in scales_for(user)]
        self.style_fields()

    def clean_grades(self):
        return _numbers(self.cleaned_data.get("grades") or "")

    def clean_classes(self):
        text = (self.cleaned_data.get("classes") or "").replace("，", ",").replace("、", ",")
        return [c.strip() for c in text.split(",") if c.strip()]


class ScaleForm(StyledForm):
    org_unit = forms.Field(label=_lazy("Owner"))
    code = forms.CharField(label=_lazy("Code"), max_length=20)
    name = forms.CharField(label=_lazy("Name"), max_length=100)
    licence = forms.CharField(label=_lazy("Licence"), max_length=200, required=False)
    definition = forms.CharField(
        label=_lazy("Definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_lazy(
            "items, options (label, score), reverse, factors, cutoffs (key, label, low, high), "
            "crisis, min_seconds, identical_invalid, age_min, age_max, source"
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=units_where(user, "add", Scale), label=_lazy("Owner")
        )
        self.style_fields()

    def clean_definition(self):
        try:
            data = json.loads(self.cleaned_data["definition"])
        except ValueError:
            raise forms.ValidationError(_("The definition is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The definition must be an object."))
        return data


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_lazy("Why do you need to read this record?"), max_length=200)


class HandleAlertForm(VersionedForm):
    note = forms.CharField(
        label=_lazy("What was done"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class OptOutForm(StyledForm):
    note = forms.CharField(label=_lazy("Note"), required=False, max_length=500)


class CodeForm(StyledForm):
    code = forms.CharField(label=_lazy("Your code"), max_length=20, required=False)
    class_code = forms.CharField(label=_lazy("Class code"), max_length=20, required=False)
    key = forms.CharField(label=_lazy("Your student number"), max_length=40, required=False)


class AnswerForm(forms.Form):
    """One screen's POST: the answer to step ``step``, or the hand-in."""

    step = forms.IntegerField(required=False, min_value=0)
    answer = forms.CharField(required=False, max_length=4)
    hand_in = forms.BooleanField(required=False)


class PaperForm(StyledForm):
    """One text field per scale: the answers as digits (``0120…``) or comma-separated."""

    def __init__(self, *args, scales, **kwargs):
        super().__init__(*args, **kwargs)
        for scale in scales:
            self.fields[scale.code] = forms.CharField(
                label=f"{scale.name}（{scale.n_items}）",
                help_text=_lazy("One digit per item, e.g. 0120312"),
            )
        self.style_fields()

    def answers(self) -> dict[str, list[int]]:
        out = {}
        for code in self.fields:
            text = self.cleaned_data.get(code, "")
            parts = [p for p in text.replace("，", ",").replace(" ", ",").split(",") if p]
            if len(parts) == 1:
                parts = list(parts[0])
            try:
                out[code] = [int(p) for p in parts]
            except ValueError:
                out[code] = [-1]
        return out
