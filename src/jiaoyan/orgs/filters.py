"""List filters (django-filter); choices are limited to what the user can see."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiaoyan.core.forms import FilterForm, search_filter

from .models import OrgUnit, School, Stage


def _regions(request):
    if request is None:
        return OrgUnit.objects.none()
    return (
        OrgUnit.objects.visible_to(request.user)
        .filter(kind=OrgUnit.Kind.REGION)
        .exclude(level=OrgUnit.Level.TOWN)
        .order_by("path")
    )


class WithinFilter(df.ModelChoiceFilter):
    """Rows under the chosen unit (its whole subtree)."""

    def __init__(self, *args, path_lookup: str, **kwargs):
        self.path_lookup = path_lookup
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.path_lookup}__under": value.path})


def region_filter(path_lookup: str = "org_unit__path") -> WithinFilter:
    """``?within=<unit>``: the rows under one of the viewer's regions."""
    return WithinFilter(
        label=_("Region"),
        queryset=_regions,
        path_lookup=path_lookup,
        empty_label=_("All my regions"),
    )


class UnitFilter(df.FilterSet):
    q = search_filter(_("name or code"), "name__icontains", "code__startswith")
    within = WithinFilter(
        label=_("Within"), queryset=_regions, path_lookup="path", empty_label=_("All my units")
    )
    level = df.ChoiceFilter(
        label=_("Level"), choices=OrgUnit.Level.choices, empty_label=_("All levels")
    )
    kind = df.ChoiceFilter(
        label=_("Type"), choices=OrgUnit.Kind.choices, empty_label=_("All types")
    )
    is_active = df.BooleanFilter(
        label=_("Active"),
        widget=forms.Select(
            choices=[("", _("Active and closed")), ("true", _("Active")), ("false", _("Closed"))]
        ),
    )

    class Meta:
        model = OrgUnit
        fields: list[str] = []
        form = FilterForm


class SchoolFilter(df.FilterSet):
    q = search_filter(_("name or code"), "org_unit__name__icontains", "org_unit__code__startswith")
    within = region_filter()
    kind = df.ChoiceFilter(
        label=_("School kind"),
        choices=School.Kind.choices,
        empty_label=pgettext_lazy("school kind", "All kinds"),
    )
    stage = df.ModelChoiceFilter(
        label=_("Stage"),
        field_name="stages",
        queryset=Stage.objects.all(),
        empty_label=_("All stages"),
    )
    location = df.ChoiceFilter(
        label=_("Location class"), choices=School.Location.choices, empty_label=_("All locations")
    )
    is_weak = df.BooleanFilter(
        label=_("Weak school"),
        widget=forms.Select(
            choices=[
                ("", _("All schools")),
                ("true", _("Weak schools only")),
                ("false", _("Not weak")),
            ]
        ),
    )

    class Meta:
        model = School
        fields: list[str] = []
        form = FilterForm
