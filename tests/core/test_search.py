"""core.search: Chinese full-text search over a fixed corpus, on SQLite and PostgreSQL.

The corpus is a set of ledger items (registered for the test: title, then description and
tag names as the body), in two districts, so a search is also checked against a scoped
queryset (the outsider's district stays out) and the list filters around it.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command

from jiaoyan.core import search
from jiaoyan.core.lists import ListRows
from jiaoyan.core.models import SearchDocument
from jiaoyan.ledger.models import Item, Tag

# key: (district, title, description, tags, percent); "remarks" stand for a file's text
CORPUS = {
    "unit_design": ("linwei", "大单元教学设计：初中数学函数", "围绕新课标组织单元整体教学", (), 10),
    "slides_trad": ("linwei", "數學課件：一次函數的圖像", "配套多媒體課件與學案", (), 20),
    "slides_other": ("huazhou", "课件制作培训", "华州区的课件制作安排", (), 30),
    "homework": ("linwei", "双减背景下的作业设计", "分层作业示例", ("课件",), 40),
    "summary": ("linwei", "学期工作总结", "本学期完成了教学设计和课件评比", (), 50),
    "english": ("linwei", "Unit 3 英语听说课", "Unit 3 Reading 课堂实录", (), 60),
    "poetry": ("linwei", "语文整本书阅读", "诗歌鉴赏与古诗词诵读", (), 70),
    "split_words": ("linwei", "信息科技的教学与作业", "单元作业的设计思路", (), 80),
    "twin_low": ("linwei", "微课评比通知", "", (), 5),
    "twin_high": ("linwei", "微课评比通知", "", (), 95),
    "attachment": ("linwei", "期末复习安排", "", (), 99),
}
REMARKS = {"attachment": "附件：各科课件合集"}


@pytest.fixture
def corpus(world):
    search.register(
        Item,
        title="title",
        body=("description", lambda i: [t.name for t in i.tags.all()]),
        text="remarks",
        prefetch=("tags",),
    )
    units = {"linwei": world.units["linwei"], "huazhou": world.units["huazhou"]}
    items = {}
    for n, (key, (unit, title, description, tags, percent)) in enumerate(CORPUS.items(), 1):
        item = Item.objects.create(
            org_unit=units[unit],
            responsible_unit=units[unit],
            number=n,
            title=title,
            description=description,
            percent=percent,
            remarks=REMARKS.get(key, ""),
        )
        for name in tags:
            item.tags.add(Tag.objects.get_or_create(name=name)[0])
        items[key] = item
    search.index_many(Item.objects.all())
    yield items
    search.unregister(Item)


def keys(rows, items) -> list[str]:
    by_pk = {item.pk: key for key, item in items.items()}
    return [by_pk[row.pk] for row in rows]


def found(corpus, text, queryset=None, **kwargs) -> list[str]:
    qs = Item.objects.all() if queryset is None else queryset
    return keys(search.search(qs, text, **kwargs), corpus)


def test_traditional_and_simplified_are_one(corpus):
    simplified = found(corpus, "课件")
    assert found(corpus, "課件") == simplified
    # titles first (the short title before the long one), then the bodies, then the text
    assert simplified[:2] == ["slides_other", "slides_trad"]
    assert set(simplified[2:4]) == {"homework", "summary"}
    assert simplified[4:] == ["attachment"]
    # the traditional title is found by the simplified word, and its own words too
    assert found(corpus, "函数") == ["slides_trad", "unit_design"]
    assert found(corpus, "一次函數的圖像")[0] == "slides_trad"


def test_two_character_words(corpus):
    assert found(corpus, "微课") == ["twin_low", "twin_high"]  # a tie: by id
    assert found(corpus, "学案") == ["slides_trad"]
    assert found(corpus, "双减") == ["homework"]
    assert found(corpus, "雙減") == ["homework"]
    # a domain word inside a longer text, and one that is part of a bigger word
    assert found(corpus, "单元") == ["unit_design", "split_words"]
    assert found(corpus, "大单元") == ["unit_design"]


def test_every_word_must_match_and_compounds_match_their_parts(corpus):
    assert found(corpus, "新课标 数学") == ["unit_design"]
    assert found(corpus, "数学 英语") == []
    # 教学设计 as one word (title, then body), or 教学 … 设计 apart in one item (how a
    # body's whole word weighs against a title's part is the backend's call)
    design = found(corpus, "教学设计")
    assert design[0] == "unit_design"
    assert set(design[1:]) == {"summary", "split_words"}
    assert found(corpus, "教學設計") == design


def test_latin_and_digits(corpus):
    for text in ("Unit 3", "unit 3", "UNIT3", "Ｕｎｉｔ　３", "unit3 reading"):
        assert found(corpus, text) == ["english"], text
    assert found(corpus, "Unit 4") == []


def test_single_characters(corpus):
    # a lone character finds the words it starts; a run of them is a phrase
    assert found(corpus, "诗") == ["poetry"]
    assert found(corpus, "诗词") == ["poetry"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "*",
        "NEAR(",
        "NEAR(a b)",
        "AND",
        "OR",
        "NOT",
        ")",
        "(",
        "'",
        "\\",
        ":*",
        "!",
        "&|<->",
        "^",
        "-",
        "+",
        "title:",
        "的",
        "   ",
        "\x00",
        "😀",
        "",
        None,
    ],
)
def test_queries_without_words_find_nothing(corpus, text):
    rows = search.search(Item.objects.all(), text)
    assert list(rows) == []
    assert rows.count() == 0


@pytest.mark.parametrize(
    "text",
    ['"课件', '课件"', "课件*", "课件 AND", ":课件:", "-课件", "^课件", "(课件)", "课件 ' \\"],
)
def test_syntax_around_a_word_is_not_syntax(corpus, text):
    assert found(corpus, text) == found(corpus, "课件")


def test_a_long_pasted_query_does_not_fail(corpus):
    assert found(corpus, "课件 " * 500) == found(corpus, "课件")
    assert found(corpus, "数学" + "x" * 5000) == found(corpus, "数学")


def test_scope_and_filters_narrow_the_search(corpus, world):
    everyone = found(corpus, "课件")
    assert "slides_other" in everyone  # the control: 华州区's item matches
    visible = Item.objects.visible_to(world.users["district_researcher"])
    mine = found(corpus, "课件", visible)
    assert mine == [k for k in everyone if k != "slides_other"]
    assert found(corpus, "课件", visible.filter(percent__gte=30, percent__lt=99)) == [
        "homework",
        "summary",
    ]
    outsider = Item.objects.visible_to(world.users["outsider"])
    assert found(corpus, "课件", outsider) == ["slides_other"]
    # filters after the search, counting, and the search as a subquery
    rows = search.search(visible, "课件").filter(percent__lt=45)
    assert rows.count() == 2
    assert keys(Item.objects.filter(pk__in=rows).order_by("number"), corpus) == [
        "slides_trad",
        "homework",
    ]


def test_rank_is_exposed_and_ties_follow_the_callers_order(corpus):
    rows = list(search.search(Item.objects.all(), "微课"))
    assert rows[0].search_rank == rows[1].search_rank > 0
    assert keys(rows, corpus) == ["twin_low", "twin_high"]  # then by id
    ranks = {r.pk: r.search_rank for r in search.search(Item.objects.all(), "课件")}
    assert ranks[corpus["slides_other"].pk] > ranks[corpus["summary"].pk] > 0  # title > body
    assert found(corpus, "微课", then=("-percent",)) == ["twin_high", "twin_low"]
    assert found(corpus, "微课", then=("percent",)) == ["twin_low", "twin_high"]


def test_query_counts(corpus, world, django_assert_num_queries):
    visible = Item.objects.visible_to(world.users["district_researcher"])
    with django_assert_num_queries(0):
        rows = search.search(visible.filter(percent__gte=0), "課件 函數")
    with django_assert_num_queries(1):
        assert len(list(rows)) == 1
    with django_assert_num_queries(1):
        assert rows.all().count() == 1
    # a list's page: the index's version, the word's best hits ranked, the ids, the rows
    cache.clear()
    with django_assert_num_queries(4):
        page = ListRows(search.search(visible, "课件"), ids_first=True)[0:2]
    assert keys(page, corpus) == ["slides_trad", "homework"]
    # the next page view: the best hits kept while the index's version is the same
    with django_assert_num_queries(3):
        page = ListRows(search.search(visible, "课件"), ids_first=True)[0:2]
    assert keys(page, corpus) == ["slides_trad", "homework"]


def test_the_index_follows_writes(corpus):
    item = corpus["poetry"]
    item.title = "古诗词课件"
    item.save()
    assert "poetry" not in found(corpus, "课件")  # not until the service indexes it
    search.index(item)
    assert "poetry" in found(corpus, "课件")
    assert SearchDocument.objects.filter(object_id=item.pk).count() == 1
    search.unindex(item)
    assert "poetry" not in found(corpus, "课件")
    search.index_many([item])
    assert "poetry" in found(corpus, "课件")


def test_rebuild_command(corpus):
    SearchDocument.objects.all().delete()
    assert found(corpus, "课件") == []
    call_command("search_index", "ledger.Item", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert found(corpus, "课件")[:2] == ["slides_other", "slides_trad"]


def test_tokens_are_deterministic_and_normalised():
    text = "大單元教學設計與課件 ＵＮＩＴ３"
    assert search.tokens(text) == search.tokens(text)
    assert search.tokens(text) == search.tokens("大单元教学设计与课件 unit 3")
    assert {"大单元", "单元", "教学设计", "教学", "设计", "课件", "unit", "3"} <= set(
        search.tokens(text)
    )
    assert "与" not in search.tokens(text)


def test_counts_and_id_subqueries_do_not_rank(corpus, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiaoyan.core.lists import list_count

    rank = "bm25(" if connection.vendor == "sqlite" else "true) ORDER BY rank"
    rows = search.search(Item.objects.visible_to(world.users["district_researcher"]), "课件")
    with CaptureQueriesContext(connection) as counted:
        assert list_count(rows) == 4
        assert Item.objects.filter(pk__in=rows).count() == 4
    assert all(rank not in q["sql"] for q in counted.captured_queries)
    with CaptureQueriesContext(connection) as listed:
        assert len(list(rows.values_list("pk", flat=True)[:2])) == 2
    assert rank in listed.captured_queries[0]["sql"]


def test_sqlite_reads_the_hits_before_the_callers_filters(corpus, world):
    """However selective the caller's indexed filters, SQLite starts from the FTS index's
    hits (looking every filtered row up in it instead takes seconds at 100,000 rows)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan")
    rows = search.search(Item.objects.filter(org_unit=world.units["linwei"], number__lt=3), "课件")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [row[3] for row in cursor.fetchall()]
    assert plan[0].startswith("MATERIALIZE"), plan
    assert plan[1].startswith("SCAN core_search_fts VIRTUAL TABLE"), plan
    assert keys(rows, corpus) == ["slides_trad"]


def test_index_many_takes_a_fixed_number_of_queries(corpus, django_assert_max_num_queries):
    # the index's new version, the items, their tags (prefetched), the old documents'
    # delete and one insert (PostgreSQL: and the merge of the GIN index's pending list)
    with django_assert_max_num_queries(7):
        assert search.index_many(Item.objects.all()) == len(CORPUS)
    assert SearchDocument.objects.count() == len(CORPUS)
    assert found(corpus, "雙減") == ["homework"]
