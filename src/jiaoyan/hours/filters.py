"""The filter of the own-hours list: one year (the page offers the years the viewer has)."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from jiaoyan.core.forms import FilterForm, year_filter

from .models import HoursRecord


class HoursFilter(df.FilterSet):
    # A number rather than a choice: the page links to the years it lists, and an odd
    # value (?year=abc, ?year=10000) is ignored rather than refused.
    year = year_filter(_("Year"), method="by_year")

    class Meta:
        model = HoursRecord
        fields: list[str] = []
        form = FilterForm

    def by_year(self, qs, name, value):
        return qs.filter(date__year=int(value)) if value else qs

    @property
    def year_value(self) -> int | None:
        """The chosen year, as the page highlights it (None: all years)."""
        value = self.form.cleaned_data.get("year") if self.form.is_valid() else None
        return int(value) if value else None
