"""Forms of the governance pages (export requests)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiaoyan.core import restricted
from jiaoyan.core.forms import StyledForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.orgs.models import OrgUnit

from .models import ExportRequest


class ExportRequestForm(StyledForm):
    what = forms.ChoiceField(label=_("Data"), choices=ExportRequest.What.choices)
    reason = forms.CharField(label=_("Reason"), max_length=restricted.REASON_MAX)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        paths = restricted.permitted_paths(user, restricted.WELLBEING)
        units = OrgUnit.objects.filter(path__in=paths).order_by("path")
        self.fields = {
            "org_unit": reference_field(user, OrgUnit, queryset=units, label=_("Data of")),
            **self.fields,
        }
        self.style_fields()
