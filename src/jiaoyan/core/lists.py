"""What every list page shares: filter (django-filter), sort, paginate, export to .xlsx,
and the HTMX fragment for partial refreshes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Case, Count, F, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property


@dataclass(frozen=True)
class SortOption:
    key: str
    label: str
    order_by: tuple[str, ...]


def sort_queryset(request: HttpRequest, qs, options: list[SortOption], default: str):
    """Apply ``?sort=key`` or ``?sort=-key`` (whitelisted); returns (qs, current key)."""
    raw = request.GET.get("sort", default)
    desc = raw.startswith("-")
    key = raw.lstrip("-")
    opt = next((o for o in options if o.key == key), None)
    if opt is None:
        raw, desc = default, default.startswith("-")
        opt = next(o for o in options if o.key == default.lstrip("-"))
    order = [_flip(f) for f in opt.order_by] if desc else list(opt.order_by)
    return qs.order_by(*order, "-pk" if desc else "pk"), raw


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else "-" + field


def paginate(request: HttpRequest, qs, per_page: int | None = None) -> Page:
    per_page = per_page or settings.PAGE_SIZE
    try:
        size = int(request.GET.get("size", per_page))
    except ValueError:
        size = per_page
    size = max(10, min(size, 200))
    ranges = UnitRanges.for_queryset(qs)
    paginator = UnitOrderedPaginator(ranges, size) if ranges else Paginator(qs, size)
    return paginator.get_page(request.GET.get("page"))


class UnitRanges:
    """Count and slice a list ordered first by its rows' unit path (people by unit).

    Done plainly, every page sorts all the rows in scope by a column of another table
    (the unit's path) and counts them again. Here one grouped query reads how many rows
    each unit has, with the unit's path; the total is their sum, and a slice is read
    from the few units it spans only. Same rows, same order, same number of queries.
    Applies when the first ``order_by`` term is ``<foreign key>__path``. Paths are
    ordered as text is compared byte by byte (tree order) — SQLite's order, and
    PostgreSQL's in a database with the "C" collation, where this gives exactly the rows
    plain slicing gives.
    """

    def __init__(self, qs, relation: str, descending: bool) -> None:
        self.qs = qs
        self.relation = relation
        self.descending = descending

    @classmethod
    def for_queryset(cls, qs) -> UnitRanges | None:
        if not isinstance(qs, QuerySet) or not qs.query.order_by:
            return None
        first = qs.query.order_by[0]
        if not isinstance(first, str):
            return None
        descending = first.startswith("-")
        parts = first.lstrip("-").split("__")
        if len(parts) != 2 or parts[1] != "path":
            return None
        try:
            field = qs.model._meta.get_field(parts[0])
        except Exception:
            return None
        if not (field.many_to_one and field.related_model is not None):
            return None
        if not hasattr(field.related_model, "path"):
            return None
        return cls(qs, parts[0], descending)

    @cached_property
    def groups(self) -> list[tuple[int, str, int]]:
        """(unit id, unit path, rows) in the list's order of units.

        One query: the rows counted per unit id (from the rows' own table), and only then
        joined to the units for their paths — 1,800 lookups rather than one per row.
        """
        rel = self.relation
        count = Count("pk", distinct=True) if self.qs.query.distinct else Count("pk")
        grouped = (
            self.qs.order_by()
            .values(jiaoyan_unit=F(rel))
            .annotate(jiaoyan_n=count)
            .values_list("jiaoyan_unit", "jiaoyan_n")
        )
        try:
            inner, params = grouped.query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (e.g. pk__in=[])
            return []
        unit_meta = self.qs.model._meta.get_field(rel).related_model._meta
        connection = connections[self.qs.db]
        qn = connection.ops.quote_name
        unit, n = qn("jiaoyan_unit"), qn("jiaoyan_n")
        sql = (
            f"SELECT g.{unit}, u.{qn(unit_meta.get_field('path').column)}, g.{n} "
            f"FROM ({inner}) g "
            f"INNER JOIN {qn(unit_meta.db_table)} u ON u.{qn(unit_meta.pk.column)} = g.{unit}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return sorted(rows, key=lambda r: r[1], reverse=self.descending)

    def count(self) -> int:
        return sum(n for _u, _p, n in self.groups)

    def slice(self, bottom: int, top: int) -> list:
        """Rows ``bottom`` to ``top`` (exclusive) of the list."""
        if top <= bottom:
            return []
        seen, skip, units = 0, 0, []
        for unit, _path, n in self.groups:
            if seen + n <= bottom:
                seen += n
                continue
            if not units:
                skip = bottom - seen
            units.append(unit)
            seen += n
            if seen >= top:
                break
        if not units:
            return []
        # The units in the order counted above (paths compared as Python compares text,
        # which is SQLite's and a "C"-collation PostgreSQL's order), then the list's own.
        rank = Case(
            *(When(**{self.relation: unit}, then=Value(i)) for i, unit in enumerate(units)),
            output_field=IntegerField(),
        )
        page = self.qs.filter(**{f"{self.relation}__in": units}).order_by(
            rank, *self.qs.query.order_by[1:]
        )
        return list(page[skip : skip + top - bottom])


class UnitOrderedPaginator(Paginator):
    """Django's paginator over :class:`UnitRanges` (see there)."""

    def __init__(self, ranges: UnitRanges, per_page, **kwargs) -> None:
        self.ranges = ranges
        super().__init__(ranges.qs, per_page, **kwargs)

    @cached_property
    def count(self) -> int:
        return self.ranges.count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.ranges.slice(bottom, top), number, self)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    full = f"{filename}-{stamp}.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"export-{stamp}.xlsx\"; filename*=UTF-8''{quote(full)}"
    )
    return response


def render_list(
    request: HttpRequest,
    template: str,
    fragment: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The whole page, or (for an HTMX request that targets the table) only the table."""
    if getattr(request, "htmx", False) and request.htmx.target == "list-results":
        return render(request, fragment, context)
    return render(request, template, context)


def querystring_without(request: HttpRequest, *keys: str) -> str:
    q = request.GET.copy()
    for k in keys:
        q.pop(k, None)
    return q.urlencode()


ExportFn = Callable[[Any], bytes]
