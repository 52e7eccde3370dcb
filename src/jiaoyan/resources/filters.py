"""Filters of the resource library lists."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, fulltext_filter
from jiaoyan.orgs.models import Stage, Subject

from .models import Honour, Kind, Recommendation, Resource, Review, Status

#: The tie-break of a searched library: uses in lessons (resources/use.py), newest first.
USE_TIE_BREAK = ("-use_count", "-published_at")


def honoured_q(level: str):
    """Resources honoured at ``level`` (校优/县优/市优 …) in an announced round: a
    subquery, no extra query. The honour is seen wherever the resource is, so the
    caller's scoped rows need no further condition."""
    return Q(pk__in=Recommendation.objects.filter(honoured=True, level=level).values("resource_id"))


def _honour(qs, name, value):
    return qs.filter(honoured_q(value)) if value else qs


class ResourceFilter(df.FilterSet):
    # Best match first; among equal matches, the most used in lessons.
    q = fulltext_filter(_("title, summary, authors, themes …"), then=USE_TIE_BREAK)
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
    honour = df.ChoiceFilter(
        label=_("Honour"), choices=Honour.choices, empty_label=_("Any honour"), method=_honour
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
