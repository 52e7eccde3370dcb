"""Filters of the resource library lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, fulltext_filter
from jiaoyan.orgs.models import Stage, Subject

from .models import Kind, Resource, Review, Status


class ResourceFilter(df.FilterSet):
    q = fulltext_filter(_("title, summary, authors, themes …"))
    kind = df.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("All kinds"))
    stage = df.ModelChoiceFilter(
        label=_("Stage"), queryset=Stage.objects.all(), empty_label=_("All stages")
    )
    subject = df.ModelChoiceFilter(
        label=_("Subject"), queryset=Subject.objects.all(), empty_label=_("All subjects")
    )
    status = df.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = Resource
        fields: list[str] = []
        form = FilterForm


class ReviewFilter(df.FilterSet):
    status = df.ChoiceFilter(
        label=_("Status"), choices=Review.State.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = Review
        fields: list[str] = []
        form = FilterForm
