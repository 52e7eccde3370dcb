"""core.api_crud: a declared resource's endpoints are named as hand-written ones were, and
a body's references resolve through the one scoped resolver (the endpoints' behaviour is
pinned by the apps' API tests and tests/core/test_openapi_names.py)."""

from __future__ import annotations

import pytest
from ninja import Router

from jiaoyan.core.api_crud import Resource, resolved
from jiaoyan.core.resolve import Unresolved
from jiaoyan.orgs.models import OrgUnit, Stage
from jiaoyan.orgs.schemas import OrgUnitOut, OrgUnitPatch


def test_operations_are_named_as_functions_of_the_declaring_module():
    router = Router()
    units = Resource(router, "/org-units/{unit_id}", OrgUnit, out=OrgUnitOut)
    units.list().get().update(lambda **kw: None, OrgUnitPatch).action("close", lambda **kw: 0)
    names = {
        (method, path): (op.view_func.__module__, op.view_func.__name__)
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    assert names == {
        ("GET", "/org-units"): (__name__, "list_units"),
        ("GET", "/org-units/{unit_id}"): (__name__, "get_unit"),
        ("PATCH", "/org-units/{unit_id}"): (__name__, "update_unit"),
        ("POST", "/org-units/{unit_id}/close"): (__name__, "close_unit"),
    }


def test_references_resolve_in_scope_with_one_answer(world):
    teacher = world.users["teacher"]
    mine = world.schools["school_a"].org_unit
    other = world.schools["school_c"].org_unit  # another county
    junior = Stage.objects.get(code="junior")
    refs = {"unit": OrgUnit, "stages": [Stage], "note": lambda user, v: f"{user.pk}:{v}"}

    got = resolved(teacher, {"unit": mine.pk, "stages": ["junior"], "note": "x"}, refs)
    assert got == {"unit": mine, "stages": [junior], "note": f"{teacher.pk}:x"}
    # null: no object, no list; fields the body left out stay out
    assert resolved(teacher, {"unit": None, "stages": None}, refs) == {"unit": None, "stages": []}
    assert resolved(teacher, {}, refs) == {}
    with pytest.raises(Unresolved) as out_of_scope:
        resolved(teacher, {"unit": other.pk}, refs)
    with pytest.raises(Unresolved) as absent:
        resolved(teacher, {"unit": 10**9}, refs)
    assert (out_of_scope.value.text, out_of_scope.value.field) == (
        absent.value.text,
        absent.value.field,
    )
