"""Chinese full-text search: one index (``core.SearchDocument``) for every searchable model.

A model declares what is searched, in three weights — ``title`` (strongest), ``body``
(summary, authors, tags …) and ``text`` (a document's extracted text)::

    @search.searchable(title="title", body=("summary", _author_names), text="text")
    class Resource(models.Model): ...

Its services keep the index in step inside their transaction — :func:`index` after a
write, :func:`unindex` before a delete; imports and the demo use :func:`index_many`; and
``jiaoyan search_index`` rebuilds it. A read narrows a scoped queryset::

    rows = search.search(Resource.objects.visible_to(user).filter(kind=kind), q,
                         then=("-use_count",))

which joins the matching ids with their rank (annotated ``search_rank``, higher is better)
and orders by it, then by ``then``, then by id: the caller's scope and filters stay in the
same SQL, so nothing is loaded to combine them.

Text becomes tokens one way for documents and queries: NFKC (full-width Latin and
digits), OpenCC ``t2s`` (traditional and simplified alike: 課件 is 课件), lower case, then
jieba in search mode without its HMM (so a word's segmentation does not depend on unknown
neighbours; the same text always gives the same tokens), keeping runs of letters and
digits and dropping function words. The tokens are stored space-separated and indexed by
SQLite's FTS5 (``core_search_fts``, ranked with bm25) or PostgreSQL's ``tsvector`` with
the ``simple`` configuration (a GIN index, read through the SQL function
``core_search_hits``, ranked with ``ts_rank``). A document's id is its content type's id
<< 40 | the object's id (objects need positive integer ids), so SQLite finds one model's
hits as a rowid range. Either way the hits are read first, then looked up in the caller's
table by primary key; a count does not rank them. A query is built from quoted tokens
only, so no input (``"``, ``*``, ``NEAR(``, ``AND``) is ever read as syntax: a query with
no words left finds nothing.

A query word matches the same token; a longer word also matches its dictionary parts
together (教学设计: 教学设计, or 教学 and 设计); consecutive single characters (an unknown
name) match as a phrase; a lone character matches tokens that start with it. Every word
of the query must match.

The vocabulary (jieba's dictionary plus ``search_words.txt``) decides the tokens: after
changing it, rebuild the index (``jiaoyan search_index``). jieba's dictionary is loaded on
a process's first search or index (about a second, some 70 MB).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connections, models, transaction
from django.db.models import Expression, FloatField, QuerySet
from django.db.models.sql.constants import INNER

# bm25 weights of the title, body and text columns (SQLite); PostgreSQL weighs them as the
# tsvector weights A, B and C (ts_rank's defaults 1.0, 0.4, 0.2).
WEIGHTS = {"title": 10.0, "body": 4.0, "text": 1.0}
COLUMNS = tuple(WEIGHTS)
MAX_TEXT_CHARS = 30_000  # of a document's extracted text (a long PDF's first pages)
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
MAX_TOKEN_CHARS = 40  # longer runs (hashes, pasted URLs) are not words anyone types

# function words: dropped from documents and queries alike
STOP_WORDS = frozenset(
    "的地得了着过和与及或而并之其把被于在是也就都对从以为等啊吗呢吧个"
) | frozenset(("a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "is", "are"))
WORDS_FILE = Path(__file__).with_name("search_words.txt")

_RUN = re.compile(r"[^\W_]+")  # letters and digits: what FTS5's unicode61 keeps together
_LATIN = re.compile(r"[a-z]+|[0-9]+")  # Unit3 is Unit 3
_lock = threading.Lock()
_tokenizer = None
_converter = None


# ---------------------------------------------------------------------------------------
# Tokens


def _jieba():
    """jieba's tokenizer with our words, loaded once per process (about a second; jieba
    keeps its prefix dictionary in a cache file under the temporary directory)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in WORDS_FILE.read_text(encoding="utf-8").split():
                    tk.add_word(word)
                _tokenizer = tk
    return _tokenizer


