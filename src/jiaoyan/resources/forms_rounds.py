"""Forms and list filters of the recommendation rounds' pages. Units and resources are
scoped reference fields (``core.resolve``)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import FilterForm, StyledForm
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.models import OrgUnit

from .models import Honour, Kind, Recommendation, RecommendationRound, Resource

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(StyledForm):
    title = forms.CharField(label=pgettext_lazy("round", "Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of resource"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    opens_on = forms.DateField(label=_("Recommendations open on"), widget=DATE)
    closes_on = forms.DateField(label=_("Recommendations close on"), widget=DATE)
    school_quota = forms.IntegerField(label=_("Quota per school"), min_value=0, initial=3)
    county_quota = forms.IntegerField(label=_("Quota per county"), min_value=0, initial=10)
    city_quota = forms.IntegerField(label=_("Quota of the city"), min_value=0, initial=20)
    one_per_teacher_node = forms.BooleanField(
        label=_("One entry per teacher per chapter"), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = (
            units_where(user, "add", RecommendationRound)
            .filter(level__in=("county", "city", "province"))
            .exclude(kind__in=("school", "other"))
            .order_by("path")
        )
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=units, label=_("Running unit")
        )
        self.order_fields(["org_unit", "title"])
        self.style_fields()


class RecommendForm(StyledForm):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"] = reference_field(user, Resource, label=_("Resource"))
        self.fields["unit"] = reference_field(
            user, OrgUnit, label=_("Recommending unit"), required=False
        )


class QuotaForm(StyledForm):
    quota = forms.IntegerField(
        label=_("Quota"), min_value=0, required=False, help_text=_("Empty: the level's quota.")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = reference_field(
            user,
            OrgUnit,
            label=_("School or county"),
            widget=forms.TextInput,
            help_text=_("The unit's code."),
        )
        self.order_fields(["unit", "quota"])
        self.style_fields()


class RoundFilter(df.FilterSet):
    title = df.CharFilter(label=pgettext_lazy("round", "Title"), lookup_expr="icontains")

    class Meta:
        model = RecommendationRound
        fields: list[str] = []
        form = FilterForm


class CandidateFilter(df.FilterSet):
    kind = df.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("All kinds"))

    class Meta:
        model = Resource
        fields: list[str] = []
        form = FilterForm


class EntryFilter(df.FilterSet):
    level = df.ChoiceFilter(label=_("Level"), choices=Honour.choices, empty_label=_("All levels"))

    class Meta:
        model = Recommendation
        fields: list[str] = []
        form = FilterForm
