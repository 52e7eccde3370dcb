"""core.search.best_of: a search's first rows read from its best hits only, the same
rows in the same order as the whole search — or a short slice, and then lists read the
whole search. The best hits are ranked once per version of the index (kept in the cache)
and ranked again after any write to it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiaoyan.core import search
from jiaoyan.core.lists import ListRows
from jiaoyan.ledger.models import Item
from tests.core import test_search

# Ranking only the filtered rows' hits is SQLite's (FTS5 bm25 over a rowid list);
# PostgreSQL ranks the filtered rows in the one query already (search.ranked_within).
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="FTS5 ranking within the filters: SQLite"
)

corpus = test_search.corpus  # the fixture
keys = test_search.keys


def searches(world):
    visible = Item.objects.visible_to(world.users["district_researcher"])
    return [
        search.search(Item.objects.all(), "课件"),
        search.search(visible, "课件"),
        search.search(visible.filter(percent__gte=30), "课件", then=("-percent",)),
        search.search(Item.objects.all(), "微课"),  # two hits of the same rank
        search.search(Item.objects.all(), "教学设计"),
    ]


def test_the_best_hits_are_the_first_rows_of_the_search(corpus, world):
    for qs in searches(world):
        everything = list(qs)
        for n in range(1, 8):
            best = list(search.best_of(qs, n))
            assert best == everything[: len(best)], (n, keys(everything, corpus))


def test_best_of_reads_fewer_rows_than_the_search(corpus):
    qs = search.search(Item.objects.all(), "课件")
    everything = keys(qs, corpus)
    assert len(everything) > 2
    assert keys(search.best_of(qs, 1), corpus) == everything[:1]
    assert keys(search.best_of(qs, 2), corpus) == everything[:2]
    twins = search.search(Item.objects.all(), "微课")
    assert keys(search.best_of(twins, 1), corpus) == ["twin_low", "twin_high"]  # a tie
    assert search.best_of(Item.objects.all()) is None  # not a search
    assert search.best_of(qs.order_by("-percent")) is None  # not by rank first
    by_percent = qs.order_by("-percent")
    assert list(ListRows(by_percent, ids_first=True)[0:1]) == list(by_percent[:1])


def test_list_pages_are_those_of_the_whole_search(corpus, world, monkeypatch):
    from jiaoyan.core import lists

    monkeypatch.setattr(lists, "BEST_OF", 50)  # slices up to row 5 try the best hits
    monkeypatch.setattr(lists, "best_of", lambda qs: search.best_of(qs, 2))
    for qs in searches(world):
        everything = list(qs)
        rows = ListRows(qs, ids_first=True)
        for start in range(4):
            for stop in range(start + 1, 6):
                assert rows[start:stop] == everything[start:stop], (start, stop)
    cache.clear()
    with CaptureQueriesContext(connection) as read:
        rows = ListRows(search.search(Item.objects.all(), "课件"), ids_first=True)[0:1]
    sql = [q["sql"] for q in read.captured_queries]
    # the index's version, the best hits ranked, the ids, then their rows
    assert len(rows) == 1 and len(sql) == 4 and "WITH h AS MATERIALIZED" in sql[1]
    with CaptureQueriesContext(connection) as again:
        assert ListRows(search.search(Item.objects.all(), "课件"), ids_first=True)[0:1] == rows
    # the best hits kept: the version, the ids, the rows — nothing ranked again
    assert len(again.captured_queries) == 3
    assert not any("MATERIALIZED" in q["sql"] for q in again.captured_queries)


def test_the_kept_best_hits_follow_every_write_to_the_index(corpus, world):
    """A document written (or removed) changes every rank: the next page ranks again and
    shows it where the whole search does."""
    qs = search.search(Item.objects.all(), "课件")
    before = keys(search.best_of(qs, 2), corpus)
    assert before == keys(qs, corpus)[: len(before)]
    last = corpus[keys(qs, corpus)[-1]]
    last.title = "课件 课件 课件"
    last.save()
    search.index(last)
    everything = keys(search.search(Item.objects.all(), "课件"), corpus)
    assert everything[0] != before[0]  # it now comes first
    best = keys(search.best_of(search.search(Item.objects.all(), "课件"), 2), corpus)
    assert best == everything[: len(best)]
    search.unindex(last)
    rows = list(search.best_of(search.search(Item.objects.all(), "课件"), 2))
    assert last.pk not in [r.pk for r in rows]
    assert rows == list(search.search(Item.objects.all(), "课件"))[: len(rows)]


@sqlite_only
def test_ranked_within_the_filters_is_the_whole_search(corpus, world):
    """A search whose best hits fall short of its page ranks only the filtered rows' hits
    (:func:`search.ranked_within`): the same rows, ranks and order as the whole search."""
    for qs in [
        *searches(world),
        search.search(Item.objects.filter(org_unit=world.units["huazhou"]), "课件"),
        search.search(Item.objects.filter(percent__gte=101), "课件"),  # nothing passes
        search.search(Item.objects.all(), "课件 微课"),
    ]:
        within = search.ranked_within(qs)
        assert within is not None
        assert list(within.values_list("pk", search.RANK)) == list(
            qs.values_list("pk", search.RANK)
        )
        assert list(within) == list(qs)
    qs = search.search(Item.objects.all(), "课件")
    assert search.ranked_within(qs.order_by("-percent")) is None  # not by rank first
    assert search.ranked_within(Item.objects.all()) is None  # not a search
    assert search.ranked_within(search.best_of(qs, 2)) is None  # already narrowed


@sqlite_only
def test_a_short_best_slice_ranks_only_the_filtered_hits(corpus, world, monkeypatch):
    from jiaoyan.core import lists

    monkeypatch.setattr(lists, "best_of", lambda qs: search.best_of(qs, 1))
    qs = search.search(Item.objects.filter(org_unit=world.units["linwei"]), "课件")
    everything = list(qs)
    assert len(everything) >= 2
    cache.clear()
    with CaptureQueriesContext(connection) as read:
        rows = ListRows(qs, ids_first=True)[0 : len(everything)]
    assert rows == everything
    sql = [q["sql"] for q in read.captured_queries]
    # the best hit alone does not fill the slice: the ids again, ranked within the filter
    assert any("(rowid & " in s and " IN (SELECT" in s for s in sql), sql


@sqlite_only
def test_a_word_found_fewer_times_than_the_best_is_ranked_once(corpus, world):
    """The best hits are every hit of the word: a short slice of them is the whole
    search's (no second ranking of the word)."""
    qs = search.search(Item.objects.filter(org_unit=world.units["linwei"]), "课件")
    everything = list(qs)
    assert everything
    cache.clear()
    with CaptureQueriesContext(connection) as read:
        rows = ListRows(qs, ids_first=True)[0:25]
    assert rows == everything
    sql = [q["sql"] for q in read.captured_queries]
    assert sum("bm25" in s for s in sql) == 1, sql  # the best hits, all of them
    assert search.holds_every_hit(search.best_of(qs))
    assert not search.holds_every_hit(search.best_of(qs, 1))
