"""My hours: the records credited to the signed-in person, by year, exportable."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core.lists import SortOption
from jiaoyan.core.pages import Column, ListPage

from . import queries
from .filters import HoursFilter


class MyHours(ListPage):
    """The viewer's own hours records, newest first; the export has the table's columns."""

    template = "hours/mine.html"
    fragment = "hours/_table.html"
    filterset = HoursFilter
    sorts = [SortOption("date", _lazy("Date"), ("date",))]
    default_sort = "-date"
    columns = [
        Column(_lazy("Date"), "date"),
        Column(_lazy("For"), "title", width=40),
        Column(_lazy("Kind"), "get_kind_display", width=14),
        Column(_lazy("Hours"), lambda r: float(r.hours), width=8),
        Column(_lazy("Credited by"), "credited_by.name", width=24),
    ]
    export_name = _lazy("My hours")
    export_title = _lazy("My hours")

    def get_queryset(self):
        return queries.own_records(self.user).select_related("credited_by")

    def export_rows(self, qs):
        return qs.iterator(chunk_size=2000)

    def get_context(self):
        years = queries.own_by_year(self.user)
        this_year = timezone.localdate().year
        current = next((y for y in years if y["year"] == this_year), None)
        return {
            "years": years,
            "year": self.filter.year_value,
            "this_year": this_year,
            "this_year_total": current["total"] if current else 0,
        }


mine = MyHours.as_view()
