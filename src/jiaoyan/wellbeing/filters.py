"""Filters of the screening lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm

from .models import Alert, Campaign


class CampaignFilter(df.FilterSet):
    status = df.ChoiceFilter(
        label=_("Status"), choices=Campaign.Status.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = Campaign
        fields: list[str] = []
        form = FilterForm


class AlertFilter(df.FilterSet):
    status = df.ChoiceFilter(
        label=_("Status"), choices=Alert.Status.choices, empty_label=_("All statuses")
    )
    reason = df.ChoiceFilter(
        label=_("Reason"), choices=Alert.Reason.choices, empty_label=_("All reasons")
    )

    class Meta:
        model = Alert
        fields: list[str] = []
        form = FilterForm
