"""What every list page shares: filter (django-filter), sort, paginate, export to .xlsx,
and the HTMX fragment for partial refreshes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Case, Count, F, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property

from .search import BEST_OF, RANK, best_of, holds_every_hit, ranked_within


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
    paginator = UnitOrderedPaginator(ranges, size) if ranges else Paginator(list_rows(qs), size)
    return paginator.get_page(request.GET.get("page"))


# --- the cost of a list does not grow with its table ----------------------------------

T = TypeVar("T")

EXACT_COUNT_UP_TO = 5_000
"""A list counts its rows exactly up to this many (a count that stops there)."""
COUNT_CACHE_SECONDS = 120
"""A longer list is counted once and its count kept this long (per query and database)."""
IDS_FIRST_FROM = 500
"""From this row on, a page reads its ids first, then its rows by id."""
WITHIN_ROWS = 1000
"""A search ranked within its filters is read whole (count and pages) up to this many
rows (:attr:`ListRows._within`)."""


def kept(
    name: str,
    qs: QuerySet,
    compute: Callable[[], T],
    *,
    rows: Callable[[T], int],
    also: tuple = (),
) -> T:
    """``compute()`` — a figure over the list ``qs`` (its count, its counts per status …) —
    kept for :data:`COUNT_CACHE_SECONDS` under the list's own SQL when the list has more
    than :data:`EXACT_COUNT_UP_TO` rows (``rows(value)`` says how many it counted).
    ``also`` names what else the figure depends on (today's date …).

    The next page, the next sort and the next person with the same scope and filters read
    it from the cache; a short list is always counted afresh. A new row shows in a long
    list's figures after that time at the latest; the rows themselves are read fresh.
    """
    try:
        sql, params = qs.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (e.g. pk__in=[])
        return compute()
    key = cache_key(name, qs.db, sql, params, *also)
    value = cache.get(key)
    if value is None:
        value = compute()
        if rows(value) > EXACT_COUNT_UP_TO:
            cache.set(key, value, COUNT_CACHE_SECONDS)
    return value


def list_count(qs: QuerySet) -> int:
    """How many rows ``qs`` has, at a cost bounded for a list of any length: counting stops
    after :data:`EXACT_COUNT_UP_TO` rows, and a longer list is counted in full once per
    :data:`COUNT_CACHE_SECONDS` (:func:`kept`)."""
    qs = qs.order_by()
    # The bounded count reads ids only: a sliced count is a subquery, which would otherwise
    # carry every column and join of the list's rows.
    ids = qs.select_related(None).values("pk")

    def count() -> int:
        n = ids[: EXACT_COUNT_UP_TO + 1].count()
        return qs.count() if n > EXACT_COUNT_UP_TO else n

    return kept("list-count", qs, count, rows=lambda n: n)


def cache_key(kind: str, *parts) -> str:
    """A cache key for a figure of ``kind`` that depends on ``parts`` (hashed)."""
    digest = hashlib.sha256("\0".join(map(repr, parts)).encode()).hexdigest()[:32]
    return f"jiaoyan:{kind}:{digest}"


class ListRows:
    """The rows of a list for a paginator — the pages' and the API's alike.

    ``count`` is given (a figure the list already knows) or :func:`list_count`. A slice
    reads only the ids of its rows first — sorting narrow rows, and walking past earlier
    pages without reading them — and then those rows by id (``fetch``, or the list's own
    related objects and prefetches): from row :data:`IDS_FIRST_FROM` on, and on any page
    of a list longer than that which joins other tables for its rows (``select_related``:
    joining every row in scope to sort them and keep 25 is what made city-wide lists
    slow); ``ids_first`` decides it instead. A short list's page is one query, as a
    queryset's. A search ordered by rank (``core.search``) reads its first rows' ids
    from its best hits, or ranked within its filters when few of those pass them — and
    when that read them all (a rare word, a common one within one school), its count
    and every page come from it (:meth:`_first_rows`).
    """

    def __init__(
        self,
        qs: QuerySet,
        count: int | None = None,
        *,
        fetch: Callable[[list[int]], Iterable] | None = None,
        ids_first: bool | None = None,
    ) -> None:
        self.qs, self._count, self._fetch = qs, count, fetch
        self.ids_first = ids_first
        self.ordered = qs.ordered

    def all(self) -> ListRows:
        return self

    def count(self) -> int:
        if self._count is None:
            searched = self._whole_search()
            # the whole search read already: counted as it was read
            self._count = list_count(self.qs) if searched is None else len(searched)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[0 : self.count()])

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self.qs[key]
        start = key.start or 0
        ids = self._search_ids(start, key.stop, key.step)
        if ids is None:
            if not self._ids_first(start):
                return self.qs[key]
            ids = list(self.qs.values_list("pk", flat=True)[key])
        if not ids:
            return []
        found = {o.pk: o for o in self.fetch(ids)}
        return [found[i] for i in ids if i in found]

    def _search_ids(self, start: int, stop: int | None, step) -> list[int] | None:
        """This slice of a search's ids, when its first rows as read from its best hits
        (:attr:`_best`) or, few of them passing its filters, ranked within the filters
        (:attr:`_within`) cover it; None: read the search."""
        if step is not None or stop is None:
            return None
        for read in self._first_rows():
            ids, whole = read
            if whole or stop <= len(ids):
                return ids[start:stop]
        return None

    def _whole_search(self) -> list[int] | None:
        """Every id of a search when :meth:`_first_rows` reads them all; else None."""
        for ids, whole in self._first_rows():
            if whole:
                return ids
        return None

    def _first_rows(self) -> Iterator[tuple[list[int], bool]]:
        """A search's first rows' ids with whether they are all of them, read one way
        after the other until they serve: from its best hits; then, when few of those
        pass its filters, ranked within the filters (SQLite). Nothing for a list that
        is not a search ordered by rank."""
        best = self._best
        if best is None:
            return
        yield best
        if best[1] or len(best[0]) > BEST_OF // 10:
            return  # every hit, or many rows pass: read the search itself beyond them
        if self._within is not None:
            yield self._within

    @cached_property
    def _best(self) -> tuple[list[int], bool] | None:
        """A search's first rows' ids (its order) from its best hits
        (:func:`search.best_of`, ranked once per version of the index): as many of the
        first ``BEST_OF // 10`` as pass its scope and filters — with whether they are all
        its rows (the best hits are every hit: a rare word). None: not a search ordered
        by rank."""
        best = best_of(self.qs)
        if best is None:
            return None
        n = BEST_OF // 10
        ids = list(best.values_list("pk", flat=True)[: n + 1])
        if holds_every_hit(best):
            if len(ids) > n:
                ids = list(best.values_list("pk", flat=True))
            return ids, True
        return ids, False

    @cached_property
    def _within(self) -> tuple[list[int], bool] | None:
        """When few of the best hits pass the filters (a common word within one school):
        the search's first rows with only the filtered rows' hits ranked
        (:func:`search.ranked_within`, SQLite), every row when there are at most
        :data:`WITHIN_ROWS` — so that the count and every page come from that one query,
        not from a count over every hit and a page ranking them all; with whether they
        are all its rows. None: read the search (PostgreSQL ranks in its one query)."""
        within = ranked_within(self.qs)
        if within is None:
            return None
        ids = list(within.values_list("pk", flat=True)[: WITHIN_ROWS + 1])
        return (ids, True) if len(ids) <= WITHIN_ROWS else (ids[:WITHIN_ROWS], False)

    def _ids_first(self, start: int) -> bool:
        if self.ids_first is not None:
            return self.ids_first
        if start >= IDS_FIRST_FROM:
            return True
        return bool(self.qs.query.select_related) and self.count() > IDS_FIRST_FROM

    def fetch(self, ids: list[int]) -> Iterable:
        if self._fetch is not None:
            return self._fetch(ids)
        query = self.qs.query
        # A search's rank only ordered the ids: the rows are read by id without matching
        # the text again (at 100,000 documents, a second full match of a common word).
        annotations = set(query.annotations) - {RANK}
        if annotations or query.extra or query.distinct or query.deferred_loading[0]:
            return self.qs.order_by().filter(pk__in=ids)
        rows = self.qs.model._default_manager.filter(pk__in=ids)
        if isinstance(query.select_related, dict):
            rows = rows.select_related(*_related_paths(query.select_related))
        elif query.select_related:
            rows = rows.select_related()
        if self.qs._prefetch_related_lookups:
            rows = rows.prefetch_related(*self.qs._prefetch_related_lookups)
        return rows


def list_rows(rows):
    """``rows`` as a paginator should read them: a queryset through :class:`ListRows`."""
    return ListRows(rows) if isinstance(rows, QuerySet) else rows


def _related_paths(tree: dict, prefix: str = "") -> list[str]:
    out = []
    for name, sub in tree.items():
        out.append(prefix + name)
        if sub:
            out.extend(_related_paths(sub, f"{prefix}{name}__"))
    return out


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
        rows = kept(
            "unit-ranges",
            grouped,
            lambda: self._groups(inner, params),
            rows=lambda groups: sum(n for _u, _p, n in groups),
        )
        return sorted(rows, key=lambda r: r[1], reverse=self.descending)

    def _groups(self, inner: str, params) -> list[tuple[int, str, int]]:
        unit_meta = self.qs.model._meta.get_field(self.relation).related_model._meta
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
            return cursor.fetchall()

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
