"""The abstract model bases of core/bases.py are used wherever a model declares the same
fields: a new model that copies ``version`` or the timestamps instead of inheriting them
fails here."""

from __future__ import annotations

import pytest
from django.apps import apps

from jiaoyan.core.bases import SubjectStageOptional, Timestamped, Versioned

BASES = [Versioned, Timestamped, SubjectStageOptional]


def _same(field, other) -> bool:
    return field.deconstruct()[1:] == other.deconstruct()[1:]


def _declares(model, base) -> bool:
    """``model`` has every field of ``base``, each declared exactly as the base does."""
    own = {f.name: f for f in model._meta.local_fields}
    return all(f.name in own and _same(own[f.name], f) for f in base._meta.local_fields)


@pytest.mark.parametrize("base", BASES, ids=lambda b: b.__name__)
def test_identical_field_groups_come_from_the_base(base):
    copies = [
        m._meta.label
        for m in apps.get_models()
        if m.__module__.startswith("jiaoyan.") and not issubclass(m, base) and _declares(m, base)
    ]
    assert not copies, f"declare these through core.bases.{base.__name__}: {copies}"


def test_the_bases_are_in_use():
    for base in BASES:
        assert [m for m in apps.get_models() if issubclass(m, base)], base.__name__
    plan = apps.get_model("activities", "ResearchPlan")
    assert {f.name for f in plan._meta.concrete_fields} >= {
        "version",
        "created_at",
        "updated_at",
        "subject",
        "stage",
    }
