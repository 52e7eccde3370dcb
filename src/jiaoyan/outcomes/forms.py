"""Forms of the outcomes pages. Units, communities, activities and experts are scoped
reference fields (``core.resolve``); authors are typed as staff numbers and found by the
view through the scoped resolver."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.activities.models import Activity
from jiaoyan.communities.models import Community
from jiaoyan.core.forms import FilterForm, StyledForm, VersionedForm, search_filter, year_filter
from jiaoyan.core.resolve import reference_field
from jiaoyan.core.scope import units_where
from jiaoyan.orgs.filters import region_filter
from jiaoyan.orgs.models import OrgUnit
from jiaoyan.people.models import Person
from jiaoyan.projects.models import Project

from .models import Adoption, Kind, Outcome, PointLevel, PointRule, SelectionRound
from .points import RULES


class OutcomeFields(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    title = forms.CharField(label=pgettext_lazy("outcome", "Title"), max_length=120)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    authors = forms.CharField(
        label=_("Authors"),
        required=False,
        help_text=_("Staff numbers separated by commas; empty: yourself."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"] = reference_field(
            user,
            Community,
            label=_("Community"),
            required=False,
            help_text=_("The community the outcome came from (optional)."),
        )
        self.fields["project"] = reference_field(
            user,
            Project,
            label=_("Research project"),
            required=False,
            help_text=_("The research project the outcome came from (optional)."),
        )


class OutcomeForm(StyledForm, OutcomeFields):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        units = units_where(user, "add", Outcome).order_by("path")
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=units, label=_("Submitting unit")
        )
        self.order_fields(["org_unit", "kind", "title", "year", "summary", "authors"])
        self.style_fields()


class OutcomeEditForm(VersionedForm, OutcomeFields):
    pass


class FileForm(StyledForm):
    file = forms.FileField(label=_("File"))


class PromotionForm(StyledForm):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    event = forms.CharField(label=_("Event"), max_length=120, required=False)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, initial=0)
    demonstration = forms.BooleanField(label=_("Demonstration at an activity"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = reference_field(
            user,
            OrgUnit,
            label=_("Where"),
            help_text=_("The unit's code or number."),
            widget=forms.TextInput,
        )
        self.fields["activity"] = reference_field(
            user,
            Activity,
            label=_("Activity"),
            required=False,
            widget=forms.TextInput,
            help_text=_("The research activity's number (optional)."),
        )
        self.order_fields(["org_unit", "date", "event", "activity", "participants"])
        self.style_fields()


class AdoptionForm(StyledForm):
    adopted_on = forms.DateField(
        label=_("Adopted on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    feedback = forms.CharField(
        label=_("Feedback"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    rating = forms.IntegerField(label=_("Rating (1–5)"), min_value=1, max_value=5, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_where(user, "add", Adoption).filter(kind="school")
        self.fields["org_unit"] = reference_field(
            user,
            OrgUnit,
            queryset=units,
            label=_("Adopting unit"),
            help_text=_("The unit's code or number."),
            widget=forms.TextInput,
        )
        self.order_fields(["org_unit", "adopted_on", "feedback", "rating"])
        self.style_fields()


class RoundForm(StyledForm):
    title = forms.CharField(label=pgettext_lazy("round", "Title"), max_length=100)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of outcome"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    opens_on = forms.DateField(
        label=_("Recommendations open on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=_("Recommendations close on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    school_quota = forms.IntegerField(label=_("Quota per school"), min_value=0, initial=3)
    county_quota = forms.IntegerField(label=_("Quota per county"), min_value=0, initial=10)
    city_quota = forms.IntegerField(label=_("Quota of the city"), min_value=0, initial=20)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_where(user, "add", SelectionRound).filter(
            level__in=("county", "city", "province")
        )
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=units.order_by("path"), label=_("Running unit")
        )
        self.order_fields(["org_unit", "title", "year", "kinds"])
        self.style_fields()


class RecommendForm(StyledForm):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, outcomes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"] = reference_field(
            user, Outcome, queryset=outcomes, label=_("Outcome"), widget=forms.TextInput
        )
        self.order_fields(["outcome", "note"])
        self.style_fields()


class ExpertForm(StyledForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"] = reference_field(
            user,
            Person,
            queryset=Person.objects.filter(user__isnull=False),
            label=_("Expert"),
            help_text=_("Staff number of the expert."),
            widget=forms.TextInput,
        )
        self.style_fields()


class ScoreForm(StyledForm):
    score = forms.DecimalField(label=_("Score"), min_value=0, max_value=100, decimal_places=2)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class PointRuleForm(StyledForm):
    code = forms.ChoiceField(label=_("Rule"))
    level = forms.ChoiceField(label=_("Level"), choices=PointLevel.choices, required=False)
    points = forms.DecimalField(label=_("Points"), min_value=0, max_value=1000, decimal_places=1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(k, str(v)) for k, v in RULES.items()]
        units = units_where(user, "add", PointRule).filter(kind="bureau")
        self.fields["org_unit"] = reference_field(
            user, OrgUnit, queryset=units.order_by("path"), label=_("Bureau")
        )
        self.order_fields(["org_unit", "code", "level", "points"])
        self.style_fields()


# --- list filters ---------------------------------------------------------------------------


class OutcomeFilter(df.FilterSet):
    q = search_filter(_("title or unit"), "title__icontains", "org_unit__name__icontains")
    kind = df.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("All kinds"))
    year = year_filter(_("Year"), method="filter_year")

    class Meta:
        model = Outcome
        fields: list[str] = []
        form = FilterForm

    def filter_year(self, qs, name, value):
        return qs.filter(year=value) if value else qs


class RoundFilter(df.FilterSet):
    year = year_filter(_("Year"), method="filter_year")

    class Meta:
        model = SelectionRound
        fields: list[str] = []
        form = FilterForm

    def filter_year(self, qs, name, value):
        return qs.filter(year=value) if value else qs


def _rounds_seen(request):
    return SelectionRound.objects.visible_to(request.user).order_by("-opens_on", "-id")


class OverviewFilter(df.FilterSet):
    """The overview's choices: a region of the viewer's and one of the rounds they see."""

    within = region_filter()
    round = df.ModelChoiceFilter(
        label=_("Selection round"),
        queryset=_rounds_seen,
        method="keep",
        empty_label=_("The latest round"),
    )

    class Meta:
        model = Outcome
        fields: list[str] = []
        form = FilterForm

    def keep(self, qs, name, value):
        return qs
