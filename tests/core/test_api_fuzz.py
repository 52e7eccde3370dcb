"""schemathesis over the whole API document: no operation answers a server error.

Every operation of ``/api/v1/openapi.json`` gets generated requests (valid ones and
invalid ones: wrong types, missing and extra fields, out-of-range numbers …) from
schemathesis, sent in-process to the WSGI application as a bureau admin and as a
teacher of the demo data set, with a fixed seed (hypothesis derandomized, no example
database) so a run is repeatable. The check is schemathesis' ``not_a_server_error``:
any 5xx fails, with the request that caused it.

Beside it, the malformed requests a generator rarely makes: ``null`` for every field of
every body, a multipart body without its boundary, JSON's NaN, an integer beyond 64 bits
in every integer property and query parameter.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from jiaoyan.people.models import User
from jiaoyan.people.services import create_token

EXAMPLES = 6  # per operation, per generation mode (valid and invalid), per account
ROLES = ("city_admin", "teacher")


@pytest.fixture
def demo(db):
    call_command("demo", "--scale", "small", "--seed", "1", stdout=StringIO())


@pytest.fixture
def wsgi_app():
    """Django's WSGI application for in-process requests inside the test's transaction:
    like Django's test client, it does not close the connection at each request's start
    and end (on PostgreSQL that would end the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token(username: str) -> str:
    _t, raw = create_token(actor=User.objects.get(username=username), name="fuzz")
    return raw


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def test_schemathesis_finds_no_server_error(demo, wsgi_app):
    """The first server error fails the test with schemathesis' report: the status, the
    body and a curl command that reproduces it."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = list(_operations(schema))
    assert len(operations) > 90  # the whole document, not a part of it
    for role in ROLES:
        headers = {"Authorization": f"Bearer {_token(role)}"}
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, mode, headers)


def _fuzz(operation, mode, headers: dict) -> None:
    """``EXAMPLES`` generated requests of ``operation`` (fixed seed, no shrinking)."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    run()


def _document() -> dict:
    return Client().get("/api/v1/openapi.json").json()


def _sample_path(path: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


def _calls(doc: dict):
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield _sample_path(path), method, op


def test_malformed_bodies_and_numbers_are_refused_not_server_errors(world, api_for):
    """Deterministic: every operation's body with null in every field, a multipart body
    without a boundary, NaN, and 2**64 in every integer property and query parameter."""
    doc = _document()
    schemas = doc["components"]["schemas"]
    client = api_for(world.city_admin)
    client.raise_request_exception = False
    huge = 2**64
    errors = []

    def send(method, url, **kwargs):
        response = getattr(client, method)(url, **kwargs)
        if response.status_code >= 500:
            errors.append(f"{method.upper()} {url} {kwargs.get('data', '')!s:.200} → 500")
        return response

    for url, method, op in _calls(doc):
        for param in op.get("parameters", []):
            if param["in"] == "query" and "integer" in json.dumps(param["schema"]):
                r = send("get" if method == "get" else method, f"{url}?{param['name']}={huge}")
                if method == "get":
                    assert r.status_code == 422, (url, param["name"], r.content[:200])
        if method not in ("post", "patch", "put"):
            continue
        content = op.get("requestBody", {}).get("content", {})
        send(method, url, data=b"--x\r\n", content_type="multipart/form-data")
        send(method, url, data=b'{"a": NaN}', content_type="application/json")
        json_body = content.get("application/json")
        if not json_body:
            continue
        ref = json_body["schema"].get("$ref", "")
        props = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if not props:
            continue
        send(method, url, data=dict.fromkeys(props), content_type="application/json")
        ints = {k: huge for k, v in props.items() if "integer" in json.dumps(v)}
        if ints:
            r = send(method, url, data=ints, content_type="application/json")
            assert r.status_code in (404, 422), (method, url, r.status_code, r.content[:200])
    assert not errors, "\n".join(errors[:30])


def test_an_integer_beyond_64_bits_is_a_422_naming_its_place(world, api_for):
    client = api_for(world.city_admin)
    r = client.get(f"/api/v1/org-units?parent={2**64}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "parent"]
    r = client.get("/api/v1/org-units?offset=-1")
    assert r.status_code == 422
    r = client.post(
        "/api/v1/ledger/items",
        data=json.dumps({"title": "x", "org_unit": 1, "responsible_unit": 2**70}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "number_out_of_range"
    r = client.post("/api/v1/ledger/items", data="[1e5, NaN]", content_type="application/json")
    assert r.status_code == 400


def test_null_for_a_required_field_in_a_patch_is_a_422(world, api_for):
    client = api_for(world.city_admin)
    unit = world.units["renmin"]
    r = client.patch(
        f"/api/v1/org-units/{unit.pk}",
        data={"name": None, "kind": None},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "name"), ("body", "kind")}
    unit.refresh_from_db()
    assert unit.name == "人民街道"
    # null where the field may be empty still clears it (a school's address is blank)
    school = world.schools["school_a"]
    r = client.patch(
        f"/api/v1/schools/{school.pk}", data={"address": None}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    school.refresh_from_db()
    assert school.address == ""


def test_a_multipart_body_without_boundary_is_a_400(world, api_for):
    client = api_for(world.city_admin)
    r = client.post(
        "/api/v1/imports/org_units", data=b"--x\r\n", content_type="multipart/form-data"
    )
    assert r.status_code == 400
    assert "boundary" in r.json()["detail"]
