"""Every sort a list page offers starts on an indexed column, so that a page of a sorted
list is read from an index, not by sorting the whole table (``core.pages.ListPage``)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.urls import get_resolver

from jiaoyan.core.pages import ListPage

# Sorts on a figure computed per row (no column to index): the list is short by nature.
COMPUTED = {
    ("LedgerBoard", "priority"),
}
# Lists of the org tree itself: ~1,800 units in a city, ~18,000 in a province — a table
# that grows with the region, not with use, and is sorted in memory-sized work.
ORG_TREE = {"UnitList", "SchoolList"}
# Lists that read a page's ids from one covering index (the whole filtered list's narrow
# entries, then 25 rows by id): a sort column must be in that index.
COVERED = {"LedgerBoard"}
# Pages whose rows are not their filterset's model (or that have no filterset).
MODELS = {
    "LedgerBoard": "ledger.Item",
    "MyTrainings": "training.Enrolment",
    "MyCertificates": "hours.Certificate",
    "GrantList": "quality.StudentDataPermission",  # core's grants page: every kind's table
}


def _pages() -> list[type[ListPage]]:
    assert get_resolver().url_patterns  # imports every app's views
    found, todo = [], list(ListPage.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.sorts and not c.__module__.startswith("tests.")]


def _model(page: type[ListPage]):
    if page.__name__ in MODELS:
        return apps.get_model(MODELS[page.__name__])
    if page.filterset is not None:
        return page.filterset._meta.model
    return None


def _indexes(model) -> list[list[str]]:
    meta = model._meta
    found = [[f.name] for f in meta.concrete_fields if f.db_index or f.unique or f.primary_key]
    found += [list(i.fields) for i in meta.indexes if i.fields]
    found += [list(c.fields) for c in meta.constraints if isinstance(c, models.UniqueConstraint)]
    found += [list(t) for t in meta.unique_together]
    return [[f.lstrip("-") for f in fields] for fields in found if fields]


def _leading_columns(model) -> set[str]:
    """Columns an index of ``model`` starts with — or has right after parents' keys only: a
    list within one parent (an exam's candidates of one school, a person's hours) is read
    from an index on (parent, …, column)."""
    lead = set()
    for names in _indexes(model):
        for name in names:
            lead.add(name)
            if not model._meta.get_field(name).many_to_one:
                break
    return lead


def _covered_columns(model) -> set[str]:
    return {name for names in _indexes(model) for name in names}


def _indexed(model, path: str, columns=_leading_columns) -> bool:
    parts = path.lstrip("-").split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1]).name in columns(model)


def _cases():
    for page in _pages():
        if page.__name__ in ORG_TREE:
            continue
        model = _model(page)
        for option in page.sorts:
            if (page.__name__, option.key) not in COMPUTED:
                yield pytest.param(page, model, option, id=f"{page.__name__}-{option.key}")


@pytest.mark.parametrize(("page", "model", "option"), list(_cases()))
def test_each_sort_starts_on_an_indexed_column(page, model, option):
    assert model is not None, f"{page.__name__} declares sorts but no model or filterset"
    lead = option.order_by[0]
    columns = _covered_columns if page.__name__ in COVERED else _leading_columns
    assert _indexed(model, lead, columns), (
        f"{page.__name__}: sort {option.key!r} starts on {lead!r}, which no index of "
        f"{model.__name__} starts with"
    )


def test_the_check_sees_the_lists():
    names = {p.__name__ for p in _pages()}
    assert {"PersonList", "ObservationList", "ActivityList", "ExamList"} <= names