def _t2s():
    global _converter
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s")
    return _converter


def normalise(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case."""
    return _t2s().convert(unicodedata.normalize("NFKC", text)).lower()


def _runs(word: str) -> list[str]:
    """The tokens of one jieba word: its runs of letters and digits (``c++`` → ``c``),
    Latin letters and digits apart (``unit3`` → ``unit``, ``3``), no function words."""
    out = []
    for run in _RUN.findall(word):
        parts = _LATIN.findall(run) if run.isascii() else (run,)
        out.extend(p for p in parts if p not in STOP_WORDS and len(p) <= MAX_TOKEN_CHARS)
    return out


@lru_cache(maxsize=20_000)
def _short_tokens(text: str) -> tuple[str, ...]:
    return tuple(_segment(text))


def _segment(text: str) -> list[str]:
    """The tokens of the normalised text, block by block: jieba cuts each run of Chinese,
    letters and digits (its ``re_han_default``) on its own, so the tokens of a text are
    those of its blocks in order — and a block seen before (a sentence of a template, a
    unit's name, a chapter) is not cut again."""
    out: list[str] = []
    for block in _BLOCKS.findall(normalise(text)):
        out.extend(_block_tokens(block))
    return out


# What jieba cuts as one block (its re_han_default), and what lies between them.
_BLOCKS = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+|[^\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")


@lru_cache(maxsize=100_000)
def _block_tokens(block: str) -> tuple[str, ...]:
    out: list[str] = []
    for word in _jieba().cut_for_search(block, HMM=False):
        out.extend(_runs(word))
    return tuple(out)


def tokens(text: str | None) -> list[str]:
    """The index tokens of ``text`` (search mode: a long word and its dictionary parts)."""
    if not text:
        return []
    if len(text) <= 64:  # titles, names, tags: repeated across a demo or an import
        return list(_short_tokens(text))
    return _segment(text)


# ---------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class Term:
    """One query word: the token itself, or all of ``parts`` (its dictionary parts)."""

    token: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Phrase:
    """Single characters that follow each other (a name jieba does not know)."""

    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    """A lone character: tokens starting with it."""

    token: str


def _parts(tk, word: str) -> tuple[str, ...]:
    """The dictionary words of two characters inside ``word``, when they cover it all
    (教学设计 → 教学, 设计), as the index's search mode writes them; else none."""
    if len(word) < 3:
        return ()
    found = [i for i in range(len(word) - 1) if tk.FREQ.get(word[i : i + 2])]
    covered = {j for i in found for j in (i, i + 1)}
    if len(covered) < len(word):
        return ()
    parts = [word[i : i + 2] for i in found]
    return tuple(dict.fromkeys(p for p in parts if p not in STOP_WORDS))


def parse(text: str | None) -> list[Term | Phrase | Prefix]:
    """The query's words, each of which a document must match (empty: nothing to find)."""
    if not text:
        return []
    tk = _jieba()
    words: list[str] = []
    for word in tk.cut(normalise(text[:MAX_QUERY_CHARS]), HMM=False):
        words.extend(_runs(word))
    out: list[Term | Phrase | Prefix] = []
    single: list[str] = []

    def flush() -> None:
        if len(single) > 1:
            out.append(Phrase(tuple(single)))
        elif single:
            out.append(Prefix(single[0]))
        single.clear()

    for word in words:
        if len(word) == 1 and not word.isascii():
            single.append(word)
            continue
        flush()
        out.append(Term(word, _parts(tk, word)))
    flush()
    unique = list(dict.fromkeys(out))
    return unique[:MAX_QUERY_WORDS]


def _fts5(words: Sequence[Term | Phrase | Prefix]) -> str:
    def q(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    groups = []
    for w in words:
        if isinstance(w, Phrase):
            groups.append(" + ".join(q(t) for t in w.tokens))
        elif isinstance(w, Prefix):
            groups.append(q(w.token) + "*")
        elif w.parts:
            groups.append(f"({q(w.token)} OR ({' AND '.join(q(p) for p in w.parts)}))")
        else:
            groups.append(q(w.token))
    return " AND ".join(groups)


def _tsquery(words: Sequence[Term | Phrase | Prefix]) -> str:
    def q(token: str) -> str:
        return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"

    groups = []
    for w in words:
        if isinstance(w, Phrase):
            groups.append("(" + " <-> ".join(q(t) for t in w.tokens) + ")")
        elif isinstance(w, Prefix):
            groups.append(q(w.token) + ":*")
        elif w.parts:
            groups.append(f"({q(w.token)} | ({' & '.join(q(p) for p in w.parts)}))")
        else:
            groups.append(q(w.token))
    return " & ".join(groups)


# ---------------------------------------------------------------------------------------
# What is searched


Getter = str | Callable[[Any], Any]


@dataclass(frozen=True)
class Searchable:
    """A registered model: getters for each weight, and the related rows to prefetch when
    many are indexed at once."""

    model: type[models.Model]
    title: tuple[Getter, ...]
    body: tuple[Getter, ...]
    text: tuple[Getter, ...]
    prefetch: tuple[str, ...] = ()

    def values(self, obj) -> dict[str, str]:
        out = {}
        for column in COLUMNS:
            parts: list[str] = []
            for getter in getattr(self, column):
                _collect(getter(obj) if callable(getter) else getattr(obj, getter), parts)
            text = "\n".join(parts)
            if column == "text":
                text = text[:MAX_TEXT_CHARS]
            out[column] = " ".join(tokens(text))
        return out


def _collect(value, parts: list[str]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, Iterable):
        for v in value:
            _collect(v, parts)
    else:
        parts.append(str(value))


_registry: dict[type[models.Model], Searchable] = {}


def _tuple(getters) -> tuple[Getter, ...]:
    if getters is None:
        return ()
    if isinstance(getters, str) or callable(getters):
        return (getters,)
    return tuple(getters)


def register(
    model: type[models.Model],
    *,
    title: Getter | Sequence[Getter],
    body: Getter | Sequence[Getter] | None = None,
    text: Getter | Sequence[Getter] | None = None,
    prefetch: Sequence[str] = (),
) -> Searchable:
    """Make ``model`` searchable. Each getter is an attribute name or a function of the
    object giving a string, None or strings (authors' names, tags). ``text`` should read
    text already extracted and stored, not open files."""
    spec = Searchable(model, _tuple(title), _tuple(body), _tuple(text), tuple(prefetch))
    _registry[model._meta.concrete_model] = spec
    return spec


def searchable(**spec):
    """Class decorator form of :func:`register`."""

    def decorate(model):
        register(model, **spec)
        return model

    return decorate


def unregister(model: type[models.Model]) -> None:
    _registry.pop(model._meta.concrete_model, None)


def registered() -> dict[type[models.Model], Searchable]:
    return dict(_registry)


def spec_for(model: type[models.Model]) -> Searchable:
    try:
        return _registry[model._meta.concrete_model]
    except KeyError:
        raise LookupError(f"{model._meta.label} is not registered with core.search") from None


# ---------------------------------------------------------------------------------------
# Writing the index

KEY_BITS = 40  # a document's id: its content type's id << 40 | the object's id


def _document_model():
    from .models import SearchDocument

    return SearchDocument


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model, for_concrete_model=True)


def document_id(content_type_id: int, object_id: int) -> int:
    """The id of an object's document: its content type in the high bits, so SQLite finds
    one model's hits as a rowid range of the FTS index, with no join."""
    if not 0 < object_id < 1 << KEY_BITS:
        raise ValueError(f"core.search indexes positive integer ids below 2**{KEY_BITS}")
    return content_type_id << KEY_BITS | object_id


def _rows(spec: Searchable, ct_id: int, objects: Iterable[models.Model]) -> list[tuple]:
    rows = []
    for obj in objects:
        values = spec.values(obj)
        rows.append((document_id(ct_id, obj.pk), ct_id, obj.pk, *(values[c] for c in COLUMNS)))
    return rows


#: The version (``core.stamps``) of the whole index: changed by every write to it, so that
#: the best hits kept in the cache (:func:`best_hits`) are those of the index as it is —
#: any document changes every rank (bm25 and ts_rank read the whole index's figures).
STAMP = "core.search"


def _changed() -> None:
    from . import stamps

    stamps.bump(STAMP)


def index(obj: models.Model) -> None:
    """(Re)index one object — call it in the service that wrote it, in its transaction."""
    _changed()
    doc = _document_model()
    ct = _content_type(type(obj))
    (key, _ct, _pk, *values) = _rows(spec_for(type(obj)), ct.pk, [obj])[0]
    doc.objects.update_or_create(
        id=key,
        defaults={
            "content_type": ct,
            "object_id": obj.pk,
            **dict(zip(COLUMNS, values, strict=True)),
        },
    )


def unindex(obj: models.Model) -> None:
    """Remove one object from the index (before or after deleting it)."""
    unindex_ids(type(obj), [obj.pk])


def unindex_ids(model: type[models.Model], ids: Iterable[int]) -> None:
    from .bulk import chunks

    _changed()
    doc = _document_model()
    ct = _content_type(model)
    for chunk in chunks([document_id(ct.pk, i) for i in ids]):
        doc.objects.filter(pk__in=chunk).delete()


def index_many(objects: QuerySet | Iterable[models.Model], *, batch_size: int = 2000) -> int:
    """Index many objects of one model (an import's rows, the demo, a rebuild): their
    documents are replaced batch by batch, with one bulk insert each; how many. A queryset
    is read in batches with the registration's ``prefetch``."""
    from .bulk import chunks, insert_values

    _changed()
    doc = _document_model()
    if isinstance(objects, QuerySet):
        spec = spec_for(objects.model)
        qs = objects.prefetch_related(*spec.prefetch) if spec.prefetch else objects
        batches = _batches(qs.iterator(chunk_size=batch_size), batch_size)
    else:
        batches = chunks(list(objects), batch_size)
    done = 0
    columns = ["id", "content_type_id", "object_id", *COLUMNS]
    for batch in batches:
        if not batch:
            continue
        model = type(batch[0])
        rows = _rows(spec_for(model), _content_type(model).pk, batch)
        doc.objects.filter(pk__in=[r[0] for r in rows]).delete()
        done += insert_values(doc, columns, rows, batch_size=batch_size)
    conn = connections[doc.objects.db]
    if done and conn.vendor == "postgresql":
        # Merge what went into the GIN index's pending list (scanned in full by every
        # search until merged; core migration 0011).
        with conn.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list('core_searchdocument_vector'::regclass)")
    return done


def _batches(iterator, size: int):
    batch = []
    for obj in iterator:
        batch.append(obj)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


@transaction.atomic
def rebuild(model: type[models.Model], *, batch_size: int = 2000) -> int:
    """Drop ``model``'s documents and index every row again; how many."""
    _changed()
    doc = _document_model()
    ct = _content_type(model).pk
    doc.objects.filter(pk__gte=ct << KEY_BITS, pk__lt=(ct + 1) << KEY_BITS).delete()
    return index_many(model._default_manager.all(), batch_size=batch_size)


# ---------------------------------------------------------------------------------------
# Reading it

RANK = "search_rank"
_CT = "(SELECT id FROM django_content_type WHERE app_label = %s AND model = %s)"


def _match_sql(vendor: str, words, model) -> tuple[str, str, list]:
    """SQL giving (object_id, rank) of ``model``'s documents matching ``words``: ranked
    (the caller sorts by rank) and unranked (a count, an id subquery), and their
    parameters."""
    ct = [model._meta.app_label, model._meta.model_name]
    if vendor == "postgresql":
        # core_search_hits (migration core 0009): the GIN index's hits, ranked or not.
        # Sorted by rank here, the caller's sort is an incremental one that stops after a
        # page of rows passing its filters, instead of looking every hit up.
        hits = "SELECT * FROM core_search_hits(to_tsquery('simple', %s), " + _CT + ", {}"
        params = [_tsquery(words), *ct]
        return hits.format("true) ORDER BY rank DESC"), hits.format("false)"), params
    if vendor == "sqlite":
        # One rowid range of the FTS index (no join), and LIMIT -1 so SQLite reads the
        # hits first, whatever filters the caller's query has (flattened, the planner may
        # look every filtered row up in the FTS index instead: seconds).
        weights = ", ".join(str(w) for w in WEIGHTS.values())
        mask = (1 << KEY_BITS) - 1
        hits = (
            f"SELECT rowid & {mask} AS object_id, {{}} AS rank FROM core_search_fts "
            f"WHERE core_search_fts MATCH %s AND rowid >= {_CT} << {KEY_BITS} "
            f"AND rowid < ({_CT} + 1) << {KEY_BITS} LIMIT -1"
        )
        ranked = hits.format(f"-bm25(core_search_fts, {weights})")
        return ranked, hits.format("0.0"), [_fts5(words), *ct, *ct]
    raise NotImplementedError(f"core.search does not know the {vendor} database")


def _ranks(query) -> bool:
    """Whether the query being compiled reads the rank (a count or an id subquery does
    not: then the hits are matched without ranking them)."""
    if RANK in query.annotation_select:
        return True
    return any(
        (o if isinstance(o, str) else "").lstrip("-") == RANK or not isinstance(o, str)
        for o in query.order_by
    )


class _Hits:
    """``INNER JOIN (<matching documents>) alias ON alias.object_id = <table>.<pk>``: an
    entry of a query's alias map (the attributes and methods ``Join`` has), so the
    queryset keeps filtering, counting, slicing and serving as a subquery."""

    table_name = "core_search_hits"
    join_field = None
    nullable = False
    filtered_relation = None

    def __init__(
        self,
        ranked,
        unranked,
        params,
        parent_alias,
        pk_column,
        table_alias=None,
        join_type=INNER,
        ranked_params=None,
        complete=False,
    ):
        self.ranked, self.unranked, self.params = ranked, unranked, tuple(params)
        self.ranked_params = self.params if ranked_params is None else tuple(ranked_params)
        # best(): the listed hits are every hit (fewer than asked for)
        self.complete = complete
        self.parent_alias, self.pk_column = parent_alias, pk_column
        self.table_alias, self.join_type = table_alias, join_type

    def as_sql(self, compiler, connection):
        qn = compiler.quote_name_unless_alias
        alias = qn(self.table_alias)
        pk = f"{qn(self.parent_alias)}.{connection.ops.quote_name(self.pk_column)}"
        on = f"{alias}.object_id = {pk}"
        if _ranks(compiler.query):
            sql, params = self.ranked, self.ranked_params
        else:
            sql, params = self.unranked, self.params
        return f"{self.join_type} ({sql}) {alias} ON ({on})", list(params)

    def _clone(self, **changes) -> _Hits:
        args = {
            "ranked": self.ranked,
            "unranked": self.unranked,
            "params": self.params,
            "parent_alias": self.parent_alias,
            "pk_column": self.pk_column,
            "table_alias": self.table_alias,
            "join_type": self.join_type,
            "ranked_params": self.ranked_params,
            "complete": self.complete,
        }
        return self.__class__(**{**args, **changes})

    def relabeled_clone(self, change_map):
        return self._clone(
            parent_alias=change_map.get(self.parent_alias, self.parent_alias),
            table_alias=change_map.get(self.table_alias, self.table_alias),
        )

    def best(self, n: int, using: str) -> _Hits:
        """These hits ranked as well as the ``n``-th best or better (all when fewer):
        the list of them (:func:`best_hits`, kept while the index is unchanged) joined
        instead of ranking every hit."""
        vendor = connections[using].vendor
        found = best_hits(self.ranked, self.ranked_params, n, using=using)
        return self._clone(
            ranked=_LISTED[vendor], ranked_params=[json.dumps(found)], complete=len(found) < n
        )

    def demote(self):
        return self.relabeled_clone({})

    promote = demote  # every search hit is required: the join stays INNER

    @property
    def identity(self):
        return (self.__class__, self.ranked, self.ranked_params, self.params, self.parent_alias)

    def __eq__(self, other):
        return isinstance(other, _Hits) and self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)


class _Rank(Expression):
    """The joined hits' rank column (follows the join when the query is relabelled)."""

    output_field = FloatField()

    def __init__(self, alias: str):
        super().__init__()
        self.alias = alias

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.rank", []

    def relabeled_clone(self, change_map):
        return self.__class__(change_map.get(self.alias, self.alias))

    def get_group_by_cols(self):
        return [self]

    @property
    def identity(self):
        return (self.__class__, self.alias)


def is_ranked(queryset: QuerySet) -> bool:
    """Whether ``queryset`` is the result of :func:`search` (ordered by relevance): lists
    and API endpoints keep that order rather than their default sort."""
    return RANK in queryset.query.annotations


BEST_OF = 1000  # see best_of
_LIMIT = " LIMIT -1"  # the end of SQLite's match (see _match_sql)

# A list of (object_id, rank) pairs given as one JSON parameter, as a table of hits.
_LISTED = {
    "sqlite": (
        "SELECT json_extract(value, '$[0]') AS object_id, json_extract(value, '$[1]') AS rank "
        "FROM json_each(%s) LIMIT -1"
    ),
    "postgresql": (
        "SELECT (h->>0)::bigint AS object_id, (h->>1)::real AS rank "
        "FROM jsonb_array_elements(%s::jsonb) h"
    ),
}


def best_hits(ranked: str, params: Sequence, n: int, *, using: str) -> list[list]:
    """The hits of the ranked match ``ranked`` (``params``) ranked as well as the
    ``n``-th best or better, best first: ``[object_id, rank]`` pairs. Kept in the cache
    under the index's version (``core.stamps``, :data:`STAMP`): a common word's hits are
    ranked once per change of the index, not on every page of every user — ranking is
    what a word found tens of thousands of times costs (bm25 or ts_rank for each hit).
    Every write to the index changes the version, so the list is always the index's own
    (never "a few minutes old")."""
    from . import stamps

    sql = (
        f"WITH h AS MATERIALIZED ({ranked}) SELECT object_id, rank FROM h "
        f"WHERE rank >= coalesce((SELECT rank FROM h ORDER BY rank DESC "
        f"LIMIT 1 OFFSET {int(n) - 1}), -1e30) ORDER BY rank DESC, object_id"
    )

    def compute() -> list[list]:
        with connections[using].cursor() as cursor:
            cursor.execute(sql, list(params))
            return [[int(pk), float(rank)] for pk, rank in cursor.fetchall()]

    return stamps.kept(
        "search-best", (using, ranked, tuple(params), n), [STAMP], compute, using=using
    )


def best_of(queryset: QuerySet, n: int = BEST_OF) -> QuerySet | None:
    """The rows of ``queryset`` (a :func:`search`, still ordered by rank first) ranked as
    well as the model's ``n``-th best hit or better, in the same order: exactly the first
    rows of ``queryset``, as many as pass its scope and filters — so a slice of it that
    comes back full is the same slice of ``queryset``; a short one says nothing (read
    ``queryset`` then). None for a search sorted another way. The best hits are ranked
    once per version of the index (:func:`best_hits`), then only they are joined to the
    caller's table, filtered and sorted — not every hit of a common word."""
    if not is_ranked(queryset):
        return None
    order = queryset.query.order_by
    if not order or order[0] != f"-{RANK}":
        return None
    qs = queryset._chain()
    query = qs.query
    found = [a for a, j in query.alias_map.items() if isinstance(j, _Hits)]
    if len(found) != 1:
        return None
    query.alias_map[found[0]] = query.alias_map[found[0]].best(n, qs.db)
    return qs


def holds_every_hit(queryset: QuerySet) -> bool:
    """Whether ``queryset`` (a :func:`best_of`) lists every hit of its words (they are
    fewer than it asked for): then it *is* the whole search, a short slice included."""
    return any(isinstance(j, _Hits) and j.complete for j in queryset.query.alias_map.values())


def ranked_within(queryset: QuerySet) -> QuerySet | None:
    """``queryset`` (a :func:`search`, ordered by rank first) ranking only the hits among
    the rows that pass its other conditions (scope, filters), the same rows in the same
    order — for a search whose best hits do not fill its page (a common word within one
    school): the index is still matched once, but the rank (bm25, what a word found tens
    of thousands of times costs) is computed for the filtered rows' hits alone, not for
    every hit. SQLite only (PostgreSQL ranks inside ``core_search_hits``): None there,
    and for a search sorted another way."""
    if not is_ranked(queryset) or connections[queryset.db].vendor != "sqlite":
        return None
    order = queryset.query.order_by
    if not order or order[0] != f"-{RANK}":
        return None
    found = [a for a, j in queryset.query.alias_map.items() if isinstance(j, _Hits)]
    if len(found) != 1:
        return None
    alias = found[0]
    hits = queryset.query.alias_map[alias]
    if "MATCH %s" not in hits.ranked or "(rowid & " in hits.ranked:
        return None  # already narrowed (best_of's list, or ranked_within)
    # The rows passing every other condition: the same query with every row a "hit" (a
    # join of the table to itself by its key, which SQLite flattens away).
    model = queryset.model._meta.concrete_model
    table, pk = model._meta.db_table, model._meta.pk.column
    qn = connections[queryset.db].ops.quote_name
    every = f"SELECT {qn(pk)} AS object_id, 0.0 AS rank FROM {qn(table)}"
    base = queryset._chain()
    base.query.alias_map[alias] = hits._clone(unranked=every, params=())
    sub, sub_params = base.order_by().values("pk").query.sql_with_params()
    mask = (1 << KEY_BITS) - 1
    # ``rowid & mask`` is no constraint the FTS index can take: it is tested on each hit
    # of the match (the rows' ids read once, as a set), and only the hits kept are ranked.
    ranked = f"{hits.ranked[: -len(_LIMIT)]} AND (rowid & {mask}) IN ({sub}){_LIMIT}"
    qs = queryset._chain()
    qs.query.alias_map[alias] = hits._clone(
        ranked=ranked, ranked_params=[*hits.ranked_params, *sub_params]
    )
    return qs


def search(queryset: QuerySet, text: str | None, *, then: Sequence[str] = ()) -> QuerySet:
    """``queryset``'s rows matching ``text``, best first (then ``then``, then id), with
    their rank as ``search_rank``; none when the text has no words. No query is run here,
    and none is added: the match is a join in the queryset's own SQL."""
    words = parse(text)
    if not words:
        return queryset.none()
    model = queryset.model
    vendor = connections[queryset.db].vendor
    ranked, unranked, params = _match_sql(vendor, words, model._meta.concrete_model)
    qs = queryset._chain()
    query = qs.query
    hits = _Hits(ranked, unranked, params, query.get_initial_alias(), model._meta.pk.column)
    alias = query.join(hits)
    return qs.annotate(**{RANK: _Rank(alias)}).order_by(f"-{RANK}", *then, "pk")
