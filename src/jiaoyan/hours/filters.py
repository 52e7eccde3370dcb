"""Filter of the "My hours" page: one year, or all (a year that is not a number is
ignored, as a mistyped address should not empty the page)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import HoursRecord


class YearFilter(df.NumberFilter):
    field_class = forms.IntegerField


class HoursRecordFilter(df.FilterSet):
    year = YearFilter(label=_("Year"), method="filter_year")

    class Meta:
        model = HoursRecord
        fields = ["year"]

    def filter_year(self, queryset: QuerySet, name: str, value: int | None) -> QuerySet:
        return queryset.filter(date__year=value) if value else queryset

    @property
    def chosen_year(self) -> int | None:
        """The year the page is filtered by (None: all years)."""
        return (self.form.cleaned_data.get("year") or None) if self.is_valid() else None
