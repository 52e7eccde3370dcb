"""How the API reads what clients send, and how its OpenAPI document names things.

Two rules, applied to every operation of every app because the API object uses them
(``core.api``), not per endpoint:

- **Numbers are bounded.** No integer a request carries (a query parameter, a form field
  or anywhere in a JSON body) may exceed the databases' 64-bit integers: such a value is
  a 422 naming where it was, before any endpoint sees it (on SQLite it would otherwise
  raise OverflowError, on PostgreSQL a DataError). JSON's non-standard ``NaN`` and
  ``Infinity`` are not JSON: a 400. Ids that stay within range but name nothing are the
  resolver's business (``core.resolve``); out-of-range values reaching the ORM another
  way match no row (``core.lookups``).
- **Every schema and enum has one qualified name.** pydantic names a component by its
  class's bare name, and django-ninja merges the components of every operation by that
  name: the enums ``Observation.Kind`` and ``Activity.Kind`` both became ``Kind``, one
  definition overwriting the other. Here a component is named by its qualified name
  (``Observation.Kind`` → ``ObservationKind``; a module-level enum gets its app's name,
  ``ledger.models.Status`` → ``LedgerStatus``), and a name two different types would
  share falls back to the full dotted path, which ``tests/core/test_openapi_names.py``
  refuses.
"""

from __future__ import annotations

import enum
import importlib
import json
import re
import sys
import threading

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _lazy
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from pydantic.json_schema import CoreModeRef, DefsRef

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""What an integer column holds on both databases (and what any id, count or year may be)."""

OUT_OF_RANGE = _lazy("Must be between %(min)s and %(max)s.")

_INTEGER = re.compile(r"[+-]?[0-9][0-9_]*")


class NumberOutOfRange(ValueError):
    """An integer in a JSON body beyond the 64-bit range."""


def _checked_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:  # more digits than Python converts (4,300)
        raise NumberOutOfRange(text[:30]) from exc
    if not INT_MIN <= value <= INT_MAX:
        raise NumberOutOfRange(text[:30])
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def out_of_range_error(loc: list) -> dict:
    return {
        "type": "number_out_of_range",
        "loc": loc,
        "msg": str(OUT_OF_RANGE % {"min": INT_MIN, "max": INT_MAX}),
        "ctx": {"min": INT_MIN, "max": INT_MAX},
    }


def _out_of_range(value: str) -> bool:
    text = value.strip()
    if len(text) < 19 or not _INTEGER.fullmatch(text):
        return False
    try:
        return not INT_MIN <= int(text.replace("_", "")) <= INT_MAX
    except ValueError:
        return True


class BoundedParser(Parser):
    """django-ninja's parser, refusing integers beyond 64 bits and NaN/Infinity."""

    def parse_body(self, request: HttpRequest):
        # ninja turns any exception here into "cannot parse the body" (400); core.api's
        # handler answers 422 instead when the cause is a NumberOutOfRange.
        return json.loads(request.body, parse_int=_checked_int, parse_constant=_no_constant)

    def parse_querydict(self, data, list_fields, request: HttpRequest):
        result = super().parse_querydict(data, list_fields, request)
        source = "query" if data is request.GET else "form"
        errors = []
        for key, value in result.items():
            values = value if isinstance(value, list) else [value]
            for index, item in enumerate(values):
                if isinstance(item, str) and _out_of_range(item):
                    loc = [source, key] if values is not value else [source, key, index]
                    errors.append(out_of_range_error(loc))
        if errors:
            raise NinjaValidationError(errors)
        return result


# --- component names --------------------------------------------------------------------


def _locate(path: str) -> tuple[str, list[str], object | None]:
    """``jiaoyan.orgs.models.OrgUnit.Kind`` → (module, qualname parts, the object)."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        module = sys.modules.get(module_name)
        if module is None:
            try:
                module = importlib.import_module(module_name)
            except Exception:
                continue
        names = parts[cut:]
        if "<locals>" in names:  # a class made in a function: its own name
            return module_name, names[-1:], None
        obj: object | None = module
        for name in names:
            obj = getattr(obj, name, None)
        return module_name, names, obj
    return "", parts[-1:], None


def component_name(path: str) -> str:
    """The OpenAPI component name of the type at ``path`` (module and qualname)."""
    module, names, obj = _locate(path)
    name = "".join(names)
    if len(names) == 1 and isinstance(obj, type) and issubclass(obj, enum.Enum):
        bits = module.split(".")
        app = bits[1] if len(bits) > 1 and bits[0] == "jiaoyan" else bits[0]
        if not name.lower().startswith(app.lower()):
            name = app.capitalize() + name
    return name


class QualifiedJsonSchema:
    """Mixin of the JSON-schema generator: definitions named by ``component_name``.

    Names are kept for the life of the process: a name that another type took already
    (in any operation) is not reused; the type gets its full dotted path instead."""

    _owners: dict[str, str] = {}
    _lock = threading.Lock()

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        core_ref, _mode = core_mode_ref
        if "[" in core_ref or ":" not in core_ref:  # generics: pydantic's own naming
            return super().get_defs_ref(core_mode_ref)
        path = core_ref.rsplit(":", 1)[0]
        name = component_name(path)
        with self._lock:
            owner = self._owners.setdefault(name, path)
        if owner != path:
            name = self.normalize_name(path.replace(".", "__"))
        ref = DefsRef(name)
        self._prioritized_defsref_choices[ref] = [ref]
        return ref


def install() -> None:
    """Name the document's components by ``component_name`` (django-ninja builds every
    schema with its module's ``NinjaGenerateJsonSchema``; this replaces that one name)."""
    from ninja import schema as ninja_schema
    from ninja.openapi import schema as ninja_openapi

    base = ninja_schema.NinjaGenerateJsonSchema
    if issubclass(ninja_openapi.NinjaGenerateJsonSchema, QualifiedJsonSchema):
        return
    ninja_openapi.NinjaGenerateJsonSchema = type(
        "QualifiedNinjaJsonSchema", (QualifiedJsonSchema, base), {}
    )
