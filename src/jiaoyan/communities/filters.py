"""Filters of the community lists; choices limited to what the user can see."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter
from jiaoyan.orgs.filters import region_filter

from .models import Community, Kind, Level, Membership


class CommunityFilter(df.FilterSet):
    q = search_filter(_("name or code"), "name__icontains", "code__startswith")
    within = region_filter()
    kind = df.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("All kinds"))
    level = df.ChoiceFilter(label=_("Level"), choices=Level.choices, empty_label=_("All levels"))

    class Meta:
        model = Community
        fields = ["q", "within", "kind", "level"]
        form = FilterForm


class MembershipFilter(df.FilterSet):
    community = df.CharFilter(
        label=_("Community code"), field_name="community__code", lookup_expr="exact"
    )
    kind = df.ChoiceFilter(
        label=_("Kind"),
        field_name="community__kind",
        choices=Kind.choices,
        empty_label=_("All kinds"),
    )
    current = df.BooleanFilter(
        label=_("Current members only"), field_name="left_on", lookup_expr="isnull"
    )

    class Meta:
        model = Membership
        fields = ["community", "kind", "current"]
        form = FilterForm
