"""Forms of the quality pages (they validate shape; services validate rules)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import StyledForm, VersionedForm
from jiaoyan.orgs.models import Stage

from .models import DEFAULT_CUTOFFS, Exam

SUBJECT_LINE = re.compile(r"^\s*(?P<name>[^\s:：,，]+)\s*[:：,，\s]\s*(?P<full>\d+(\.\d+)?)\s*$")


class ExamForm(StyledForm):
    name = forms.CharField(label=_("Exam name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Exam.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.exclude(code="preschool"), to_field_name="code"
    )
    grade = forms.IntegerField(label=_("Grade"), min_value=1, max_value=12)
    org_unit = forms.ChoiceField(label=_("Owner unit"))
    subjects = forms.CharField(
        label=_("Subjects and full marks"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One subject a line: name, then full marks, e.g. “语文 120”."),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = [(u.pk, u.name) for u in units]

    def clean_subjects(self) -> list[dict]:
        result = []
        for i, line in enumerate(self.cleaned_data["subjects"].splitlines(), 1):
            if not line.strip():
                continue
            m = SUBJECT_LINE.match(line)
            if not m:
                raise forms.ValidationError(
                    _("Line %(n)d: write the subject name, then its full marks.") % {"n": i}
                )
            result.append({"name": m["name"], "full_marks": float(m["full"])})
        if not result:
            raise forms.ValidationError(_("List at least one subject."))
        return result


def _fraction(label):
    return forms.FloatField(
        label=label, min_value=0.01, max_value=1, widget=forms.NumberInput(attrs={"step": "0.01"})
    )


def _weight(label):
    return forms.FloatField(
        label=label, min_value=0, max_value=10, widget=forms.NumberInput(attrs={"step": "0.05"})
    )


class SettingsForm(VersionedForm):
    excellent_cut = _fraction(_("Excellent (fraction of full marks)"))
    good_cut = _fraction(_("Good"))
    pass_cut = _fraction(_("Pass"))
    low_cut = _fraction(_("Low (below this)"))
    weight_mean = _weight(_("Weight of the mean (as a share of full marks)"))
    weight_excellent = _weight(_("Weight of the excellent rate"))
    weight_pass = _weight(_("Weight of the pass rate"))
    weight_low = _weight(_("Weight of the non-low rate (1 − low rate)"))

    def __init__(self, *args, subjects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.subjects = list(subjects)
        for s in self.subjects:
            self.fields[f"subject_{s.pk}"] = forms.CharField(
                label=s.name,
                required=False,
                help_text=_(
                    "Own cut-offs: excellent / good / pass / low, e.g. 0.9/0.75/0.6/0.3; "
                    "empty = the exam's."
                ),
            )

    def subject_cutoffs(self) -> dict[int, dict | None]:
        out: dict[int, dict | None] = {}
        for s in self.subjects:
            raw = (self.cleaned_data.get(f"subject_{s.pk}") or "").strip()
            if not raw:
                out[s.pk] = None
                continue
            parts = re.split(r"[/,，\s]+", raw)
            try:
                values = [float(p) for p in parts if p]
            except ValueError:
                values = []
            if len(values) != 4:
                self.add_error(
                    f"subject_{s.pk}", _("Write four fractions: excellent / good / pass / low.")
                )
                continue
            out[s.pk] = dict(zip(["excellent", "good", "pass", "low"], values, strict=True))
        return out


DEFAULT_NOTE = DEFAULT_CUTOFFS


class UploadForm(StyledForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("Excel (.xlsx, .xls), OpenDocument (.ods) or CSV (UTF-8 or GB18030)."),
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows, skip the wrong ones"), required=False
    )


class ItemUploadForm(UploadForm):
    subject = forms.ChoiceField(label=_("Subject"))

    def __init__(self, *args, subjects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [(s.pk, s.name) for s in subjects]
        self.order_fields(["subject", "file", "valid_only"])


class PairForm(forms.Form):
    entry = forms.ChoiceField(label=_("Entry exam"))
    exit = forms.ChoiceField(label=_("Exit exam"))

    def __init__(self, *args, exams=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(e.pk, f"{e.date:%Y-%m} {e.name}") for e in exams]
        for f in ("entry", "exit"):
            self.fields[f].choices = choices
            self.fields[f].widget.attrs["class"] = "form-select"
