"""The review rubric form: the owning unit (a scoped reference), a name, and the
criteria one per line — ``name | highest score | weight`` (the weight may be left out:
1). The service checks the values (:func:`.services._clean_criteria`)."""

from __future__ import annotations

import re
from typing import Any

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import FilterForm, VersionedForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit

from .models import ReviewRubric

#: The separators of a criterion's line (ASCII or full-width bar, a tab).
_SPLIT = re.compile(r"\s*[|｜\t]\s*")


def criteria_text(criteria: list[dict[str, Any]]) -> str:
    """The criteria as the form's lines."""
    lines = []
    for c in criteria:
        weight = c.get("weight", 1)
        parts = [c["name"], f"{c['max']:g}"]
        if weight != 1:
            parts.append(f"{weight:g}")
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_criteria(text: str) -> list[dict[str, str]]:
    """The lines of the form as criteria (values as typed: the service checks them)."""
    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = _SPLIT.split(line.strip())
        out.append(
            {
                "name": parts[0],
                "max": parts[1] if len(parts) > 1 else "",
                "weight": parts[2] if len(parts) > 2 else "",
            }
        )
    return out


class RubricForm(VersionedForm):
    name = forms.CharField(label=pgettext_lazy("rubric", "Name"), max_length=100)
    criteria = forms.CharField(
        label=_("Criteria"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One criterion per line: its name, its highest score and (optionally) its "
            "weight, separated by “|”, e.g. “Scientific accuracy | 25 | 1.5”. A review's "
            "total is the sum of each score times its weight."
        ),
    )

    def __init__(self, *args, user=None, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            units = units_where(user, "add", ReviewRubric).exclude(kind="school").order_by("path")
            self.fields["org_unit"] = reference_field(
                user, OrgUnit, queryset=units, label=_("Owning unit")
            )
            self.order_fields(["org_unit", "name", "criteria"])
        self.style_fields()

    def clean_criteria(self) -> list[dict[str, str]]:
        return parse_criteria(self.cleaned_data.get("criteria", ""))


class RubricFilter(df.FilterSet):
    is_active = df.BooleanFilter(
        label=_("In use"),
        widget=forms.Select(
            choices=[
                ("", _("All")),
                ("true", _("In use")),
                ("false", pgettext_lazy("rubric", "Retired")),
            ]
        ),
    )

    class Meta:
        model = ReviewRubric
        fields: list[str] = []
        form = FilterForm
