"""The OpenAPI document tells the truth about names and enums.

Before, pydantic named components by their class's bare name and django-ninja merged the
components of all operations by that name: ``Kind`` was the observations' kind enum but
was what ``ExamIn.kind`` referred to, so a client generated from the document sent
values the exam endpoint refused (422). Now every component has one qualified name
(``core.api_input``): the document is valid OpenAPI, no name stands for two types, each
enum lists exactly its type's values, and the endpoints accept exactly those values.
"""

from __future__ import annotations

import enum
import json
import sys

import pytest
from django.test import Client
from openapi_spec_validator import validate

from jiaoyan.core.api_input import component_name


def _document() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _enum_types() -> dict[str, type[enum.Enum]]:
    """Every enum defined in our code, by the component name the document gives it."""
    found: dict[str, type[enum.Enum]] = {}

    def visit(owner, prefix):
        for name, value in vars(owner).items():
            own = (
                isinstance(value, type)
                and value.__module__ == module_name
                and value.__qualname__ == prefix + name
            )
            if own and issubclass(value, enum.Enum):
                found[component_name(f"{module_name}.{value.__qualname__}")] = value
            elif own:
                visit(value, prefix + name + ".")

    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("jiaoyan.") and module is not None:
            visit(module, "")
    return found


@pytest.fixture
def doc(db) -> dict:
    return _document()


def test_the_document_is_valid_openapi(doc):
    validate(doc)


def test_every_component_has_one_qualified_name(doc):
    names = list(doc["components"]["schemas"])
    # a name two types would share falls back to a dotted path: none is left
    assert not [n for n in names if "__" in n or "." in n], names
    # the enums that collided before are apart now
    for name in ("ObservationKind", "ActivityKind", "ExamKind", "OrgUnitKind", "SchoolKind"):
        assert name in names
    for name in ("ActivityStatus", "LedgerStatus", "ObservationStatus", "PersonStatus"):
        assert name in names
    assert "Kind" not in names and "Status" not in names and "Level" not in names


def test_every_enum_lists_exactly_its_types_values(doc):
    types = _enum_types()
    enums = {
        name: schema["enum"]
        for name, schema in doc["components"]["schemas"].items()
        if "enum" in schema
    }
    assert len(enums) >= 15
    for name, values in enums.items():
        assert name in types, f"{name}: no enum of ours has this name"
        assert values == [m.value for m in types[name]], name


def _refs(schema) -> set[str]:
    text = json.dumps(schema)
    return {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}


def test_every_enum_query_parameter_takes_exactly_the_listed_values(doc, world, api_for):
    """For every GET operation with an enum query parameter: each listed value is taken
    (200), a value not listed is refused (422)."""
    client = api_for(world.city_admin)
    enums = {n: s["enum"] for n, s in doc["components"]["schemas"].items() if "enum" in s}
    checked = 0
    for path, methods in doc["paths"].items():
        op = methods.get("get")
        if op is None or "{" in path:
            continue
        for param in op.get("parameters", []):
            if param["in"] != "query":
                continue
            names = _refs(param["schema"]) & set(enums)
            values = param["schema"].get("enum") or [v for n in names for v in enums[n]]
            if not values:
                continue
            for value in values:
                r = client.get(path, {param["name"]: value})
                assert r.status_code == 200, (path, param["name"], value, r.content[:200])
            r = client.get(path, {param["name"]: "not-a-listed-value"})
            assert r.status_code == 422, (path, param["name"])
            checked += 1
    assert checked >= 5


EXAM = {
    "name": "期末",
    "date": "2025-06-20",
    "grade": 9,
    "stage": "junior",
    "subjects": [{"name": "数学", "full_marks": 120}],
}


def test_an_exam_is_created_with_each_published_kind_and_refused_with_another(doc, world, api_for):
    """The case that failed: ``ExamIn.kind`` pointed at the observations' ``Kind``."""
    body = doc["components"]["schemas"]["ExamIn"]
    ref = _refs(body["properties"]["kind"])
    assert ref == {"ExamKind"}
    client = api_for(world.city_admin)
    for i, kind in enumerate(doc["components"]["schemas"]["ExamKind"]["enum"]):
        data = {**EXAM, "name": f"期末{i}", "kind": kind, "org_unit": world.city_bureau.pk}
        r = client.post("/api/v1/exams", data, content_type="application/json")
        assert r.status_code == 201, (kind, r.content[:300])
    wrong = doc["components"]["schemas"]["ObservationKind"]["enum"][0]
    data = {**EXAM, "name": "期末x", "kind": wrong, "org_unit": world.city_bureau.pk}
    r = client.post("/api/v1/exams", data, content_type="application/json")
    assert r.status_code == 422


def test_each_body_property_refers_to_its_own_types_enum(doc):
    """Every request/answer property that refers to an enum refers to the one of the
    model field it writes: ``<Schema>.kind`` of activities is ``ActivityKind`` …"""
    schemas = doc["components"]["schemas"]
    expected = {
        ("ActivityIn", "kind"): "ActivityKind",
        ("ActivityPatch", "kind"): "ActivityKind",
        ("ObservationIn", "kind"): "ObservationKind",
        ("OrgUnitIn", "kind"): "OrgUnitKind",
        ("SchoolIn", "kind"): "SchoolKind",
        ("ExamIn", "kind"): "ExamKind",
        ("PersonPatch", "professional_title"): "PersonTitle",
    }
    for (schema, prop), enum_name in expected.items():
        assert _refs(schemas[schema]["properties"][prop]) == {enum_name}, (schema, prop)
