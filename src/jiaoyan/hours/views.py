"""My hours: the records credited to the signed-in person, by year, exportable."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiaoyan.core.lists import paginate, querystring_without, render_list, xlsx_response
from jiaoyan.core.sheets import write_table_xlsx

from . import queries
from .filters import HoursRecordFilter


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    years = queries.own_by_year(request.user)
    filters = HoursRecordFilter(
        request.GET, queryset=queries.own_records(request.user).select_related("credited_by")
    )
    year, qs = filters.chosen_year, filters.qs
    if request.GET.get("export") == "xlsx":
        rows = (
            [
                r.date,
                r.title,
                r.get_kind_display(),
                float(r.hours),
                r.credited_by.name if r.credited_by else "",
            ]
            for r in qs.iterator(chunk_size=2000)
        )
        content = write_table_xlsx(
            [_("Date"), _("For"), _("Kind"), _("Hours"), _("Credited by")],
            rows,
            sheet_title=_("My hours"),
            title=_("My hours"),
            widths=[12, 40, 14, 8, 24],
        )
        return xlsx_response(content, "我的学时")
    page = paginate(request, qs)
    this_year = timezone.localdate().year
    current = next((y for y in years if y["year"] == this_year), None)
    return render_list(
        request,
        "hours/mine.html",
        "hours/_table.html",
        {
            "page": page,
            "years": years,
            "year": year,
            "this_year": this_year,
            "this_year_total": current["total"] if current else 0,
            "base_query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "export"),
        },
    )
