"""The resource library's statistics page (资源统计) for a scope over a period: resources
by kind, subject, unit and status, review turnaround, top resources, authors per school
and the share of schools contributing; charts, and every table as an .xlsx export
(``?export=xlsx&table=…``). Thin: :mod:`.stats` computes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiaoyan.core import charts
from jiaoyan.core.dbrouter import replica_reads
from jiaoyan.core.forms import MAX_YEAR, MIN_YEAR, StyledForm
from jiaoyan.core.lists import querystring_without
from jiaoyan.core.pages import Column, attempt, columns_response, refusal_text, wants_export
from jiaoyan.core.scope import get_visible_or_404
from jiaoyan.orgs.models import OrgUnit

from . import stats

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StatsForm(StyledForm):
    """The scope and the period: a school term, a year, or dates (dates win, then the
    year, then the term)."""

    unit = forms.TypedChoiceField(label=_lazy("Unit"), coerce=int, required=False)
    term = forms.ChoiceField(label=_lazy("Term"), required=False)
    year = forms.TypedChoiceField(label=_lazy("Year"), coerce=int, required=False)
    start = forms.DateField(label=_lazy("From"), required=False, widget=DATE)
    end = forms.DateField(label=_lazy("Until"), required=False, widget=DATE)

    def __init__(self, *args, units=(), today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["term"].choices = [("", "—")] + [
            (t.code, t.label) for t in stats.recent_terms(today)
        ]
        self.fields["year"].choices = [("", "—")] + [
            (y, str(y)) for y in range(today.year, max(MIN_YEAR, today.year - 6), -1)
        ]

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day and not MIN_YEAR <= day.year <= MAX_YEAR:
                self.add_error(
                    name,
                    _("Give a date between the years %(a)s and %(b)s.")
                    % {"a": MIN_YEAR, "b": MAX_YEAR},
                )
        return data


def _root(request: HttpRequest, units: list[OrgUnit]) -> OrgUnit:
    """The scope asked for (``?unit=``; out of scope or unknown: 404) or the viewer's
    broadest; nobody managing resources anywhere: 403."""
    raw = request.GET.get("unit", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        unit = get_visible_or_404(OrgUnit, request.user, pk=int(raw))
        if not stats.may_see(request.user, unit):
            raise Http404
        return unit
    if not units:
        raise PermissionDenied(_("Statistics of the library are for its managers."))
    return units[0]


def _days(value) -> str:
    return "" if value is None else value


# Export columns: sheet headers are a data format (literal Chinese, as every sheet's).
TABLES = {
    "units": (
        "各单位资源",
        [
            Column("单位", "name", 28),
            Column("报送资源", "submitted", 10),
            Column("评审中", "in_review", 10),
            Column("退回修改", "returned", 10),
            Column("未通过", "rejected", 10),
            Column("已发布", "now_published", 10),
            Column("期间发布", "published", 10),
            Column("学校数", "schools", 10),
            Column("有发布的学校", "contributing", 12),
            Column("学校参与率（%）", lambda r: _days(r.share), 14),
            Column("评审决定数", "decisions", 10),
            Column("评审用时中位数（天）", lambda r: _days(r.median), 16),
            Column("评审用时P90（天）", lambda r: _days(r.p90), 16),
        ],
    ),
    "kinds": ("资源类型", [Column("类型", "name", 20), Column("资源数", "value", 10)]),
    "subjects": ("学科", [Column("学科", "name", 20), Column("资源数", "value", 10)]),
    "statuses": ("状态", [Column("状态", "name", 20), Column("资源数", "value", 10)]),
    "top": (
        "优秀资源",
        [
            Column("排行", "ranking", 10),
            Column("名次", "place", 6),
            Column("资源", "resource.title", 36),
            Column("类型", "resource.get_kind_display", 12),
            Column("单位", "resource.org_unit.name", 24),
            Column("浏览", "resource.view_count", 10),
            Column("下载", "resource.download_count", 10),
            Column("应用", "resource.use_count", 10),
            Column("评分人数", "resource.rating_count", 10),
            Column("平均评分", lambda r: r["resource"].rating_average or "", 10),
        ],
    ),
    "authors": (
        "各校作者",
        [
            Column("学校", "name", 28),
            Column("作者数", "authors", 10),
            Column("资源数", "resources", 10),
        ],
    ),
}


def _top_rows(top: dict) -> list[dict]:
    names = {"views": "浏览最多", "uses": "应用最多", "rating": "评分最高"}
    return [
        {"ranking": names[key], "place": i, "resource": r}
        for key in ("views", "uses", "rating")
        for i, r in enumerate(top[key], start=1)
    ]


def _export(request: HttpRequest, data: dict, root: OrgUnit, label: str) -> HttpResponse:
    table = request.GET.get("table") or "units"
    if table not in TABLES:
        raise Http404
    title, columns = TABLES[table]
    rows = {
        "units": data["units"],
        "kinds": data["by_kind"],
        "subjects": data["by_subject"],
        "statuses": data["by_status"],
        "top": _top_rows(data["top"]),
        "authors": data["authors"],
    }[table]
    name = f"{root.name}资源统计-{title}"
    return columns_response(
        columns, rows, filename=name, sheet_title=title, title=f"{name}（{label}）"
    )


@replica_reads
@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    units = stats.stats_units(request.user)
    root = _root(request, units)
    if all(u.pk != root.pk for u in units):
        units = [*units, root]
    form = StatsForm(request.GET or None, units=units, initial={"unit": root.pk})
    chosen = stats.default_period()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        chosen, error = attempt(
            lambda: stats.pick_period(
                term=d.get("term") or "", year=d.get("year"), start=d.get("start"), end=d.get("end")
            )
        )
        if error is not None:
            form.add_error("end", refusal_text(error))
            chosen = stats.default_period()
    data = stats.statistics(root, chosen.period)
    if wants_export(request):
        return _export(request, data, root, chosen.label)
    named = [r for r in data["units"] if r.submitted or r.published]
    return render(
        request,
        "resources/statistics.html",
        {
            "form": form,
            "root": root,
            "chosen": chosen,
            "data": data,
            "authors": data["authors"][: stats.AUTHOR_ROWS],
            "authors_more": max(0, len(data["authors"]) - stats.AUTHOR_ROWS),
            "export_query": querystring_without(request, "export", "table"),
            "drill_query": querystring_without(request, "export", "table", "unit"),
            "top_lists": [
                ("views", _("Most viewed"), data["top"]["views"]),
                ("uses", _("Most used in lessons"), data["top"]["uses"]),
                ("rating", _("Best rated"), data["top"]["rating"]),
            ],
            "kind_chart": charts.pie(data["by_kind"], title=_("By kind")),
            "status_chart": charts.pie(data["by_status"], title=_("By status")),
            "subject_chart": charts.bar(
                [d["name"] for d in data["by_subject"][:15]],
                [d["value"] for d in data["by_subject"][:15]],
                title=_("By subject"),
                horizontal=True,
            ),
            "unit_chart": charts.bar(
                [r.name for r in named[:30]],
                [r.submitted for r in named[:30]],
                title=_("Resources submitted per unit"),
            ),
            "turnaround_chart": charts.bar(
                [r.name for r in data["units"] if r.decisions][:30],
                [r.median for r in data["units"] if r.decisions][:30],
                title=_("Median review turnaround (days)"),
            ),
        },
    )
