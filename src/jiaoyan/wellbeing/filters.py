"""Filters of the screening lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm

from .models import Alert, Campaign, ConcernLevel, FollowUpCase


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


class FollowUpFilter(df.FilterSet):
    status = df.ChoiceFilter(
        label=_("Status"), choices=FollowUpCase.Status.choices, empty_label=_("All statuses")
    )
    level = df.ChoiceFilter(
        label=_("Concern level"), choices=ConcernLevel.choices, empty_label=_("All levels")
    )
    escalation = df.ChoiceFilter(
        label=_("Escalation"),
        choices=FollowUpCase.Escalation.choices[1:],
        empty_label=_("All"),
    )

    class Meta:
        model = FollowUpCase
        fields: list[str] = []
        form = FilterForm
