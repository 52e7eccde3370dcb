"""Filters of the pairing lists."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, search_filter, year_filter

from .models import Fund, Pairing, PersonSent


def running_in(qs, name, value):
    """Rows whose period (``start_date`` … ``end_date``) overlaps the year ``value``."""
    if not value:
        return qs
    y = int(value)
    return qs.filter(start_date__year__lte=y, end_date__year__gte=y)


class PairingFilter(df.FilterSet):
    q = search_filter(
        _("title or unit"),
        "title__icontains",
        "helping_unit__name__icontains",
        "helped_unit__name__icontains",
    )
    level = df.ChoiceFilter(
        label=_("Level"), choices=Pairing.Level.choices, empty_label=_("All levels")
    )
    year = year_filter(_("Year"), method=running_in)

    class Meta:
        model = Pairing
        fields: list[str] = []
        form = FilterForm


class FundFilter(df.FilterSet):
    q = search_filter(_("purpose or pairing"), "purpose__icontains", "pairing__title__icontains")
    year = year_filter(_("Year"), method="in_year")

    class Meta:
        model = Fund
        fields: list[str] = []
        form = FilterForm

    def in_year(self, qs, name, value):
        return qs.filter(date__year=int(value)) if value else qs


class PersonSentFilter(df.FilterSet):
    q = search_filter(_("name or pairing"), "person__name__icontains", "pairing__title__icontains")
    role = df.ChoiceFilter(
        label=_("Role"), choices=PersonSent.Role.choices, empty_label=_("All roles")
    )
    year = year_filter(_("Year"), method=running_in)

    class Meta:
        model = PersonSent
        fields: list[str] = []
        form = FilterForm
